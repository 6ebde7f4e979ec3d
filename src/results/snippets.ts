// The winning configuration as code to paste: Keras (Python) and tfjs with our callback.
// Numbers print in their shortest round-trip form (0.003, never 0.0030000001), which both
// Python and JavaScript read back as the same double.
import type { SweepSpec } from '../spec/sweep-spec.js';
import type { LossName, OptimizerName, TrialConfig } from '../trial/types.js';

/**
 * Momentum the trainer gives tfjs `momentum` optimizers (Keras: SGD with momentum). Kept equal
 * to src/train/optimizers.ts MOMENTUM (a test checks) without loading tfjs here.
 */
export const MOMENTUM_VALUE = 0.9;

const KERAS_OPTIMIZER: Readonly<Record<OptimizerName, string>> = {
  sgd: 'SGD',
  momentum: 'SGD',
  adam: 'Adam',
  rmsprop: 'RMSprop',
  adagrad: 'Adagrad',
  adadelta: 'Adadelta',
  adamax: 'Adamax',
};

const KERAS_LOSS: Readonly<Record<LossName, string>> = {
  meanSquaredError: "'mean_squared_error'",
  meanAbsoluteError: "'mean_absolute_error'",
  binaryCrossentropy: "'binary_crossentropy'",
  categoricalCrossentropy: "'categorical_crossentropy'",
  sparseCategoricalCrossentropy: "'sparse_categorical_crossentropy'",
  huberLoss: 'tf.keras.losses.Huber()',
};

const TFJS_LOSS: Readonly<Record<LossName, string>> = {
  meanSquaredError: "'meanSquaredError'",
  meanAbsoluteError: "'meanAbsoluteError'",
  binaryCrossentropy: "'binaryCrossentropy'",
  categoricalCrossentropy: "'categoricalCrossentropy'",
  sparseCategoricalCrossentropy: "'sparseCategoricalCrossentropy'",
  // tfjs-layers has no 'huber' loss name; the ops-level loss takes (labels, predictions).
  huberLoss: '(yTrue, yPred) => tf.losses.huberLoss(yTrue, yPred)',
};

/** Shortest round-trip decimal: what a person wrote in the spec. */
export function exactNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`cannot print ${String(value)} as a literal`);
  return Object.is(value, -0) ? '0' : String(value);
}

function pythonString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

function jsString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/** A comment line naming the sweep; JSON quoting keeps any odd name on one line. */
function provenance(spec: SweepSpec): string {
  return `Best configuration from plateau-sweep ${JSON.stringify(spec.name)}`;
}

/** Keras (Python, TF 2.x) code that trains with `config` as the sweep did. */
export function kerasSnippet(spec: SweepSpec, config: TrialConfig): string {
  const { workload, plateau } = spec;
  const lr = exactNumber(config.learningRate);
  const optimizerArgs = workload.optimizer === 'momentum' ? `learning_rate=${lr}, momentum=${exactNumber(MOMENTUM_VALUE)}` : `learning_rate=${lr}`;
  const metrics = workload.metrics.length === 0 ? '' : `, metrics=[${workload.metrics.map(pythonString).join(', ')}]`;
  return [
    `# ${provenance(spec)}`,
    'import tensorflow as tf',
    '',
    `optimizer = tf.keras.optimizers.${KERAS_OPTIMIZER[workload.optimizer]}(${optimizerArgs})`,
    'reduce_lr = tf.keras.callbacks.ReduceLROnPlateau(',
    `    monitor=${pythonString(plateau.monitor)},`,
    `    factor=${exactNumber(config.factor)},`,
    `    patience=${exactNumber(config.patience)},`,
    `    mode=${pythonString(plateau.mode)},`,
    `    min_delta=${exactNumber(config.minDelta)},`,
    `    cooldown=${exactNumber(config.cooldown)},`,
    `    min_lr=${exactNumber(config.minLr)},`,
    ')',
    `model.compile(optimizer=optimizer, loss=${KERAS_LOSS[workload.loss]}${metrics})`,
    'model.fit(',
    '    x_train, y_train,',
    '    validation_data=(x_val, y_val),',
    `    epochs=${exactNumber(workload.epochs)},`,
    `    batch_size=${exactNumber(config.batchSize)},`,
    '    callbacks=[reduce_lr],',
    ')',
    '',
  ].join('\n');
}

/** TypeScript for tfjs with plateau-sweep's exact ReduceLROnPlateau callback. */
export function tfjsSnippet(spec: SweepSpec, config: TrialConfig): string {
  const { workload, plateau } = spec;
  const lr = exactNumber(config.learningRate);
  const optimizer =
    workload.optimizer === 'momentum' ? `tf.train.momentum(${lr}, ${exactNumber(MOMENTUM_VALUE)})` : `tf.train.${workload.optimizer}(${lr})`;
  const metrics = workload.metrics.length === 0 ? '' : `, metrics: [${workload.metrics.map(jsString).join(', ')}]`;
  return [
    `// ${provenance(spec)}`,
    "import * as tf from '@tensorflow/tfjs';",
    "import { reduceLROnPlateau } from 'plateau-sweep';",
    '',
    `model.compile({ optimizer: ${optimizer}, loss: ${TFJS_LOSS[workload.loss]}${metrics} });`,
    'await model.fit(xTrain, yTrain, {',
    '  validationData: [xVal, yVal],',
    `  epochs: ${exactNumber(workload.epochs)},`,
    `  batchSize: ${exactNumber(config.batchSize)},`,
    '  callbacks: [',
    '    reduceLROnPlateau({',
    `      monitor: ${jsString(plateau.monitor)},`,
    `      factor: ${exactNumber(config.factor)},`,
    `      patience: ${exactNumber(config.patience)},`,
    `      mode: ${jsString(plateau.mode)},`,
    `      minDelta: ${exactNumber(config.minDelta)},`,
    `      cooldown: ${exactNumber(config.cooldown)},`,
    `      minLr: ${exactNumber(config.minLr)},`,
    '    }),',
    '  ],',
    '});',
    '',
  ].join('\n');
}
