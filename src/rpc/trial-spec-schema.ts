// The TrialSpec as it arrives over the wire (Lease.trial_spec_json), checked once at the
// edge so the agent and its workers only ever see a well-formed TrialSpec.
import { z } from 'zod';
import { remoteFileRefSchema, weightFilesSchema } from '../artifacts/file-ref-schema.js';
import type { TrialSpec } from '../trial/types.js';

const finite = z.number().refine(Number.isFinite, 'a finite number');
const nonNegativeInt = z.number().int().nonnegative();
const positiveInt = z.number().int().positive();

/** An .npz array key: bounded, and never a path inside the archive. */
const arrayKey = z
  .string()
  .min(1)
  .max(255)
  .refine((key) => !/[/\\\0]/.test(key), 'an array name without / or \\');

const activation = z.enum(['linear', 'relu', 'tanh', 'sigmoid', 'elu', 'selu', 'softplus', 'softmax', 'swish', 'gelu']);

const dataset = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('synthetic-regression'),
    samples: positiveInt,
    features: positiveInt,
    noise: finite,
    seed: z.number().int(),
    validationSplit: finite,
  }),
  z.strictObject({
    kind: z.literal('synthetic-images'),
    samples: positiveInt,
    height: positiveInt,
    width: positiveInt,
    channels: positiveInt,
    classes: positiveInt,
    seed: z.number().int(),
    validationSplit: finite,
  }),
  z.strictObject({ kind: z.literal('two-spirals'), samples: positiveInt, noise: finite, seed: z.number().int(), validationSplit: finite }),
  z.strictObject({
    kind: z.literal('synthetic-classification'),
    samples: positiveInt,
    features: positiveInt,
    classes: positiveInt.max(1_000),
    oneHot: z.boolean(),
    seed: z.number().int(),
    validationSplit: finite,
  }),
  z.strictObject({ kind: z.literal('csv'), train: remoteFileRefSchema, validation: remoteFileRefSchema, target: z.string().min(1), standardize: z.boolean() }),
  z.strictObject({
    kind: z.literal('npz'),
    train: remoteFileRefSchema,
    validation: remoteFileRefSchema.optional(),
    x: arrayKey,
    y: arrayKey,
    validationSplit: finite,
    standardize: z.boolean(),
  }),
]);

const layer = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('dense'), units: positiveInt, activation, kernelRegularizer: z.strictObject({ l1: finite, l2: finite }).optional() }),
  z.strictObject({ kind: z.literal('dropout'), rate: finite }),
  z.strictObject({ kind: z.literal('batchNorm') }),
  z.strictObject({ kind: z.literal('conv2d'), filters: positiveInt, kernelSize: positiveInt, strides: positiveInt, padding: z.enum(['valid', 'same']), activation }),
  z.strictObject({ kind: z.enum(['maxPooling2d', 'averagePooling2d']), poolSize: positiveInt, strides: positiveInt, padding: z.enum(['valid', 'same']) }),
  z.strictObject({ kind: z.literal('flatten') }),
  z.strictObject({ kind: z.literal('layerNorm') }),
]);

const model = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('layers'), layers: z.array(layer) }),
  z.strictObject({ kind: z.literal('modelJson'), file: remoteFileRefSchema, weights: weightFilesSchema }),
]);

const workload = z.strictObject({
  dataset,
  model,
  loss: z.enum(['meanSquaredError', 'meanAbsoluteError', 'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'huberLoss']),
  metrics: z.array(z.string()),
  optimizer: z.enum(['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'adamax']),
  batchSize: positiveInt,
  epochs: positiveInt,
  seed: z.number().int(),
});

export const trialSpecSchema = z.strictObject({
  id: z.string().min(1),
  workload,
  plateau: z.strictObject({ monitor: z.string().min(1), mode: z.enum(['auto', 'min', 'max']) }),
  config: z.strictObject({
    learningRate: finite,
    factor: finite,
    patience: nonNegativeInt,
    minDelta: finite,
    cooldown: nonNegativeInt,
    minLr: finite,
    batchSize: positiveInt,
  }),
  repeat: nonNegativeInt,
  seed: z.number().int(),
  objective: z.strictObject({ metric: z.string().min(1), goal: z.enum(['minimize', 'maximize']), use: z.enum(['final', 'best']) }),
});

/** The TrialSpec with its workload left unchecked: for a workload already checked (see wire.ts). */
export const trialSpecShellSchema = trialSpecSchema.extend({ workload: z.unknown() });

// Compile-time proof that the schema and the domain type say the same thing.
type Parsed = z.infer<typeof trialSpecSchema>;
const sameShape: (value: Parsed) => TrialSpec = (value) => value;
void sameShape;
