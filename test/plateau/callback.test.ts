// The tfjs callback on a real (tiny) model, cpu backend. The effect of a reduction is measured on
// the weights: one weight, one sample, one step per epoch, mean-absolute-error loss with target far
// above the prediction, so the gradient is -1 at every step whatever the weight. Every supported
// optimizer's state then evolves independently of the learning rate, and its step is linear in it:
// after a reduction by `factor`, the step must be exactly `factor` times the step of an identical
// run without the callback. Validation inputs are 0 with no bias, so val_loss is constant: a plateau.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReduceLROnPlateauCallback, reduceLROnPlateau } from '../../src/plateau/callback.js';
import { UnsupportedOptimizerError } from '../../src/plateau/errors.js';
import { UnknownMonitorError } from '../../src/plateau/monitor.js';
import { applyLearningRate, readLearningRate } from '../../src/plateau/optimizer-learning-rate.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const x = tf.tensor2d([[1]]);
const y = tf.tensor2d([[10]]);
const xVal = tf.tensor2d([[0]]);
const yVal = tf.tensor2d([[1]]);

afterAll(() => {
  tf.dispose([x, y, xVal, yVal]);
});

function tinyModel(optimizer: tf.Optimizer): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ units: 1, inputShape: [1], useBias: false, kernelInitializer: 'zeros' })],
  });
  model.compile({ optimizer, loss: 'meanAbsoluteError' });
  return model;
}

function kernel(model: tfl.LayersModel): number {
  const [weights] = model.getWeights();
  if (weights === undefined) throw new Error('model has no weights');
  return weights.dataSync()[0] ?? Number.NaN;
}

interface Trained {
  /** Weight change made by each epoch's single step. */
  readonly steps: number[];
  /** The `lr` the callback put in each epoch's logs (the rate used during that epoch). */
  readonly loggedLr: number[];
}

/** Trains `epochs` one-step epochs, recording each epoch's weight change. */
async function train(
  optimizer: tf.Optimizer,
  epochs: number,
  plateau: ReduceLROnPlateauCallback | undefined,
): Promise<Trained> {
  const model = tinyModel(optimizer);
  const weights: number[] = [kernel(model)];
  const recorder = new tfl.CustomCallback({
    onEpochEnd: async () => {
      weights.push(kernel(model));
    },
  });
  const history = await model.fit(x, y, {
    epochs,
    batchSize: 1,
    shuffle: false,
    verbose: 0,
    validationData: [xVal, yVal],
    callbacks: plateau === undefined ? [recorder] : [plateau, recorder],
  });
  model.dispose();
  const steps = weights.slice(1).map((w, i) => w - (weights[i] ?? Number.NaN));
  const loggedLr = (history.history['lr'] ?? []).map(Number);
  return { steps, loggedLr };
}

function expectRelativelyClose(actual: number, expected: number, tolerance = 1e-4): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * tolerance);
}

// val_loss is constant: e0 improves on +Infinity, e1 and e2 do not → with patience 2 the rate is
// reduced at the end of epoch 2, so epoch 3 is the first step taken at the reduced rate.
const PLATEAU = { monitor: 'val_loss', patience: 2, factor: 0.1, minDelta: 0 } as const;
const EPOCHS = 4;
const REDUCED_EPOCH = 2;

