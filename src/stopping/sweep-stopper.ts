// One sweep's early-stopping state: every trial's reported epochs, best-so-far and replayed
// schedule, and the rule that judges each new epoch. Pure (no I/O, no clock): the coordinator
// feeds it the epochs as heartbeats bring them and records the stops it returns.
import type { EpochRecord, ObjectiveSpec, TrialSpec } from '../trial/types.js';
import { AshaRule } from './asha-rule.js';
import { isWorse, worstValue } from './best-so-far.js';
import { MedianStoppingRule } from './median-rule.js';
import { PlateauGuard, type GuardState } from './plateau-guard.js';
import type { EarlyStopSpec, StopRecord } from './stop-types.js';

/** asha: how a trial stands at a rung it has passed — the value it was judged with, and when. */
interface RungStanding {
  readonly value: number;
  /** The rung itself, or the later epoch at which the plateau guard let it be judged. */
  readonly epoch: number;
}

interface TrackedTrial {
  readonly spec: TrialSpec;
  readonly records: EpochRecord[];
  /** best[i]: best objective after epoch i + 1. */
  readonly best: number[];
  guard: PlateauGuard;
  /** The guard's state after the latest epoch: what a later re-judgement of that epoch goes by. */
  guardState: GuardState;
  /** asha: a rung reached while the guard held its judgement back. */
  heldRung: number | null;
  /** asha: the rungs passed, and how the trial stood at each. */
  readonly passed: Map<number, RungStanding>;
  stop: StopRecord | null;
}

/** A stop: the record, the history the trial keeps (it ends at stop.epoch) and its objective there (its best so far). */
export interface StopOutcome {
  readonly trialId: string;
  /** The trial's seed, for the result the stop records. */
  readonly seed: number;
  readonly stop: StopRecord;
  readonly history: readonly EpochRecord[];
  readonly objective: number;
}

/** What one batch of epochs led to: a stop, or none. */
export type StopVerdict = ({ readonly stopped: true } & StopOutcome) | { readonly stopped: false };

export class SweepStopper {
  private readonly trials = new Map<string, TrackedTrial>();
  /** median: every trial's value at an epoch, ascending; dropped when a report there or any stop changes it. */
  private readonly populations = new Map<number, number[]>();
  private readonly median: MedianStoppingRule;
  private readonly asha: AshaRule;

  constructor(
    private readonly spec: EarlyStopSpec,
    private readonly objective: ObjectiveSpec,
  ) {
    this.median = new MedianStoppingRule(spec);
    this.asha = new AshaRule(spec, objective.goal);
  }

  /**
   * Feeds a running trial's newly reported epochs in order and judges each; stops at the first
   * epoch the rule calls for and the guard allows. A trial already stopped is left as it is.
   * Epochs that restart the trial (a new attempt from epoch 1) replace what it had.
   */
  observe(trial: TrialSpec, epochs: readonly EpochRecord[]): StopVerdict {
    const tracked = this.track(trial);
    if (tracked.stop !== null) return { stopped: true, ...this.outcome(tracked) };
    for (const record of epochs) {
      if (!this.append(tracked, record)) continue;
      tracked.guardState = tracked.guard.observe(record, record.lr);
      const stop = this.judge(tracked, record.epoch);
      if (stop !== null) {
        this.stopTrial(tracked, stop);
        return { stopped: true, ...this.outcome(tracked) };
      }
    }
    return { stopped: false };
  }

