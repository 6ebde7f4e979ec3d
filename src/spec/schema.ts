// The user-facing YAML spec (DESIGN.md "The sweep spec"): camelCase keys, strict objects,
// optional fields left undefined here — compile.ts applies the defaults (defaults.ts).
import { z } from 'zod';
import {
  activation,
  arrayKey,
  axisDomain,
  searchCount,
  searchMethod,
  classCount,
  decayFactor,
  dropoutRate,
  epochCount,
  learningRate,
  loss,
  metric,
  nonEmptyString,
  sweepName,
  nonNegative,
  objectiveGoal,
  objectiveUse,
  optimizer,
  padding,
  penaltyFactor,
  plateauMode,
  positiveInteger,
  rankStopped,
  reductionFactor,
  rule,
  seed,
  stopRule,
  validationSplit,
} from './rules.js';

const syntheticRegressionDataset = z.strictObject({
  kind: z.literal('synthetic-regression'),
  samples: positiveInteger('samples'),
  features: positiveInteger('features'),
  noise: nonNegative('noise').optional(),
  seed,
  validationSplit: validationSplit.optional(),
});

const twoSpiralsDataset = z.strictObject({
  kind: z.literal('two-spirals'),
  samples: positiveInteger('samples'),
  noise: nonNegative('noise').optional(),
  seed,
  validationSplit: validationSplit.optional(),
});

/** Seeded images of class patterns (synthetic-images.ts), for small CNNs. */
const syntheticImagesDataset = z.strictObject({
  kind: z.literal('synthetic-images'),
  samples: positiveInteger('samples'),
  height: positiveInteger('height'),
  width: positiveInteger('width'),
  channels: positiveInteger('channels').optional(),
  classes: positiveInteger('classes').optional(),
  seed,
  validationSplit: validationSplit.optional(),
});

const syntheticClassificationDataset = z.strictObject({
  kind: z.literal('synthetic-classification'),
  samples: positiveInteger('samples'),
  features: positiveInteger('features'),
  classes: classCount,
  /** y as one column of class labels (default, for sparseCategoricalCrossentropy) or one-hot rows (categoricalCrossentropy). */
  oneHot: z.boolean().optional(),
  seed,
  validationSplit: validationSplit.optional(),
});

const csvDataset = z.strictObject({
  kind: z.literal('csv'),
  train: nonEmptyString('a CSV file path'),
  validation: nonEmptyString('a CSV file path'),
  target: nonEmptyString('the target column name'),
  standardize: z.boolean().optional(),
  /** `client` (default): the files travel with the sweep. `shared`: read in place on every agent (a shared mount). */
  location: z.enum(['client', 'shared']).optional(),
});

const npzDataset = z.strictObject({
  kind: z.literal('npz'),
  train: nonEmptyString('an .npz file path'),
  validation: nonEmptyString('an .npz file path').optional(),
  x: arrayKey.optional(),
  y: arrayKey.optional(),
  validationSplit: validationSplit.optional(),
  standardize: z.boolean().optional(),
  /** As for csv: `client` (default) travels with the sweep, `shared` is read in place on every agent. */
  location: z.enum(['client', 'shared']).optional(),
});

const dataset = z.discriminatedUnion('kind', [syntheticRegressionDataset, twoSpiralsDataset, syntheticImagesDataset, syntheticClassificationDataset, csvDataset, npzDataset], {
  // zod types this map as union-only, but a non-mapping arrives here as invalid_type too.
  error: (issue) => (issue.code === 'invalid_union' ? undefined : 'expected a dataset: { kind: synthetic-regression | two-spirals | synthetic-classification | synthetic-images | csv | npz, … }'),
});

const LAYER_FORMS = '{dense: <units>, activation: <name>, kernelRegularizer: {l1, l2}}, {dropout: <rate>}, batchNorm, layerNorm, {conv2d: {filters, kernelSize, …}}, {maxPooling2d: {poolSize}}, {averagePooling2d: {poolSize}} or flatten';

/** conv2d's options: a square kernel, equal strides (default 1), padding valid (default) or same. */
const conv2dOptions = z.strictObject({
  filters: positiveInteger('conv2d filters'),
  kernelSize: positiveInteger('conv2d kernelSize'),
  strides: positiveInteger('conv2d strides').optional(),
  padding: padding.optional(),
  activation: activation.optional(),
});

/** A pooling layer's options: a square window, strides (default poolSize), padding valid (default) or same. */
const poolingOptions = z.strictObject({
  poolSize: positiveInteger('poolSize'),
  strides: positiveInteger('pooling strides').optional(),
  padding: padding.optional(),
});

const LAYER_KEYS = ['dense', 'dropout', 'batchNorm', 'layerNorm', 'conv2d', 'maxPooling2d', 'averagePooling2d', 'flatten'] as const;
const LAYER_KEY_LIST = `${LAYER_KEYS.slice(0, -1).join(', ')} or ${LAYER_KEYS[LAYER_KEYS.length - 1] ?? ''}`;

/** tfjs-layers' l1l2: either factor may be left out (0). */
const kernelRegularizer = z
  .strictObject(
    { l1: penaltyFactor('kernelRegularizer.l1').optional(), l2: penaltyFactor('kernelRegularizer.l2').optional() },
    { error: (issue) => (issue.code === 'invalid_type' ? 'expected a kernel regularizer: {l1: <factor>, l2: <factor>}' : undefined) },
  )
  .refine((value) => value.l1 !== undefined || value.l2 !== undefined, rule('l1 or l2', 'a kernelRegularizer needs l1 or l2 (or both)'));

/** Keys that belong to a dense layer only. */
const DENSE_OPTIONS = ['activation', 'kernelRegularizer'] as const;