describe('reduceLROnPlateau on a real model', () => {
  it('reduces SGD, and the next step is the reduced rate times the gradient', async () => {
    const plateau = reduceLROnPlateau(PLATEAU);
    const { steps, loggedLr } = await train(tf.train.sgd(0.1), EPOCHS, plateau);
    expect(plateau.reductionEpochs).toEqual([REDUCED_EPOCH]);
    // d|w - 10|/dw = -1, so an SGD step is +lr.
    expectRelativelyClose(steps[0] ?? 0, 0.1);
    expectRelativelyClose(steps[2] ?? 0, 0.1);
    expectRelativelyClose(steps[3] ?? 0, 0.01);
    expect(loggedLr).toEqual([Math.fround(0.1), Math.fround(0.1), Math.fround(0.1), Math.fround(Math.fround(0.1) * 0.1)]);
  });

  it('reduces Adam, and its steps, about lr each for a constant gradient, shrink tenfold', async () => {
    const plateau = reduceLROnPlateau(PLATEAU);
    const { steps } = await train(tf.train.adam(0.1), EPOCHS, plateau);
    expect(plateau.reductionEpochs).toEqual([REDUCED_EPOCH]);
    // Constant gradient g: bias-corrected m / sqrt(v) = g / |g|, so every Adam step is lr (up to epsilon).
    expectRelativelyClose(steps[0] ?? 0, 0.1, 1e-3);
    expectRelativelyClose(steps[2] ?? 0, 0.1, 1e-3);
    expectRelativelyClose(steps[3] ?? 0, 0.01, 1e-3);
  });

  const optimizers: ReadonlyArray<[string, () => tf.Optimizer]> = [
    ['SGD', () => tf.train.sgd(0.1)],
    ['Momentum', () => tf.train.momentum(0.1, 0.9)],
    ['Adam', () => tf.train.adam(0.1)],
    ['RMSProp', () => tf.train.rmsprop(0.1)],
    ['Adagrad', () => tf.train.adagrad(0.1)],
    ['Adadelta', () => tf.train.adadelta(1)],
    ['Adamax', () => tf.train.adamax(0.1)],
  ];

  it.each(optimizers)('makes %s take a step factor times smaller than without the reduction', async (_, make) => {
    const plateau = reduceLROnPlateau(PLATEAU);
    const reduced = await train(make(), EPOCHS, plateau);
    const baseline = await train(make(), EPOCHS, undefined);
    expect(plateau.reductionEpochs).toEqual([REDUCED_EPOCH]);
    for (let epoch = 0; epoch <= REDUCED_EPOCH; epoch++) {
      expectRelativelyClose(reduced.steps[epoch] ?? 0, baseline.steps[epoch] ?? Number.NaN);
    }
    expectRelativelyClose(reduced.steps[3] ?? 0, (baseline.steps[3] ?? Number.NaN) * PLATEAU.factor);
  });

  it("logs each reduction in Keras's words", async () => {
    const lines: string[] = [];
    const plateau = reduceLROnPlateau({ ...PLATEAU, verbose: 1, log: (line) => lines.push(line) });
    await train(tf.train.sgd(0.001), EPOCHS, plateau);
    // Keras: f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}." with
    // new_lr = float(float32(0.001)) * 0.1 = 0.00010000000474974513 (python3).
    expect(lines).toEqual(['Epoch 3: ReduceLROnPlateau reducing learning rate to 0.00010000000474974513.']);
  });

  it('is quiet by default (verbose 0)', async () => {
    const lines: string[] = [];
    await train(tf.train.sgd(0.001), EPOCHS, reduceLROnPlateau({ ...PLATEAU, log: (line) => lines.push(line) }));
    expect(lines).toEqual([]);
  });

  it('refuses, before the first epoch, a monitor the model never logs, suggesting the right one', async () => {
    const plateau = reduceLROnPlateau({ ...PLATEAU, monitor: 'validation_loss' });
    const failure = await train(tf.train.sgd(0.1), EPOCHS, plateau).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(UnknownMonitorError);
    expect(failure).toMatchObject({ monitor: 'validation_loss', suggestion: 'val_loss' });
  });

  it('refuses val_loss when fit has no validation data', async () => {
    const model = tinyModel(tf.train.sgd(0.1));
    let epochsRun = 0;
    const counter = new tfl.CustomCallback({ onEpochBegin: async () => void (epochsRun += 1) });
    const fit = model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [reduceLROnPlateau(PLATEAU), counter] });
    await expect(fit).rejects.toMatchObject({ name: 'UnknownMonitorError', logged: ['loss'] });
    expect(epochsRun).toBe(0);
    model.dispose();
  });

  it('keeps the schedule across fit() calls when resetOnTrainBegin is false', async () => {
    const model = tinyModel(tf.train.sgd(0.1));
    const carried = reduceLROnPlateau({ ...PLATEAU, resetOnTrainBegin: false });
    const fresh = reduceLROnPlateau(PLATEAU);
    const other = tinyModel(tf.train.sgd(0.1));
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      // One fit() per epoch; initialEpoch keeps the epoch numbers counting.
      const oneEpoch: tfl.ModelFitArgs = { epochs: epoch + 1, initialEpoch: epoch, verbose: 0, validationData: [xVal, yVal] };
      await model.fit(x, y, { ...oneEpoch, callbacks: [carried] });
      await other.fit(x, y, { ...oneEpoch, callbacks: [fresh] });
    }
    // Carried over: the same reduction as one fit() of 4 epochs. Reset each time: every epoch is the
    // first, improving on +Infinity, so nothing is ever reduced.
    expect(carried.reductionEpochs).toEqual([REDUCED_EPOCH]);
    expect(readLearningRate(model.optimizer)).toBe(Math.fround(Math.fround(0.1) * 0.1));
    expect(fresh.reductionEpochs).toEqual([]);
    expect(readLearningRate(other.optimizer)).toBe(0.1);
    model.dispose();
    other.dispose();
  });
});

