// The user-facing YAML spec (DESIGN.md "The sweep spec"): camelCase keys, strict objects,
// optional fields left undefined here — compile.ts applies the defaults (defaults.ts).
import { z } from 'zod';
import {
  activation,
  arrayKey,
  decayFactor,
  dropoutRate,
  epochCount,
  gridAxis,
  learningRate,
  loss,
  metric,
  nonEmptyString,
  sweepName,
  nonNegative,
  objectiveGoal,
  objectiveUse,
  optimizer,
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

const dataset = z.discriminatedUnion('kind', [syntheticRegressionDataset, twoSpiralsDataset, csvDataset, npzDataset], {
  // zod types this map as union-only, but a non-mapping arrives here as invalid_type too.
  error: (issue) => (issue.code === 'invalid_union' ? undefined : 'expected a dataset: { kind: synthetic-regression | two-spirals | csv | npz, … }'),
});

const LAYER_FORMS = '{dense: <units>, activation: <name>}, {dropout: <rate>} or batchNorm';

/** One mapping with the keys of every layer form; exactly one form's key must be present. */
const layerMapping = z
  .strictObject(
    {
      dense: positiveInteger('dense units').optional(),
      activation: activation.optional(),
      dropout: dropoutRate.optional(),
      batchNorm: z.strictObject({}).nullable().optional(),
    },
    { error: (issue) => (issue.code === 'invalid_type' ? `expected a layer: ${LAYER_FORMS}` : undefined) },
  )
  .superRefine((layer, context) => {
    const forms = (['dense', 'dropout', 'batchNorm'] as const).filter((form) => layer[form] !== undefined);
    if (forms.length !== 1) {
      context.addIssue({
        code: 'custom',
        input: layer,
        ...rule('exactly one of dense, dropout, batchNorm', `a layer needs exactly one of dense, dropout or batchNorm (found ${forms.length === 0 ? 'none' : forms.join(' and ')})`),
      });
    } else if (layer.activation !== undefined && layer.dense === undefined) {
      context.addIssue({ code: 'custom', input: layer, path: ['activation'], ...rule('activation only on a dense layer', 'activation belongs to a dense layer') });
    }
  });

/** `- batchNorm` (a bare word) is shorthand for `- {batchNorm: {}}`. */
const layer = z.preprocess((value) => (value === 'batchNorm' ? { batchNorm: {} } : value), layerMapping);

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

const grid = z.strictObject({
  learningRate: gridAxis('learningRate', learningRate),
  factor: gridAxis('factor', decayFactor),
  patience: gridAxis('patience', epochCount('patience')),
  minDelta: gridAxis('minDelta', nonNegative('minDelta')).optional(),
  cooldown: gridAxis('cooldown', epochCount('cooldown')).optional(),
  minLr: gridAxis('minLr', nonNegative('minLr')).optional(),
  batchSize: gridAxis('batchSize', positiveInteger('batchSize')).optional(),
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
