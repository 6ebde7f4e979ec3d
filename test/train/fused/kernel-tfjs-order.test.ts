// The kernel ops that tfjs-layers' model.fit also computes, against tfjs ops on the same inputs on
// tfjs's wasm backend (the backend the kernels replace), bit for bit: the loss of a batch and its
// gradient (tfjs-core's Mean_grad / Square_grad / Abs_grad), and the sigmoid's backward step
// (Sigmoid_grad). The inputs are real: rows of the synthetic-regression dataset a sweep trains on.
import { beforeAll, describe, expect, it } from 'vitest';
// tfjs-core's gradients, registered as tfjs-layers registers them for model.fit.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { abs, grad, mean, sigmoid, square, sub, tensor2d, type Tensor } from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/train/backend.js';
import { loadDataset } from '../../../src/train/datasets/load-dataset.js';
import type { LoadedDataset } from '../../../src/train/datasets/loaded-dataset.js';
import { instantiateFusedMlpKernel, type FusedMlpKernel } from '../../../src/train/fused/kernel/kernel-module.js';
import { recordingLogger } from '../recording-logger.js';

const MEAN_SQUARED_ERROR = 0;
const MEAN_ABSOLUTE_ERROR = 1;
const SIGMOID = 3;

/** Writes `values` at byte offset `at` of the kernel's memory (growing it as needed); returns `at`. */
function put(kernel: FusedMlpKernel, at: number, values: Float32Array): number {
  const needed = at + values.length * 4;
  if (needed > kernel.memory.buffer.byteLength) kernel.memory.grow(Math.ceil((needed - kernel.memory.buffer.byteLength) / 65536));
  new Float32Array(kernel.memory.buffer, at, values.length).set(values);
  return at;
}

function read(kernel: FusedMlpKernel, at: number, count: number): Float32Array {
  return new Float32Array(kernel.memory.buffer, at, count).slice();
}

/** The indices where two float32 arrays differ in any bit (NaN equals NaN). */
function differingBits(a: Float32Array, b: Float32Array): number[] {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return Array.from(ua.keys()).filter((i) => ua[i] !== ub[i]);
}

/** tfjs-layers' loss of a batch as model.fit takes it: mean over the rows of the mean over the columns. */
function tfjsLoss(kind: number): (pred: Tensor, target: Tensor) => Tensor {
  return (pred, target) => {
    const residual = sub(pred, target);
    return mean(mean(kind === MEAN_SQUARED_ERROR ? square(residual) : abs(residual), -1));
  };
}

/** The kernel's loss and gradient for `pred` against `target`, both [rows × cols]. */
function kernelLoss(kind: number, pred: Float32Array, target: Float32Array, rows: number, cols: number): { readonly loss: number; readonly gradient: Float32Array } {
  const kernel = instantiateFusedMlpKernel();
  const base = kernel.heapBase();
  const p = put(kernel, base, pred);
  const t = put(kernel, p + pred.length * 4, target);
  const g = put(kernel, t + target.length * 4, new Float32Array(pred.length));
  const loss = kernel.loss(kind, p, t, rows, cols, g);
  return { loss, gradient: read(kernel, g, pred.length) };
}

function tfjsLossAndGradient(kind: number, pred: Float32Array, target: Float32Array, rows: number, cols: number): { readonly loss: number; readonly gradient: Float32Array } {
  const predTensor = tensor2d(pred, [rows, cols]);
  const targetTensor = tensor2d(target, [rows, cols]);
  const lossTensor = tfjsLoss(kind)(predTensor, targetTensor);
  const gradientTensor = grad((x: Tensor) => tfjsLoss(kind)(x, targetTensor))(predTensor);
  const result = { loss: lossTensor.dataSync()[0] ?? Number.NaN, gradient: Float32Array.from(gradientTensor.dataSync()) };
  for (const t of [predTensor, targetTensor, lossTensor, gradientTensor]) t.dispose();
  return result;
}

let data: LoadedDataset;

beforeAll(async () => {
  await selectBackend('wasm', recordingLogger());
  data = await loadDataset({ kind: 'synthetic-regression', samples: 4096, features: 8, noise: 0.1, seed: 7, validationSplit: 0.2 });
});

/**
 * Predictions near the targets of `rows × cols` real rows: the dataset's features, read as
 * predictions of its targets (cols of them per row); every third row predicts its target exactly,
 * a residual of 0.
 */
function batch(rows: number, cols: number, from: number): { readonly pred: Float32Array; readonly target: Float32Array } {
  const target = new Float32Array(rows * cols);
  const pred = new Float32Array(rows * cols);
  for (let i = 0; i < rows * cols; i++) {
    const y = data.train.y[(from + i) % data.train.count] ?? 0;
    target[i] = y;
    pred[i] = Math.floor(i / cols) % 3 === 0 ? y : Math.fround(y + (data.train.x[from + i] ?? 0) * 0.25);
  }
  return { pred, target };
}

