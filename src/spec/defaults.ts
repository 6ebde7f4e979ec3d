// Every default of the user-facing spec, in one place: the compiler (compile.ts) reads
// them from here and nowhere else, and `plateau init` documents the same values.
import type { RankStopped } from '../stopping/stop-types.js';
import type { ObjectiveSpec, ObjectiveUse, OptimizerName, LossName, PlateauMode, Activation } from '../trial/types.js';

export const SPEC_DEFAULTS = {
  plateau: {
    /** What Keras logs for validation loss (not `validation_loss`). */
    monitor: 'val_loss',
    mode: 'auto' satisfies PlateauMode,
    minDelta: 1e-4,
    cooldown: 0,
    minLr: 0,
  },
  workload: {
    loss: 'meanSquaredError' satisfies LossName,
    optimizer: 'adam' satisfies OptimizerName,
    metrics: [] as readonly string[],
  },
  dataset: {
    noise: 0.1,
    validationSplit: 0.2,
    /** CSV and npz features are z-scored with the training file's statistics unless a spec says otherwise. */
    standardize: true,
    /** The keys np.savez(file, x=…, y=…) gives the arrays. */
    x: 'x',
    y: 'y',
    /** synthetic-images: grey images of 10 classes. */
    channels: 1,
    classes: 10,
  },
  activation: 'linear' satisfies Activation,
  repeats: 1,
  objectiveUse: 'final' satisfies ObjectiveUse,
  maxAttempts: 3,
  earlyStop: {
    gracePeriod: 5,
    minTrials: 5,
    reductionFactor: 3,
    plateauGuard: true,
    rankStopped: 'below' satisfies RankStopped,
  },
} as const;

/** Sweeps with more trials than this (configs × repeats) are refused unless `allowLarge`. */
export const DEFAULT_MAX_TRIALS = 10_000;

/** Keras 'auto' rule: a metric whose name contains `acc` is maximized, anything else minimized. */
export function defaultGoal(metric: string): ObjectiveSpec['goal'] {
  return metric.includes('acc') ? 'maximize' : 'minimize';
}
