// The compiled SweepSpec as it travels as JSON (client → coordinator): every field present,
// files as artifacts (or shared paths), model in its internal form. Re-validated on arrival, never trusted.
import { z } from 'zod';
import { remoteFileRefSchema, weightFilesSchema } from '../artifacts/file-ref-schema.js';
import {
  activation,
  arrayKey,
  compiledAxisDomain,
  searchCount,
  classCount,
  decayFactor,
  dropoutRate,
  epochCount,
  learningRate,
  loss,
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

const dataset = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('synthetic-regression'),
    samples: positiveInteger('samples'),
    features: positiveInteger('features'),
    noise: nonNegative('noise'),
    seed,
    validationSplit,
  }),
  z.strictObject({
    kind: z.literal('two-spirals'),
    samples: positiveInteger('samples'),
    noise: nonNegative('noise'),
    seed,
    validationSplit,
  }),
  z.strictObject({
    kind: z.literal('synthetic-images'),
    samples: positiveInteger('samples'),
    height: positiveInteger('height'),
    width: positiveInteger('width'),
    channels: positiveInteger('channels'),
    classes: positiveInteger('classes'),
    seed,
    validationSplit,
  }),
  z.strictObject({
    kind: z.literal('synthetic-classification'),
    samples: positiveInteger('samples'),
    features: positiveInteger('features'),
    classes: classCount,
    oneHot: z.boolean(),
    seed,
    validationSplit,
  }),
  z.strictObject({ kind: z.literal('csv'), train: remoteFileRefSchema, validation: remoteFileRefSchema, target: nonEmptyString('the target column name'), standardize: z.boolean() }),
  z.strictObject({
    kind: z.literal('npz'),
    train: remoteFileRefSchema,
    validation: remoteFileRefSchema.optional(),
    x: arrayKey,
    y: arrayKey,
    validationSplit,
    standardize: z.boolean(),
  }),
]);

const layer = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('dense'),
    units: positiveInteger('dense units'),
    activation,
    kernelRegularizer: z.strictObject({ l1: penaltyFactor('kernelRegularizer.l1'), l2: penaltyFactor('kernelRegularizer.l2') }).optional(),
  }),
  z.strictObject({ kind: z.literal('dropout'), rate: dropoutRate }),
  z.strictObject({ kind: z.literal('batchNorm') }),
  z.strictObject({ kind: z.literal('conv2d'), filters: positiveInteger('conv2d filters'), kernelSize: positiveInteger('kernelSize'), strides: positiveInteger('strides'), padding, activation }),
  z.strictObject({ kind: z.enum(['maxPooling2d', 'averagePooling2d']), poolSize: positiveInteger('poolSize'), strides: positiveInteger('strides'), padding }),
  z.strictObject({ kind: z.literal('flatten') }),
  z.strictObject({ kind: z.literal('layerNorm') }),
]);

const model = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('layers'),
    layers: z.array(layer).refine((layers) => layers.length > 0, rule('at least one layer', 'a model needs at least one layer')),
  }),
  z.strictObject({ kind: z.literal('modelJson'), file: remoteFileRefSchema, weights: weightFilesSchema }),
]);

export const sweepSpecSchema = z.strictObject({
  name: sweepName(),
  workload: z.strictObject({
    dataset,
    model,
    loss,
    metrics: z.array(nonEmptyString('a metric name')),
    optimizer,
    batchSize: positiveInteger('batchSize'),
    epochs: positiveInteger('epochs'),
    seed,
  }),
  plateau: z.strictObject({
    monitor: nonEmptyString('a metric name'),
    mode: plateauMode,
    minDelta: nonNegative('minDelta'),
    cooldown: epochCount('cooldown'),
    minLr: nonNegative('minLr'),
  }),
  // A range on a grid search is refused by checkSpec (checks.ts), as for the YAML form.
  grid: z.strictObject({
    learningRate: compiledAxisDomain('learningRate', learningRate),
    factor: compiledAxisDomain('factor', decayFactor),
    patience: compiledAxisDomain('patience', epochCount('patience')),
    minDelta: compiledAxisDomain('minDelta', nonNegative('minDelta')).optional(),
    cooldown: compiledAxisDomain('cooldown', epochCount('cooldown')).optional(),
    minLr: compiledAxisDomain('minLr', nonNegative('minLr')).optional(),
    batchSize: compiledAxisDomain('batchSize', positiveInteger('batchSize')).optional(),
  }),
  search: z.strictObject({ method: z.enum(['random', 'sobol']), count: searchCount, seed }).optional(),
  repeats: positiveInteger('repeats'),
  objective: z.strictObject({ metric: nonEmptyString('a metric name'), goal: objectiveGoal, use: objectiveUse }),
  maxAttempts: positiveInteger('maxAttempts'),
  earlyStop: z
    .strictObject({
      rule: stopRule,
      gracePeriod: positiveInteger('gracePeriod'),
      minTrials: positiveInteger('minTrials'),
      reductionFactor,
      plateauGuard: z.boolean(),
      rankStopped,
    })
    .optional(),
});