describe('kernel loss against tfjs ops on the wasm backend', () => {
  it.each([
    { name: 'mean squared error', kind: MEAN_SQUARED_ERROR, rows: 64, cols: 1 },
    { name: 'mean squared error', kind: MEAN_SQUARED_ERROR, rows: 50, cols: 3 },
    { name: 'mean absolute error', kind: MEAN_ABSOLUTE_ERROR, rows: 64, cols: 1 },
    { name: 'mean absolute error', kind: MEAN_ABSOLUTE_ERROR, rows: 50, cols: 3 },
  ])('$name of a $rows × $cols batch: the loss and its gradient are tfjs\'s bit for bit', ({ kind, rows, cols }) => {
    for (const from of [0, 700, 2100]) {
      const { pred, target } = batch(rows, cols, from);
      const kernel = kernelLoss(kind, pred, target, rows, cols);
      const tfjs = tfjsLossAndGradient(kind, pred, target, rows, cols);
      expect(Object.is(kernel.loss, tfjs.loss), `loss ${kernel.loss} vs tfjs ${tfjs.loss}`).toBe(true);
      expect(differingBits(kernel.gradient, tfjs.gradient)).toEqual([]);
    }
  });

  it('mean absolute error at a residual of exactly 0 has the gradient −1/n, as tfjs\'s step(x, −1)', () => {
    const rows = 64;
    const target = Float32Array.from({ length: rows }, (_, i) => data.train.y[i] ?? 0);
    const kernel = kernelLoss(MEAN_ABSOLUTE_ERROR, target.slice(), target, rows, 1);
    expect(kernel.loss).toBe(0);
    expect(Array.from(kernel.gradient)).toEqual(new Array<number>(rows).fill(Math.fround(-1 / rows)));
    expect(differingBits(kernel.gradient, tfjsLossAndGradient(MEAN_ABSOLUTE_ERROR, target.slice(), target, rows, 1).gradient)).toEqual([]);
  });

  it('sums a batch\'s loss in float32 as tfjs does: a batch whose float64 sum rounds otherwise gives tfjs\'s value', () => {
    // Many rows of mixed magnitude, where a float64 total and a float32 total part in the last bit.
    const rows = 4096;
    let parted = 0;
    for (const from of [0, 1, 2, 3]) {
      const { pred, target } = batch(rows, 1, from * 11);
      const kernel = kernelLoss(MEAN_SQUARED_ERROR, pred, target, rows, 1);
      const tfjs = tfjsLossAndGradient(MEAN_SQUARED_ERROR, pred, target, rows, 1);
      expect(Object.is(kernel.loss, tfjs.loss), `loss ${kernel.loss} vs tfjs ${tfjs.loss}`).toBe(true);
      let total64 = 0;
      for (let i = 0; i < rows; i++) total64 += Math.fround(Math.fround((pred[i] ?? 0) - (target[i] ?? 0)) ** 2);
      if (Math.fround(total64 / rows) !== tfjs.loss) parted++;
    }
    // The inputs really tell the two accumulations apart (otherwise this test could not fail).
    expect(parted).toBeGreaterThan(0);
  });
});

describe('kernel sigmoid backward against tfjs ops on the wasm backend', () => {
  it('computes dy·(y·(1 − y)) bit for bit on 100,000 real values', () => {
    const count = 100_000;
    const x = Float32Array.from({ length: count }, (_, i) => Math.fround((data.train.x[i % data.train.x.length] ?? 0) * 3));
    const dy = Float32Array.from({ length: count }, (_, i) => data.train.y[(i * 7) % data.train.count] ?? 0);
    const xTensor = tensor2d(x, [count, 1]);
    const dyTensor = tensor2d(dy, [count, 1]);
    const yTensor = sigmoid(xTensor);
    const dxTensor = grad((t: Tensor) => sigmoid(t))(xTensor, dyTensor);
    const y = Float32Array.from(yTensor.dataSync());
    const expected = Float32Array.from(dxTensor.dataSync());
    for (const t of [xTensor, dyTensor, yTensor, dxTensor]) t.dispose();

    const kernel = instantiateFusedMlpKernel();
    const base = kernel.heapBase();
    const dh = put(kernel, base, dy);
    const h = put(kernel, dh + count * 4, y);
    kernel.activationGrad(dh, h, count, SIGMOID);
    expect(differingBits(read(kernel, dh, count), expected)).toEqual([]);
  });
});
