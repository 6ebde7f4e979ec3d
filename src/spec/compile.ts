// Validated input → the fully-defaulted SweepSpec: defaults from defaults.ts, layers in
// their internal form, every file a FileRef with an absolute path (relative to the spec
// file's directory): `local` (staged as an artifact before it leaves the client) or `shared`.
import { resolve } from 'node:path';
import type { FileRef } from '../artifacts/file-ref.js';
import type { EarlyStopSpec } from '../stopping/stop-types.js';
import type { DatasetSpec, LayerSpec, ModelSpec, WorkloadSpec } from '../trial/types.js';
import { defaultGoal, SPEC_DEFAULTS } from './defaults.js';
import type { LayerInput, SweepSpecInput } from './schema.js';
import type { GridAxes, SweepSpec } from './sweep-spec.js';

type DatasetInput = SweepSpecInput['workload']['dataset'];
type ModelInput = SweepSpecInput['workload']['model'];

function compileDataset(dataset: DatasetInput, baseDir: string): DatasetSpec {
  switch (dataset.kind) {
    case 'synthetic-regression':
      return {
        kind: dataset.kind,
        samples: dataset.samples,
        features: dataset.features,
        noise: dataset.noise ?? SPEC_DEFAULTS.dataset.noise,
        seed: dataset.seed,
        validationSplit: dataset.validationSplit ?? SPEC_DEFAULTS.dataset.validationSplit,
      };
    case 'two-spirals':
      return {
        kind: dataset.kind,
        samples: dataset.samples,
        noise: dataset.noise ?? SPEC_DEFAULTS.dataset.noise,
        seed: dataset.seed,
        validationSplit: dataset.validationSplit ?? SPEC_DEFAULTS.dataset.validationSplit,
      };
    case 'csv': {
      const kind = dataset.location === 'shared' ? 'shared' : 'local';
      const ref = (path: string): FileRef => ({ kind, path: resolve(baseDir, path) });
      return {
        kind: 'csv',
        train: ref(dataset.train),
        validation: ref(dataset.validation),
        target: dataset.target,
        standardize: dataset.standardize ?? SPEC_DEFAULTS.dataset.standardize,
      };
    }
    case 'npz': {
      const kind = dataset.location === 'shared' ? 'shared' : 'local';
      const ref = (path: string): FileRef => ({ kind, path: resolve(baseDir, path) });
      return {
        kind: 'npz',
        train: ref(dataset.train),
        ...(dataset.validation === undefined ? {} : { validation: ref(dataset.validation) }),
        x: dataset.x ?? SPEC_DEFAULTS.dataset.x,
        y: dataset.y ?? SPEC_DEFAULTS.dataset.y,
        validationSplit: dataset.validationSplit ?? SPEC_DEFAULTS.dataset.validationSplit,
        standardize: dataset.standardize ?? SPEC_DEFAULTS.dataset.standardize,
      };
    }
  }
}

function compileLayer(layer: LayerInput): LayerSpec {
  if (layer.dense !== undefined) return { kind: 'dense', units: layer.dense, activation: layer.activation ?? SPEC_DEFAULTS.activation };
  if (layer.dropout !== undefined) return { kind: 'dropout', rate: layer.dropout };
  return { kind: 'batchNorm' };
}

function compileModel(model: ModelInput, baseDir: string): ModelSpec {
  // Weight shards are found (in the model.json's weightsManifest) when the files are staged.
  if (model.modelJson !== undefined) return { kind: 'modelJson', file: { kind: 'local', path: resolve(baseDir, model.modelJson) }, weights: {} };
  return { kind: 'layers', layers: (model.layers ?? []).map(compileLayer) };
}

/** Optional axes appear only when written, so equal specs compile to equal (and equally hashed) values. */
function compileGrid(grid: SweepSpecInput['grid']): GridAxes {
  const axes: { -readonly [Axis in keyof GridAxes]: GridAxes[Axis] } = {
    learningRate: grid.learningRate,
    factor: grid.factor,
    patience: grid.patience,
  };
  if (grid.minDelta !== undefined) axes.minDelta = grid.minDelta;
  if (grid.cooldown !== undefined) axes.cooldown = grid.cooldown;
  if (grid.minLr !== undefined) axes.minLr = grid.minLr;
  if (grid.batchSize !== undefined) axes.batchSize = grid.batchSize;
  return axes;
}

function compileEarlyStop(input: NonNullable<SweepSpecInput['earlyStop']>): EarlyStopSpec {
  const defaults = SPEC_DEFAULTS.earlyStop;
  return {
    rule: input.rule,
    gracePeriod: input.gracePeriod ?? defaults.gracePeriod,
    minTrials: input.minTrials ?? defaults.minTrials,
    reductionFactor: input.reductionFactor ?? defaults.reductionFactor,
    plateauGuard: input.plateauGuard ?? defaults.plateauGuard,
    rankStopped: input.rankStopped ?? defaults.rankStopped,
  };
}

/**
 * Applies defaults and resolves paths. Expects `checkInput` to have passed: a batch size
 * is given either in workload or as a grid axis (the axis's first value then stands in).
 */
export function compileSpec(input: SweepSpecInput, baseDir: string): SweepSpec {
  const batchSize = input.workload.batchSize ?? input.grid.batchSize?.[0];
  if (batchSize === undefined) throw new Error('compileSpec: no batch size; checkInput must run first');
  const workload: WorkloadSpec = {
    dataset: compileDataset(input.workload.dataset, baseDir),
    model: compileModel(input.workload.model, baseDir),
    loss: input.workload.loss ?? SPEC_DEFAULTS.workload.loss,
    metrics: input.workload.metrics ?? SPEC_DEFAULTS.workload.metrics,
    optimizer: input.workload.optimizer ?? SPEC_DEFAULTS.workload.optimizer,
    batchSize,
    epochs: input.workload.epochs,
    seed: input.workload.seed,
  };
  const monitor = input.plateau?.monitor ?? SPEC_DEFAULTS.plateau.monitor;
  const metric = input.objective?.metric ?? monitor;
  return {
    name: input.name,
    workload,
    plateau: {
      monitor,
      mode: input.plateau?.mode ?? SPEC_DEFAULTS.plateau.mode,
      minDelta: input.plateau?.minDelta ?? SPEC_DEFAULTS.plateau.minDelta,
      cooldown: input.plateau?.cooldown ?? SPEC_DEFAULTS.plateau.cooldown,
      minLr: input.plateau?.minLr ?? SPEC_DEFAULTS.plateau.minLr,
    },
    grid: compileGrid(input.grid),
    repeats: input.repeats ?? SPEC_DEFAULTS.repeats,
    objective: {
      metric,
      goal: input.objective?.goal ?? defaultGoal(metric),
      use: input.objective?.use ?? SPEC_DEFAULTS.objectiveUse,
    },
    maxAttempts: input.maxAttempts ?? SPEC_DEFAULTS.maxAttempts,
    ...(input.earlyStop === undefined ? {} : { earlyStop: compileEarlyStop(input.earlyStop) }),
  };
}
