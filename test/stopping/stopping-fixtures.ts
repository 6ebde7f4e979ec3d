// Hand-built trials and histories for the early-stopping tests.
import type { EpochRecord, TrialSpec } from '../../src/trial/types.js';

export function trialSpec(id: string, options: { patience?: number; factor?: number; cooldown?: number; minLr?: number; epochs?: number } = {}): TrialSpec {
  return {
    id,
    workload: {
      dataset: { kind: 'synthetic-regression', samples: 64, features: 2, noise: 0.1, seed: 1, validationSplit: 0.25 },
      model: { kind: 'layers', layers: [{ kind: 'dense', units: 1, activation: 'linear' }] },
      loss: 'meanSquaredError',
      metrics: [],
      optimizer: 'sgd',
      batchSize: 8,
      epochs: options.epochs ?? 12,
      seed: 1,
    },
    plateau: { monitor: 'val_loss', mode: 'auto' },
    config: {
      learningRate: 0.1,
      factor: options.factor ?? 0.1,
      patience: options.patience ?? 10,
      minDelta: 0,
      cooldown: options.cooldown ?? 0,
      minLr: options.minLr ?? 0,
      batchSize: 8,
    },
    repeat: 0,
    seed: 1,
    objective: { metric: 'val_loss', goal: 'minimize', use: 'final' },
  };
}

/** Epoch records 1..n with these val_loss values; `lr` per epoch (a constant, or a list). */
export function history(valLoss: readonly number[], lr: number | readonly number[] = 0.1): EpochRecord[] {
  return valLoss.map((value, index) => ({ epoch: index + 1, loss: value, val_loss: value, lr: typeof lr === 'number' ? lr : (lr[index] ?? Number.NaN) }));
}