  /**
   * Judges again every other trial still training (`training`: the caller holds its lease) that
   * `epochs` (just reported, by a running or a finished trial) may now stop. A trial is otherwise
   * compared only with the trials that got there before it, and the first to get anywhere (a
   * fused bundle reports its members in grid order) would go on unjudged. median: the trials
   * whose latest epoch was just reported, against the median there now. asha: the trials that
   * passed a rung just reported, against the rung's values now — "the top 1/η of a rung" means
   * of every trial that reaches it, not of those that reached it first.
   */
  rejudge(reporterId: string, epochs: readonly EpochRecord[], training: (trialId: string) => boolean): StopOutcome[] {
    const reported = new Set(epochs.map((record) => record.epoch));
    const stops: StopOutcome[] = [];
    for (const tracked of this.trials.values()) {
      if (tracked.stop !== null || tracked.spec.id === reporterId || !training(tracked.spec.id)) continue;
      const epoch = tracked.records.length;
      const stop = this.spec.rule === 'asha' ? this.standingStop(tracked, epoch, reported) : reported.has(epoch) ? this.judge(tracked, epoch) : null;
      if (stop === null) continue;
      this.stopTrial(tracked, stop);
      stops.push(this.outcome(tracked));
    }
    return stops;
  }

  /** Feeds a trial's epochs without judging them (a finished trial's full history, or the store's record after a restart). */
  remember(trial: TrialSpec, epochs: readonly EpochRecord[], stop: StopRecord | null = null): void {
    const tracked = this.track(trial);
    for (const record of epochs) {
      if (!this.append(tracked, record)) continue;
      tracked.guardState = tracked.guard.observe(record, record.lr);
      this.recordRung(tracked, record.epoch);
    }
    if (stop !== null) {
      this.stopTrial(tracked, stop);
      this.truncate(tracked, stop.epoch);
    }
  }

  /** The spec of a trial the stopper has seen: the caller need not read it again for each report. */
  specOf(trialId: string): TrialSpec | undefined {
    return this.trials.get(trialId)?.spec;
  }

  /** The stop recorded for a trial, if any. */
  stopOf(trialId: string): StopRecord | null {
    return this.trials.get(trialId)?.stop ?? null;
  }

  private track(trial: TrialSpec): TrackedTrial {
    const known = this.trials.get(trial.id);
    if (known !== undefined) return known;
    const tracked: TrackedTrial = {
      spec: trial,
      records: [],
      best: [],
      guard: new PlateauGuard(trial.config, trial.plateau),
      guardState: { guarded: false },
      heldRung: null,
      passed: new Map(),
      stop: null,
    };
    this.trials.set(trial.id, tracked);
    return tracked;
  }

  /** A stop changes every later epoch's population (the trial counts there with its value at the stop). */
  private stopTrial(tracked: TrackedTrial, stop: StopRecord): void {
    tracked.stop = stop;
    this.populations.clear();
  }

  private outcome(tracked: TrackedTrial): StopOutcome {
    const stop = tracked.stop;
    if (stop === null) throw new Error(`trial ${tracked.spec.id} is not stopped`);
    return { trialId: tracked.spec.id, seed: tracked.spec.seed, stop, history: tracked.records, objective: this.bestAt(tracked, stop.epoch) };
  }

  /** Appends the next epoch; false for an epoch out of order (a gap cannot be judged). */
  private append(tracked: TrackedTrial, record: EpochRecord): boolean {
    if (record.epoch <= tracked.records.length) this.truncate(tracked, record.epoch - 1);
    if (record.epoch !== tracked.records.length + 1) return false;
    const value = record[this.objective.metric];
    const previous = tracked.best.at(-1) ?? worstValue(this.objective.goal);
    const finite = typeof value === 'number' && Number.isFinite(value);
    this.populations.delete(record.epoch);
    tracked.records.push(record);
    tracked.best.push(finite && isWorse(previous, value, this.objective.goal) ? value : previous);
    return true;
  }

  /** Keeps the first `epochs` epochs and replays the schedule over them. */
  private truncate(tracked: TrackedTrial, epochs: number): void {
    this.populations.clear();
    tracked.records.length = epochs;
    tracked.best.length = epochs;
    tracked.guard = new PlateauGuard(tracked.spec.config, tracked.spec.plateau);
    tracked.guardState = { guarded: false };
    tracked.heldRung = null;
    for (const rung of [...tracked.passed.keys()]) if (rung > epochs) tracked.passed.delete(rung);
    for (const record of tracked.records) tracked.guardState = tracked.guard.observe(record, record.lr);
  }

