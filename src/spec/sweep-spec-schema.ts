// The compiled SweepSpec as it travels as JSON (client → coordinator): every field present,
// files as artifacts (or shared paths), model in its internal form. Re-validated on arrival, never trusted.
import { z } from 'zod';
import { remoteFileRefSchema, weightFilesSchema } from '../artifacts/file-ref-schema.js';
import {
  activation,
  arrayKey,
  decayFactor,
  dropoutRate,
  epochCount,
  gridAxis,
  learningRate,
  loss,
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
  z.strictObject({ kind: z.literal('dense'), units: positiveInteger('dense units'), activation }),
  z.strictObject({ kind: z.literal('dropout'), rate: dropoutRate }),
  z.strictObject({ kind: z.literal('batchNorm') }),
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
  grid: z.strictObject({
    learningRate: gridAxis('learningRate', learningRate),
    factor: gridAxis('factor', decayFactor),
    patience: gridAxis('patience', epochCount('patience')),
    minDelta: gridAxis('minDelta', nonNegative('minDelta')).optional(),
    cooldown: gridAxis('cooldown', epochCount('cooldown')).optional(),
    minLr: gridAxis('minLr', nonNegative('minLr')).optional(),
    batchSize: gridAxis('batchSize', positiveInteger('batchSize')).optional(),
  }),
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
