// Validated input → the fully-defaulted SweepSpec: defaults from defaults.ts, layers in
// their internal form, every file a FileRef with an absolute path (relative to the spec
// file's directory): `local` (staged as an artifact before it leaves the client) or `shared`.
import { resolve } from 'node:path';
import type { FileRef } from '../artifacts/file-ref.js';
import type { EarlyStopSpec } from '../stopping/stop-types.js';
import type { DatasetSpec, LayerSpec, ModelSpec, WorkloadSpec } from '../trial/types.js';
import { defaultGoal, SPEC_DEFAULTS } from './defaults.js';
import type { LayerInput, SweepSpecInput } from './schema.js';
import type { AxisDomain, GridAxes, SampledSearch, SweepSpec } from './sweep-spec.js';

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
    case 'synthetic-images':
      return {
        kind: 'synthetic-images',
        samples: dataset.samples,
        height: dataset.height,
        width: dataset.width,
        channels: dataset.channels ?? SPEC_DEFAULTS.dataset.channels,
        classes: dataset.classes ?? SPEC_DEFAULTS.dataset.classes,
        seed: dataset.seed,
        validationSplit: dataset.validationSplit ?? SPEC_DEFAULTS.dataset.validationSplit,
      };
    case 'synthetic-classification':
      return {
        kind: dataset.kind,
        samples: dataset.samples,
        features: dataset.features,
        classes: dataset.classes,
        oneHot: dataset.oneHot ?? false,
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
  if (layer.dense !== undefined) {
    const dense = { kind: 'dense' as const, units: layer.dense, activation: layer.activation ?? SPEC_DEFAULTS.activation };
    // Written only when given, so specs without one compile (and hash) as before.
    const regularizer = layer.kernelRegularizer;
    return regularizer === undefined ? dense : { ...dense, kernelRegularizer: { l1: regularizer.l1 ?? 0, l2: regularizer.l2 ?? 0 } };
  }
  if (layer.dropout !== undefined) return { kind: 'dropout', rate: layer.dropout };
  if (layer.conv2d !== undefined) {
    const { filters, kernelSize, strides, padding, activation } = layer.conv2d;
    return { kind: 'conv2d', filters, kernelSize, strides: strides ?? 1, padding: padding ?? 'valid', activation: activation ?? SPEC_DEFAULTS.activation };
  }
  // Keras's pooling defaults: strides = poolSize, valid padding.
  if (layer.maxPooling2d !== undefined) return { kind: 'maxPooling2d', poolSize: layer.maxPooling2d.poolSize, strides: layer.maxPooling2d.strides ?? layer.maxPooling2d.poolSize, padding: layer.maxPooling2d.padding ?? 'valid' };
  if (layer.averagePooling2d !== undefined) {
    return { kind: 'averagePooling2d', poolSize: layer.averagePooling2d.poolSize, strides: layer.averagePooling2d.strides ?? layer.averagePooling2d.poolSize, padding: layer.averagePooling2d.padding ?? 'valid' };
  }
  if (layer.flatten !== undefined) return { kind: 'flatten' };
  if (layer.layerNorm !== undefined) return { kind: 'layerNorm' };
  return { kind: 'batchNorm' };
}

function compileModel(model: ModelInput, baseDir: string): ModelSpec {
  // Weight shards are found (in the model.json's weightsManifest) when the files are staged.
  if (model.modelJson !== undefined) return { kind: 'modelJson', file: { kind: 'local', path: resolve(baseDir, model.modelJson) }, weights: {} };
  return { kind: 'layers', layers: (model.layers ?? []).map(compileLayer) };
}

type AxisInput = SweepSpecInput['grid']['learningRate'];
type RangeInput = Exclude<AxisInput, readonly number[]>;

const isRangeInput = (axis: AxisInput): axis is RangeInput => !Array.isArray(axis);

/** A list as written; a range with its scale (linear unless written). */
function compileAxis(axis: AxisInput): AxisDomain {
  return isRangeInput(axis) ? { min: axis.min, max: axis.max, scale: axis.scale ?? 'linear' } : axis;
}

/** Optional axes appear only when written, so equal specs compile to equal (and equally hashed) values. */
function compileGrid(grid: SweepSpecInput['grid']): GridAxes {
  const axes: { -readonly [Axis in keyof GridAxes]: GridAxes[Axis] } = {
    learningRate: compileAxis(grid.learningRate),
    factor: compileAxis(grid.factor),
    patience: compileAxis(grid.patience),
  };
  if (grid.minDelta !== undefined) axes.minDelta = compileAxis(grid.minDelta);
  if (grid.cooldown !== undefined) axes.cooldown = compileAxis(grid.cooldown);
  if (grid.minLr !== undefined) axes.minLr = compileAxis(grid.minLr);
  if (grid.batchSize !== undefined) axes.batchSize = compileAxis(grid.batchSize);
  return axes;
}

/** A random or sobol search (checkInput has made sure it has a count); undefined for a grid. */
function compileSearch(input: SweepSpecInput): SampledSearch | undefined {
  const method = input.method ?? 'grid';
  if (method === 'grid') return undefined;
  if (input.count === undefined) throw new Error('compileSpec: a sampled search without count; checkInput must run first');
  // The default seed is the workload's: the same spec samples the same points.
  return { method, count: input.count, seed: input.searchSeed ?? input.workload.seed };
}

/** The batch size a workload names when the batch size is an axis: the list's first value, the range's least. */
function firstBatchSize(axis: AxisInput | undefined): number | undefined {
  if (axis === undefined) return undefined;
  return isRangeInput(axis) ? axis.min : axis[0];
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
  const batchSize = input.workload.batchSize ?? firstBatchSize(input.grid.batchSize);
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
  const search = compileSearch(input);
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
    ...(search === undefined ? {} : { search }),
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
