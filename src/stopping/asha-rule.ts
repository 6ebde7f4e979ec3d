// Asynchronous successive halving (Li et al. 2020, "A System for Massively Parallel
// Hyperparameter Tuning"; Ray Tune's AsyncHyperBandScheduler): rungs at gracePeriod·η^k
// epochs (below the trial's last epoch). A trial reaching a rung records its best-so-far
// there and goes on only if it is among the top ⌊n/η⌋ (at least 1) of the n values recorded
// at that rung so far, itself included. Ties: a trial goes on when fewer than ⌊n/η⌋ recorded
// values are strictly better than its own, so a trial level with the last kept one is kept.
import { isWorse, partitionPoint } from './best-so-far.js';
import type { EarlyStopSpec, ObjectiveGoal, StopRecord } from './stop-types.js';

/** The rung epochs below `epochs`: gracePeriod·η^k for k = 0, 1, … */
export function rungEpochs(gracePeriod: number, reductionFactor: number, epochs: number): number[] {
  const rungs: number[] = [];
  for (let rung = gracePeriod; rung < epochs; rung *= reductionFactor) rungs.push(rung);
  return rungs;
}

export class AshaRule {
  /** rung epoch → trial id → best-so-far recorded there (a trial that runs again replaces its own value). */
  private readonly recorded = new Map<number, Map<string, number>>();
  /** rung epoch → its recorded values, best first; dropped when the rung records another. */
  private readonly ranked = new Map<number, number[]>();

  constructor(
    private readonly spec: Pick<EarlyStopSpec, 'gracePeriod' | 'reductionFactor'>,
    private readonly goal: ObjectiveGoal,
  ) {}

  isRung(epoch: number, epochs: number): boolean {
    return rungEpochs(this.spec.gracePeriod, this.spec.reductionFactor, epochs).includes(epoch);
  }

  /** Records the trial's best-so-far at the rung (a trial that runs again replaces its own value). */
  record(trialId: string, rung: number, value: number): void {
    const values = this.recorded.get(rung) ?? new Map<string, number>();
    this.recorded.set(rung, values);
    values.set(trialId, value);
    this.ranked.delete(rung);
  }

  /**
   * Whether a trial with `value` goes on past `rung`: it stops when at least ⌊n/η⌋ (at least 1)
   * of the n values recorded there now are strictly better (its own recorded value is replaced
   * by `value`). `epoch`: where the stop would end the trial — the rung, or later. `valueAt`
   * gives each other trial's value to compare with when the judgement is not at the rung (the
   * plateau guard held it back): their values at the same later epoch.
   */
  judge(trialId: string, rung: number, value: number, epoch: number, valueAt?: (otherId: string, atRung: number) => number): StopRecord | null {
    const recorded = this.recorded.get(rung);
    if (recorded === undefined) return null;
    // The common case (judged at the rung, or standing by its value there): the rung's values as
    // recorded, ranked once for every trial judged against them.
    const values =
      valueAt === undefined && recorded.get(trialId) === value
        ? this.rankedAt(rung, recorded)
        : [...recorded.entries()].map(([id, other]) => (id === trialId ? value : (valueAt?.(id, other) ?? other))).sort(this.bestFirst);
    const keep = Math.max(1, Math.floor(values.length / this.spec.reductionFactor));
    // Values strictly better than this one come first in `values`.
    const better = partitionPoint(values.length, (index) => isWorse(value, values[index] ?? value, this.goal));
    if (better < keep) return null;
    // The worst value still kept: the keep-th best recorded.
    const threshold = values[keep - 1] ?? value;
    return { epoch, rule: 'asha', value, threshold };
  }

  private rankedAt(rung: number, recorded: ReadonlyMap<string, number>): readonly number[] {
    const known = this.ranked.get(rung);
    if (known !== undefined) return known;
    const values = [...recorded.values()].sort(this.bestFirst);
    this.ranked.set(rung, values);
    return values;
  }

  private readonly bestFirst = (a: number, b: number): number => (isWorse(a, b, this.goal) ? 1 : isWorse(b, a, this.goal) ? -1 : 0);
}
