// The kernels for softmax, the categorical cross-entropies, accuracy, the l1l2 penalty and layer
// normalization (kernels/softmax-classification.ts, weight-penalties.ts, layer-normalization.ts)
// against plain float64 arithmetic written out here.
import { describe, expect, it } from 'vitest';
import { instantiateFusedMlpKernel, type FusedMlpKernel } from '../../../src/train/fused/kernel/kernel-module.js';

const EPSILON = 1e-7;

/** A kernel instance and a bump allocator over its memory. */
function workspace(): { kernel: FusedMlpKernel; put: (values: readonly number[]) => number; read: (at: number, count: number) => number[] } {
  const kernel = instantiateFusedMlpKernel();
  let next = kernel.heapBase();
  const put = (values: readonly number[]): number => {
    const at = next;
    next += Math.ceil((values.length * 4) / 16) * 16 + 16;
    if (next > kernel.memory.buffer.byteLength) kernel.memory.grow(Math.ceil((next - kernel.memory.buffer.byteLength) / 65536));
    new Float32Array(kernel.memory.buffer, at, values.length).set(values);
    return at;
  };
  const read = (at: number, count: number): number[] => Array.from(new Float32Array(kernel.memory.buffer, at, count));
  return { kernel, put, read };
}

/** Deterministic values in [-1, 1). */
function values(count: number, seed: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.fround(Math.sin(seed * 7919 + i * 104729) * 0.999));
}

function expectNear(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - (expected[i] ?? Number.NaN)), `element ${i}`).toBeLessThanOrEqual(tolerance));
}

