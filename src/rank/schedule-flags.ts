// Warnings about a configuration that a ranking alone would hide: its runs blew up, or its
// plateau schedule never reduced the LR, so its `factor` had no effect on the result.
import type { TrialRecord } from '../trial/records.js';

export type ConfigFlag =
  /** At least one repeat ended with a NaN/Inf loss. */
  | 'diverged'
  /** At least one repeat failed for good (after its retries). */
  | 'failed'
  /**
   * The schedule could not fire by construction: patience ≥ epochs (Keras only reduces once
   * `wait ≥ patience`, and `wait` is at most epochs − 1), or the initial LR is already at or
   * below minLr (Keras reduces only while the LR is above minLr).
   */
  | 'schedule-cannot-fire'
  /** It could have fired, but no succeeded repeat reduced the LR. */
  | 'schedule-never-fired'
  /**
   * Its mean objective is within engine noise (src/rank/engine-noise.ts) of the config ranked
   * just above it: their order could flip on another engine (set by rankConfigs).
   */
  | 'within-noise';

/** Display order of flags, most serious first. */
export const CONFIG_FLAGS = ['diverged', 'failed', 'schedule-cannot-fire', 'schedule-never-fired', 'within-noise'] as const satisfies readonly ConfigFlag[];

/** True when Keras's ReduceLROnPlateau could never reduce the LR for this trial's settings. */
export function scheduleCannotFire(trial: TrialRecord): boolean {
  const { config, workload } = trial.spec;
  return config.patience >= workload.epochs || Math.fround(config.learningRate) <= Math.fround(config.minLr);
}

/** Flags for one configuration, given all of its trials (every repeat), in CONFIG_FLAGS order. */
export function scheduleFlags(trials: readonly TrialRecord[]): ConfigFlag[] {
  const flags = new Set<ConfigFlag>();
  if (trials.some((trial) => trial.state === 'diverged')) flags.add('diverged');
  if (trials.some((trial) => trial.state === 'failed')) flags.add('failed');
  if (trials.length > 0 && trials.every(scheduleCannotFire)) {
    flags.add('schedule-cannot-fire');
  } else {
    // Judge "never fired" only on runs that trained to the end: a run that diverged at
    // epoch 2 had no chance to reduce.
    const finished = trials.filter((trial) => trial.state === 'succeeded' && trial.result !== null);
    if (finished.length > 0 && finished.every((trial) => (trial.result?.lrReductions.length ?? 0) === 0)) {
      flags.add('schedule-never-fired');
    }
  }
  return CONFIG_FLAGS.filter((flag) => flags.has(flag));
}
