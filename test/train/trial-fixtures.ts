// Small TrialSpecs for the trainer's tests: tiny data, a few epochs, quick on the cpu backend.
import type { DatasetSpec, LayerSpec, TrialConfig, TrialSpec, WorkloadSpec } from '../../src/trial/types.js';

export const tinyRegression: DatasetSpec = {
  kind: 'synthetic-regression',
  samples: 160,
  features: 4,
  noise: 0.05,
  seed: 7,
  validationSplit: 0.25,
};

export const tinyMlp: readonly LayerSpec[] = [
  { kind: 'dense', units: 8, activation: 'relu' },
  { kind: 'dense', units: 1, activation: 'linear' },
];

export interface TrialOverrides {
  readonly id?: string;
  readonly seed?: number;
  readonly workload?: Partial<WorkloadSpec>;
  readonly config?: Partial<TrialConfig>;
  readonly plateau?: Partial<TrialSpec['plateau']>;
  readonly objective?: Partial<TrialSpec['objective']>;
}

export function trialSpec(overrides: TrialOverrides = {}): TrialSpec {
  const workload: WorkloadSpec = {
    dataset: tinyRegression,
    model: { kind: 'layers', layers: tinyMlp },
    loss: 'meanSquaredError',
    metrics: [],
    optimizer: 'adam',
    batchSize: 32,
    epochs: 3,
    seed: 42,
    ...overrides.workload,
  };
  return {
    id: overrides.id ?? 'trial-test',
    workload,
    plateau: { monitor: 'val_loss', mode: 'auto', ...overrides.plateau },
    config: {
      learningRate: 0.01,
      factor: 0.5,
      patience: 2,
      minDelta: 1e-4,
      cooldown: 0,
      minLr: 0,
      batchSize: workload.batchSize,
      ...overrides.config,
    },
    repeat: 0,
    seed: overrides.seed ?? workload.seed,
    objective: { metric: 'val_loss', goal: 'minimize', use: 'final', ...overrides.objective },
  };
}