function softmax(row: readonly number[]): number[] {
  const max = Math.max(...row);
  const exps = row.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

const [ROWS, COLS] = [5, 7];

describe('softmax kernels', () => {
  it('softmaxRows turns each row into probabilities exp(z)/Σexp(z)', () => {
    const { kernel, put, read } = workspace();
    const z = values(ROWS * COLS, 1).map((v) => v * 4);
    const at = put(z);
    kernel.softmaxRows(at, ROWS, COLS);
    const expected = Array.from({ length: ROWS }, (_, i) => softmax(z.slice(i * COLS, (i + 1) * COLS))).flat();
    expectNear(read(at, ROWS * COLS), expected, 1e-6);
  });

  it('softmaxGrad is dy·y − Σ(dy·y)·y per row', () => {
    const { kernel, put, read } = workspace();
    const y = Array.from({ length: ROWS }, (_, i) => softmax(values(COLS, 10 + i))).flat();
    const dy = values(ROWS * COLS, 2);
    const pdy = put(dy);
    kernel.softmaxGrad(pdy, put(y), ROWS, COLS);
    const expected = dy.map((d, index) => {
      const i = Math.floor(index / COLS);
      let dot = 0;
      for (let j = 0; j < COLS; j++) dot += (dy[i * COLS + j] ?? 0) * (y[i * COLS + j] ?? 0);
      return d * (y[index] ?? 0) - dot * (y[index] ?? 0);
    });
    expectNear(read(pdy, ROWS * COLS), expected, 1e-6);
  });
});

describe('categorical cross-entropy kernels', () => {
  const probabilities = Array.from({ length: ROWS }, (_, i) => softmax(values(COLS, 20 + i).map((v) => 2 * v))).flat();
  const labels = Array.from({ length: ROWS }, (_, i) => (i * 3) % COLS);
  const oneHot = labels.flatMap((label) => Array.from({ length: COLS }, (_, j) => (j === label ? 1 : 0)));
  // −(1/rows)·Σ log(p_label / Σp), and its gradient −(1/rows)·(t_j/p_j − 1/Σp) (no clip binds here).
  const expectedLoss = -labels.reduce((total, label, i) => {
    const row = probabilities.slice(i * COLS, (i + 1) * COLS);
    return total + Math.log((row[label] ?? 0) / row.reduce((a, b) => a + b, 0));
  }, 0) / ROWS;
  const expectedGrad = probabilities.map((p, index) => {
    const i = Math.floor(index / COLS);
    const sum = probabilities.slice(i * COLS, (i + 1) * COLS).reduce((a, b) => a + b, 0);
    return -((oneHot[index] ?? 0) / p - 1 / sum) / ROWS;
  });

  it.each([
    ['one-hot targets (categorical)', 0, oneHot],
    ['class labels (sparse)', 1, labels],
  ])('with %s: the mean of −Σ t·log(p/Σp) and its gradient', (_, sparse, targets) => {
    const { kernel, put, read } = workspace();
    const grad = put(new Array<number>(ROWS * COLS).fill(0));
    const loss = kernel.categoricalCrossentropy(put(probabilities), put(targets), ROWS, COLS, sparse, grad, EPSILON);
    expect(Math.abs(loss - expectedLoss)).toBeLessThanOrEqual(1e-6);
    expectNear(read(grad, ROWS * COLS), expectedGrad, 1e-5);
  });

  it('gives no gradient where the clip holds a probability of 0', () => {
    const { kernel, put, read } = workspace();
    const grad = put([9, 9]);
    kernel.categoricalCrossentropy(put([0, 1]), put([1]), 1, 2, 1, grad, EPSILON);
    expect(read(grad, 2)[0]).toBe(0);
  });
});

describe('accuracy kernel', () => {
  it('binary: the share of values on the right side of 0.5', () => {
    const { kernel, put } = workspace();
    expect(kernel.accuracy(0, put([0.9, 0.2, 0.6, 0.4]), put([1, 0, 0, 0]), 4, 1)).toBe(0.75);
  });

  it('categorical: the share of rows whose largest probability is the one-hot class (first on ties)', () => {
    const { kernel, put } = workspace();
    const pred = [0.1, 0.7, 0.2, 0.5, 0.5, 0, 0.3, 0.3, 0.4];
    expect(kernel.accuracy(1, put(pred), put([0, 1, 0, 1, 0, 0, 1, 0, 0]), 3, 3)).toBe(Math.fround(2 / 3));
  });

  it('sparse: the share of rows whose largest probability is the label', () => {
    const { kernel, put } = workspace();
    expect(kernel.accuracy(2, put([0.1, 0.7, 0.2, 0.6, 0.3, 0.1]), put([1, 2]), 2, 3)).toBe(0.5);
  });
});

describe('l1l2 kernels', () => {
  const w = [...values(13, 4), 0];

  it('l1l2Penalty is Σ l1·|w| + Σ l2·w²', () => {
    const { kernel, put } = workspace();
    const expected = w.reduce((total, v) => total + 0.01 * Math.abs(v) + 0.1 * v * v, 0);
    expect(Math.abs(kernel.l1l2Penalty(put(w), w.length, Math.fround(0.01), Math.fround(0.1)) - expected)).toBeLessThanOrEqual(1e-6);
  });

  it('addL1L2Grad adds l1·sign(w) (−l1 at 0, as tfjs) + 2·l2·w to the gradient', () => {
    const { kernel, put, read } = workspace();
    const g = values(w.length, 5);
    const pg = put(g);
    kernel.addL1L2Grad(put(w), pg, w.length, Math.fround(0.01), Math.fround(0.1));
    expectNear(read(pg, w.length), g.map((d, i) => d + 0.01 * ((w[i] ?? 0) > 0 ? 1 : -1) + 0.2 * (w[i] ?? 0)), 1e-6);
  });
});

describe('layer normalization kernels', () => {
  const x = values(ROWS * COLS, 6).map((v) => 3 * v + 1);
  const gamma = values(COLS, 7).map((v) => 1 + v / 2);
  const beta = values(COLS, 8);
  const epsilon = Math.fround(1e-3);
  const rowStats = Array.from({ length: ROWS }, (_, i) => {
    const row = x.slice(i * COLS, (i + 1) * COLS);
    const mean = row.reduce((a, b) => a + b, 0) / COLS;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / COLS;
    return { mean, inv: 1 / Math.sqrt(variance + epsilon) };
  });
  const xhat = x.map((v, index) => {
    const { mean, inv } = rowStats[Math.floor(index / COLS)] ?? { mean: 0, inv: 0 };
    return (v - mean) * inv;
  });

  it('layerNormForward normalizes each row over its columns, then scales by γ and shifts by β', () => {
    const { kernel, put, read } = workspace();
    const out = put(new Array<number>(ROWS * COLS).fill(0));
    const keptXhat = put(new Array<number>(ROWS * COLS).fill(0));
    kernel.layerNormForward(put(x), out, keptXhat, put(new Array<number>(ROWS).fill(0)), ROWS, COLS, put(gamma), put(beta), epsilon);
    expectNear(read(out, ROWS * COLS), xhat.map((v, index) => v * (gamma[index % COLS] ?? 0) + (beta[index % COLS] ?? 0)), 1e-5);
    expectNear(read(keptXhat, ROWS * COLS), xhat, 1e-5);
  });

  it('layerNormBackward gives dγ = Σ dy·x̂, dβ = Σ dy and dx = invStd/n·(n·g − Σg − x̂·Σg·x̂), g = dy·γ', () => {
    const { kernel, put, read } = workspace();
    const keptXhat = put(new Array<number>(ROWS * COLS).fill(0));
    const invStd = put(new Array<number>(ROWS).fill(0));
    const pGamma = put(gamma);
    kernel.layerNormForward(put(x), put(new Array<number>(ROWS * COLS).fill(0)), keptXhat, invStd, ROWS, COLS, pGamma, put(beta), epsilon);
    const dy = values(ROWS * COLS, 9);
    const pdy = put(dy);
    const dGamma = put(new Array<number>(COLS).fill(0));
    const dBeta = put(new Array<number>(COLS).fill(0));
    kernel.layerNormBackward(pdy, keptXhat, invStd, pGamma, ROWS, COLS, dGamma, dBeta);
    const column = (f: (i: number, j: number) => number): number[] => Array.from({ length: COLS }, (_, j) => Array.from({ length: ROWS }, (_, i) => f(i, j)).reduce((a, b) => a + b, 0));
    expectNear(read(dBeta, COLS), column((i, j) => dy[i * COLS + j] ?? 0), 1e-5);
    expectNear(read(dGamma, COLS), column((i, j) => (dy[i * COLS + j] ?? 0) * (xhat[i * COLS + j] ?? 0)), 1e-5);
    const expectedDx = dy.map((_, index) => {
      const i = Math.floor(index / COLS);
      const g = (j: number): number => (dy[i * COLS + j] ?? 0) * (gamma[j] ?? 0);
      let sumG = 0;
      let sumGX = 0;
      for (let j = 0; j < COLS; j++) {
        sumG += g(j);
        sumGX += g(j) * (xhat[i * COLS + j] ?? 0);
      }
      return ((rowStats[i]?.inv ?? 0) / COLS) * (COLS * g(index % COLS) - sumG - (xhat[index] ?? 0) * sumGX);
    });
    expectNear(read(pdy, ROWS * COLS), expectedDx, 1e-5);
  });
});
