// One sweep's early-stopping state: every trial's reported epochs, best-so-far and replayed
// schedule, and the rule that judges each new epoch. Pure (no I/O, no clock): the coordinator
// feeds it the epochs as heartbeats bring them and records the stops it returns.
import type { EpochRecord, ObjectiveSpec, TrialSpec } from '../trial/types.js';
import { AshaRule } from './asha-rule.js';
import { isWorse, worstValue } from './best-so-far.js';
import { MedianStoppingRule } from './median-rule.js';
import { PlateauGuard, type GuardState } from './plateau-guard.js';
import type { EarlyStopSpec, StopRecord } from './stop-types.js';

interface TrackedTrial {
  readonly spec: TrialSpec;
  readonly records: EpochRecord[];
  /** best[i]: best objective after epoch i + 1. */
  readonly best: number[];
  guard: PlateauGuard;
  stop: StopRecord | null;
}

/** What one batch of epochs led to: a stop (the history it keeps ends at stop.epoch), or none. */
export type StopVerdict = { readonly stopped: false } | { readonly stopped: true; readonly stop: StopRecord; readonly history: readonly EpochRecord[] };

export class SweepStopper {
  private readonly trials = new Map<string, TrackedTrial>();
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
    if (tracked.stop !== null) return { stopped: true, stop: tracked.stop, history: tracked.records };
    for (const record of epochs) {
      if (!this.append(tracked, record)) continue;
      const guard = tracked.guard.observe(record, record.lr);
      const stop = this.judge(tracked, record.epoch, guard);
      if (stop !== null) {
        tracked.stop = stop;
        return { stopped: true, stop, history: tracked.records };
      }
    }
    return { stopped: false };
  }

  /** Feeds a trial's epochs without judging them (a finished trial's full history, or the store's record after a restart). */
  remember(trial: TrialSpec, epochs: readonly EpochRecord[], stop: StopRecord | null = null): void {
    const tracked = this.track(trial);
    for (const record of epochs) if (this.append(tracked, record)) tracked.guard.observe(record, record.lr);
    if (stop !== null) {
      tracked.stop = stop;
      this.truncate(tracked, stop.epoch);
    }
  }

  /** The stop recorded for a trial, if any. */
  stopOf(trialId: string): StopRecord | null {
    return this.trials.get(trialId)?.stop ?? null;
  }

  private track(trial: TrialSpec): TrackedTrial {
    const known = this.trials.get(trial.id);
    if (known !== undefined) return known;
    const tracked: TrackedTrial = { spec: trial, records: [], best: [], guard: new PlateauGuard(trial.config, trial.plateau), stop: null };
    this.trials.set(trial.id, tracked);
    return tracked;
  }

  /** Appends the next epoch; false for an epoch out of order (a gap cannot be judged). */
  private append(tracked: TrackedTrial, record: EpochRecord): boolean {
    if (record.epoch <= tracked.records.length) this.truncate(tracked, record.epoch - 1);
    if (record.epoch !== tracked.records.length + 1) return false;
    const value = record[this.objective.metric];
    const previous = tracked.best.at(-1) ?? worstValue(this.objective.goal);
    const finite = typeof value === 'number' && Number.isFinite(value);
    tracked.records.push(record);
    tracked.best.push(finite && isWorse(previous, value, this.objective.goal) ? value : previous);
    return true;
  }

  /** Keeps the first `epochs` epochs and replays the schedule over them. */
  private truncate(tracked: TrackedTrial, epochs: number): void {
    tracked.records.length = epochs;
    tracked.best.length = epochs;
    tracked.guard = new PlateauGuard(tracked.spec.config, tracked.spec.plateau);
    for (const record of tracked.records) tracked.guard.observe(record, record.lr);
  }

  private judge(tracked: TrackedTrial, epoch: number, guard: GuardState): StopRecord | null {
    const value = tracked.best[epoch - 1] ?? worstValue(this.objective.goal);
    const guarded = this.spec.plateauGuard && guard.guarded;
    // The last epoch ends the trial anyway: nothing left to save.
    if (epoch >= tracked.spec.workload.epochs) return null;
    if (this.spec.rule === 'asha') {
      // The rung records the value whether or not the guard holds the stop back.
      const stop = this.asha.decide(tracked.spec.id, epoch, tracked.spec.workload.epochs, value);
      return guarded ? null : stop;
    }
    if (guarded) return null;
    const others: number[] = [];
    for (const other of this.trials.values()) {
      if (other === tracked) continue;
      const at = other.best[epoch - 1];
      if (at !== undefined) others.push(at);
    }
    return this.median.decide({ epoch, value, others, goal: this.objective.goal });
  }
}
