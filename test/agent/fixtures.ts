// Trials built by hand for the agent's tests: tiny, so a real worker trains them in well under a second.
import type { TrialSpec } from '../../src/trial/types.js';

export function tinyTrial(id: string, overrides: { epochs?: number; samples?: number } = {}): TrialSpec {
  return {
    id,
    workload: {
      dataset: { kind: 'synthetic-regression', samples: overrides.samples ?? 256, features: 4, noise: 0.1, seed: 7, validationSplit: 0.25 },
      model: { kind: 'layers', layers: [{ kind: 'dense', units: 8, activation: 'relu' }, { kind: 'dense', units: 1, activation: 'linear' }] },
      loss: 'meanSquaredError',
      metrics: [],
      optimizer: 'adam',
      batchSize: 32,
      epochs: overrides.epochs ?? 2,
      seed: 42,
    },
    plateau: { monitor: 'val_loss', mode: 'auto' },
    config: { learningRate: 0.01, factor: 0.5, patience: 2, minDelta: 0.0001, cooldown: 0, minLr: 0, batchSize: 32 },
    repeat: 0,
    seed: 1,
    objective: { metric: 'val_loss', goal: 'minimize', use: 'final' },
  };
}