describe('applyLearningRate and readLearningRate', () => {
  it.each([
    ['SGD', (): tf.Optimizer => tf.train.sgd(0.1)],
    ['Momentum', (): tf.Optimizer => tf.train.momentum(0.1, 0.9)],
    ['Adam', (): tf.Optimizer => tf.train.adam(0.1)],
    ['RMSProp', (): tf.Optimizer => tf.train.rmsprop(0.1)],
    ['Adagrad', (): tf.Optimizer => tf.train.adagrad(0.1)],
    ['Adadelta', (): tf.Optimizer => tf.train.adadelta(0.1)],
    ['Adamax', (): tf.Optimizer => tf.train.adamax(0.1)],
  ])('reads back the rate applied to %s', (_, make) => {
    const optimizer = make();
    expect(readLearningRate(optimizer)).toBe(0.1);
    applyLearningRate(optimizer, 0.025);
    expect(readLearningRate(optimizer)).toBe(0.025);
    optimizer.dispose();
  });

  it('makes the very next SGD step use the new rate (the cached scalar is rebuilt)', () => {
    const optimizer = tf.train.sgd(0.1);
    const w = tf.variable(tf.scalar(0));
    applyLearningRate(optimizer, 0.5);
    optimizer.applyGradients({ [w.name]: tf.scalar(-1) });
    expect(w.dataSync()[0]).toBe(0.5);
    w.dispose();
    optimizer.dispose();
  });

  it('refuses an optimizer it does not know how to reschedule', () => {
    class Frozen extends tf.Optimizer {
      static get className(): string {
        return 'Frozen';
      }
      applyGradients(): void {}
      getConfig(): tf.serialization.ConfigDict {
        return {};
      }
    }
    const optimizer = new Frozen();
    expect(() => applyLearningRate(optimizer, 0.1)).toThrow(UnsupportedOptimizerError);
    expect(() => readLearningRate(optimizer)).toThrow(expect.objectContaining({ className: 'Frozen' }));
  });

  it('refuses a learning rate that is not a finite number, 0 or more', () => {
    const optimizer = tf.train.adam(0.1);
    expect(() => applyLearningRate(optimizer, Number.NaN)).toThrow(expect.objectContaining({ name: 'InvalidLearningRateError' }));
    expect(() => applyLearningRate(optimizer, -1)).toThrow(expect.objectContaining({ name: 'InvalidLearningRateError' }));
    optimizer.dispose();
  });
});