  /** The stop the trial's latest epoch, `epoch`, calls for, or null. */
  private judge(tracked: TrackedTrial, epoch: number): StopRecord | null {
    if (this.spec.rule === 'asha') return this.judgeAsha(tracked, epoch);
    // The last epoch ends the trial anyway: nothing left to save.
    if (this.guarded(tracked) || epoch >= tracked.spec.workload.epochs) return null;
    return this.median.decide({ epoch, value: this.bestAt(tracked, epoch), population: this.populationAt(epoch), goal: this.objective.goal });
  }

  /**
   * Every trial's value at `epoch`, ascending: its best so far there when it has reported it, a
   * trial stopped before it with its value at the stop (what it ranks by) — else each epoch's
   * median would be taken over the survivors alone and cut half of them again.
   */
  private populationAt(epoch: number): readonly number[] {
    const known = this.populations.get(epoch);
    if (known !== undefined) return known;
    const values: number[] = [];
    for (const trial of this.trials.values()) {
      const at = trial.best[epoch - 1] ?? trial.stop?.value;
      if (at !== undefined) values.push(at);
    }
    values.sort((a, b) => a - b);
    this.populations.set(epoch, values);
    return values;
  }

  /**
   * asha at the trial's latest epoch: a rung records its best so far there. It is judged at the
   * first epoch the guard allows — the rung itself, or a later one, with its best then against
   * the rung's trials' best then — and from then on stands by that value at that rung: whenever
   * the guard allows, it is stopped once more trials than 1/η of the rung's stand better.
   */
  private judgeAsha(tracked: TrackedTrial, epoch: number): StopRecord | null {
    if (this.recordRung(tracked, epoch)) tracked.heldRung = epoch;
    if (this.guarded(tracked) || epoch >= tracked.spec.workload.epochs) return null;
    const held = tracked.heldRung;
    if (held !== null) {
      tracked.heldRung = null;
      tracked.passed.set(held, { value: this.bestAt(tracked, epoch), epoch });
    }
    return this.standingStop(tracked, epoch, null);
  }

  /** asha: a stop at `epoch` when the trial no longer stands in the top 1/η of a rung it passed (of `rungs`, or of any). */
  private standingStop(tracked: TrackedTrial, epoch: number, rungs: ReadonlySet<number> | null): StopRecord | null {
    if (this.guarded(tracked) || epoch >= tracked.spec.workload.epochs) return null;
    for (const [rung, standing] of tracked.passed) {
      if (rungs !== null && !rungs.has(rung)) continue;
      const valueAt = standing.epoch === rung ? undefined : this.valuesAt(standing.epoch);
      const stop = this.asha.judge(tracked.spec.id, rung, standing.value, epoch, valueAt);
      if (stop !== null) return stop;
    }
    return null;
  }

  /** Each trial's best at `epoch`, or at its latest epoch when it has not got there (a stopped trial's: its value at the stop). */
  private valuesAt(epoch: number): (trialId: string, atRung: number) => number {
    return (trialId, atRung) => {
      const other = this.trials.get(trialId);
      if (other === undefined || other.best.length === 0) return atRung;
      return other.best[Math.min(epoch, other.best.length) - 1] ?? atRung;
    };
  }

  /** asha: records the trial's best so far when `epoch` is a rung; true when it is. */
  private recordRung(tracked: TrackedTrial, epoch: number): boolean {
    if (this.spec.rule !== 'asha' || !this.asha.isRung(epoch, tracked.spec.workload.epochs)) return false;
    this.asha.record(tracked.spec.id, epoch, this.bestAt(tracked, epoch));
    return true;
  }

  private guarded(tracked: TrackedTrial): boolean {
    return this.spec.plateauGuard && tracked.guardState.guarded;
  }

  private bestAt(tracked: TrackedTrial, epoch: number): number {
    return tracked.best[epoch - 1] ?? worstValue(this.objective.goal);
  }
}