/** One mapping with the keys of every layer form; exactly one form's key must be present. */
const layerMapping = z
  .strictObject(
    {
      dense: positiveInteger('dense units').optional(),
      activation: activation.optional(),
      dropout: dropoutRate.optional(),
      kernelRegularizer: kernelRegularizer.optional(),
      batchNorm: z.strictObject({}).nullable().optional(),
      conv2d: conv2dOptions.optional(),
      maxPooling2d: poolingOptions.optional(),
      averagePooling2d: poolingOptions.optional(),
      flatten: z.strictObject({}).nullable().optional(),
      layerNorm: z.strictObject({}).nullable().optional(),
    },
    { error: (issue) => (issue.code === 'invalid_type' ? `expected a layer: ${LAYER_FORMS}` : undefined) },
  )
  .superRefine((layer, context) => {
    const forms = LAYER_KEYS.filter((form) => layer[form] !== undefined);
    if (forms.length !== 1) {
      context.addIssue({
        code: 'custom',
        input: layer,
        ...rule(`exactly one of ${LAYER_KEYS.join(', ')}`, `a layer needs exactly one of ${LAYER_KEY_LIST} (found ${forms.length === 0 ? 'none' : forms.join(' and ')})`),
      });
    } else if (layer.dense === undefined) {
      for (const option of DENSE_OPTIONS) {
        if (layer[option] !== undefined) context.addIssue({ code: 'custom', input: layer, path: [option], ...rule(`${option} only on a dense layer`, `${option} belongs to a dense layer`) });
      }
    }
  });

/** `- batchNorm`, `- layerNorm` and `- flatten` (bare words) are shorthand for `- {batchNorm: {}}` and so on. */
const layer = z.preprocess((value) => (value === 'batchNorm' || value === 'layerNorm' || value === 'flatten' ? { [value]: {} } : value), layerMapping);

const model = z
  .strictObject(
    {
      layers: z
        .array(layer, { error: (issue) => (issue.code === 'invalid_type' ? `expected a list of layers: ${LAYER_FORMS}` : undefined) })
        .refine((layers) => layers.length > 0, rule('at least one layer', 'a model needs at least one layer'))
        .optional(),
      modelJson: nonEmptyString('a model.json path').optional(),
    },
    { error: (issue) => (issue.code === 'invalid_type' ? 'expected a model: { layers: [...] } or { modelJson: path/to/model.json }' : undefined) },
  )
  .superRefine((value, context) => {
    if ((value.layers === undefined) === (value.modelJson === undefined)) {
      context.addIssue({
        code: 'custom',
        input: value,
        ...rule('exactly one of layers, modelJson', 'a model is given by exactly one of layers or modelJson'),
      });
    }
  });

const workload = z.strictObject({
  dataset,
  model,
  loss: loss.optional(),
  metrics: z.array(metric).optional(),
  optimizer: optimizer.optional(),
  /** Optional here only because a grid.batchSize axis may take its place (checks.ts). */
  batchSize: positiveInteger('batchSize').optional(),
  epochs: positiveInteger('epochs'),
  seed,
});

const plateau = z.strictObject({
  monitor: nonEmptyString('a metric name').optional(),
  mode: plateauMode.optional(),
  minDelta: nonNegative('minDelta').optional(),
  cooldown: epochCount('cooldown').optional(),
  minLr: nonNegative('minLr').optional(),
});

/** Each axis a list, or (method random or sobol only: checks.ts) a range whose scale defaults to linear. */
const grid = z.strictObject({
  learningRate: axisDomain('learningRate', learningRate),
  factor: axisDomain('factor', decayFactor),
  patience: axisDomain('patience', epochCount('patience')),
  minDelta: axisDomain('minDelta', nonNegative('minDelta')).optional(),
  cooldown: axisDomain('cooldown', epochCount('cooldown')).optional(),
  minLr: axisDomain('minLr', nonNegative('minLr')).optional(),
  batchSize: axisDomain('batchSize', positiveInteger('batchSize')).optional(),
});

const objective = z.strictObject({
  metric: nonEmptyString('a metric name').optional(),
  goal: objectiveGoal.optional(),
  use: objectiveUse.optional(),
});

/** Early stopping (issue 18, docs/early-stopping.md); absent: every trial runs all its epochs. */
const earlyStop = z.strictObject(
  {
    rule: stopRule,
    gracePeriod: positiveInteger('gracePeriod').optional(),
    minTrials: positiveInteger('minTrials').optional(),
    reductionFactor: reductionFactor.optional(),
    plateauGuard: z.boolean().optional(),
    rankStopped: rankStopped.optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'expected early stopping: { rule: median | asha, gracePeriod, minTrials, reductionFactor, plateauGuard, rankStopped }' : undefined) },
);

export const sweepSpecInputSchema = z.strictObject(
  {
    name: sweepName(),
    workload,
    plateau: plateau.optional(),
    /** grid (default): every combination of the axes; random, sobol: `count` points sampled from them. */
    method: searchMethod.optional(),
    count: searchCount.optional(),
    /** Seeds a random or sobol search; default workload.seed. */
    searchSeed: seed.optional(),
    grid,
    repeats: positiveInteger('repeats').optional(),
    objective: objective.optional(),
    maxAttempts: positiveInteger('maxAttempts').optional(),
    earlyStop: earlyStop.optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'expected a sweep spec: a mapping with name, workload, plateau, grid, …' : undefined) },
);

/** The spec as written, validated but not yet defaulted. */
export type SweepSpecInput = z.output<typeof sweepSpecInputSchema>;
export type LayerInput = z.output<typeof layerMapping>;
