// The softmax classifier's kernel ops against tfjs ops on tfjs's wasm backend (the backend the
// kernels replace), bit for bit: tfjs-layers' categorical and sparse categorical cross-entropy of
// a batch with their gradients (autodiff through the row-sum division, the clips, the log and
// the one-hot), and Softmax_grad. The softmax's forward pass is not among them: tfjs-backend-wasm
// runs it on XNNPACK, whose exp differs from libm's in the last bits (float32 noise, covered by
// kernel-softmax.test.ts's 1e-4 against model.fit).
import { beforeAll, describe, expect, it } from 'vitest';
// tfjs-core's gradients, registered as tfjs-layers registers them for model.fit.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { grad, mean, mul, softmax, sum, tensor2d, type Tensor } from '@tensorflow/tfjs-core';
import { categoricalCrossentropy, sparseCategoricalCrossentropy } from '@tensorflow/tfjs-layers/dist/losses.js';
import { selectBackend } from '../../../src/train/backend.js';
import { instantiateFusedMlpKernel, type FusedMlpKernel } from '../../../src/train/fused/kernel/kernel-module.js';
import { recordingLogger } from '../recording-logger.js';

const [ROWS, COLS] = [32, 5];
const EPSILON = 1e-7;

/** A kernel instance and a bump allocator over its memory. */
function workspace(): { kernel: FusedMlpKernel; put: (values: Float32Array) => number; read: (at: number, count: number) => Float32Array } {
  const kernel = instantiateFusedMlpKernel();
  let next = kernel.heapBase();
  const put = (values: Float32Array): number => {
    const at = next;
    next += Math.ceil((values.length * 4) / 16) * 16;
    if (next > kernel.memory.buffer.byteLength) kernel.memory.grow(Math.ceil((next - kernel.memory.buffer.byteLength) / 65536));
    new Float32Array(kernel.memory.buffer, at, values.length).set(values);
    return at;
  };
  return { kernel, put, read: (at, count) => new Float32Array(kernel.memory.buffer, at, count).slice() };
}

/** The indices where two float32 arrays differ in any bit. */
function differingBits(a: Float32Array, b: Float32Array): number[] {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return Array.from(ua.keys()).filter((i) => ua[i] !== ub[i]);
}

const logits = Float32Array.from({ length: ROWS * COLS }, (_, i) => Math.sin(i * 1.7) * 3);
const labels = Float32Array.from({ length: ROWS }, (_, i) => (i * 3) % COLS);
const oneHot = Float32Array.from({ length: ROWS * COLS }, (_, index) => ((labels[Math.floor(index / COLS)] ?? -1) === index % COLS ? 1 : 0));
let probabilities = new Float32Array(0);

beforeAll(async () => {
  await selectBackend('wasm', recordingLogger());
  // A softmax output as tfjs computes it, so both sides start from the same probabilities.
  probabilities = Float32Array.from(softmax(tensor2d(logits, [ROWS, COLS])).dataSync());
});

describe('the softmax classifier kernels against tfjs ops on the wasm backend', () => {
  it.each([
    ['sparse categorical cross-entropy (class labels)', 1],
    ['categorical cross-entropy (one-hot rows)', 0],
  ])('%s: the batch loss and its gradient, bit for bit', (_, sparse) => {
    const { kernel, put, read } = workspace();
    const target = sparse === 1 ? labels : oneHot;
    const gradient = put(new Float32Array(ROWS * COLS));
    const loss = kernel.categoricalCrossentropy(put(probabilities), put(target), ROWS, COLS, sparse, gradient, EPSILON);
    const batchLoss = (pred: Tensor): Tensor =>
      mean(sparse === 1 ? sparseCategoricalCrossentropy(tensor2d(labels, [ROWS, 1]), pred) : categoricalCrossentropy(tensor2d(oneHot, [ROWS, COLS]), pred));
    const pred = tensor2d(probabilities, [ROWS, COLS]);
    expect(loss).toBe(batchLoss(pred).dataSync()[0]);
    expect(differingBits(read(gradient, ROWS * COLS), Float32Array.from(grad(batchLoss)(pred).dataSync()))).toEqual([]);
  });

  it('softmaxGrad is tfjs\'s Softmax_grad, bit for bit', () => {
    const { kernel, put, read } = workspace();
    const dy = Float32Array.from({ length: ROWS * COLS }, (_, i) => Math.cos(i));
    const at = put(dy);
    kernel.softmaxGrad(at, put(probabilities), ROWS, COLS);
    const expected = grad((x: Tensor) => sum(mul(softmax(x), tensor2d(dy, [ROWS, COLS]))))(tensor2d(logits, [ROWS, COLS])).dataSync();
    expect(differingBits(read(at, ROWS * COLS), Float32Array.from(expected))).toEqual([]);
  });
});
