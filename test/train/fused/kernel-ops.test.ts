// The wasm kernels' building blocks against plain float64 arithmetic written out here, on shapes
// that exercise every register block and remainder (rows not a multiple of 4, columns not of 16
// or 4) and both ways of reading the left operand (as stored, and transposed through strides).
import { describe, expect, it } from 'vitest';
import { instantiateFusedMlpKernel, type FusedMlpKernel } from '../../../src/train/fused/kernel/kernel-module.js';

/** Writes `values` at byte offset `at` in the kernel's memory (growing it as needed) and returns `at`. */
function put(kernel: FusedMlpKernel, at: number, values: readonly number[]): number {
  const needed = at + values.length * 4;
  if (needed > kernel.memory.buffer.byteLength) kernel.memory.grow(Math.ceil((needed - kernel.memory.buffer.byteLength) / 65536));
  new Float32Array(kernel.memory.buffer, at, values.length).set(values);
  return at;
}

function read(kernel: FusedMlpKernel, at: number, count: number): number[] {
  return Array.from(new Float32Array(kernel.memory.buffer, at, count));
}

/** Deterministic values in [-1, 1). */
function values(count: number, seed: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.fround(Math.sin(seed * 7919 + i * 104729) * 0.999));
}

function expectNear(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - (expected[i] ?? Number.NaN)), `element ${i}`).toBeLessThanOrEqual(tolerance));
}

describe('fused-mlp kernel: gemm', () => {
  it.each([
    [4, 16, 64],
    [7, 5, 37],
    [1, 3, 1],
    [9, 21, 18],
  ])('multiplies a %i×%i matrix by a %i-column one, as stored', (m, k, n) => {
    const kernel = instantiateFusedMlpKernel();
    const a = values(m * k, 1);
    const b = values(k * n, 2);
    const base = kernel.heapBase();
    const pa = put(kernel, base, a);
    const pb = put(kernel, pa + a.length * 4, b);
    const pc = pb + b.length * 4;
    put(kernel, pc, new Array<number>(m * n).fill(0));
    kernel.gemm(pa, k, 1, pb, pc, m, k, n, 0);
    const expected = Array.from({ length: m * n }, (_, index) => {
      const i = Math.floor(index / n);
      const j = index % n;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += (a[i * k + p] ?? 0) * (b[p * n + j] ?? 0);
      return sum;
    });
    expectNear(read(kernel, pc, m * n), expected, 1e-5);
  });

  it('multiplies by the transpose of the left operand when its strides are swapped, and accumulates', () => {
    const kernel = instantiateFusedMlpKernel();
    const [rows, m, n] = [6, 5, 19]; // A is stored [rows × m]; the product is Aᵀ·B, [m × n]
    const a = values(rows * m, 3);
    const b = values(rows * n, 4);
    const start = values(m * n, 5);
    const base = kernel.heapBase();
    const pa = put(kernel, base, a);
    const pb = put(kernel, pa + a.length * 4, b);
    const pc = put(kernel, pb + b.length * 4, start);
    kernel.gemm(pa, 1, m, pb, pc, m, rows, n, 1);
    const expected = start.map((initial, index) => {
      const i = Math.floor(index / n);
      const j = index % n;
      let sum = initial;
      for (let p = 0; p < rows; p++) sum += (a[p * m + i] ?? 0) * (b[p * n + j] ?? 0);
      return sum;
    });
    expectNear(read(kernel, pc, m * n), expected, 1e-5);
  });
});

describe('fused-mlp kernel: layers and losses', () => {
  it('adds the bias and applies relu, keeping NaN as NaN', () => {
    const kernel = instantiateFusedMlpKernel();
    const base = kernel.heapBase();
    const z = put(kernel, base, [-1, 0.5, 2, Number.NaN, -3, 4]);
    const bias = put(kernel, base + 64, [0.25, -1, 0.5]);
    kernel.biasActivate(z, bias, 2, 3, 1);
    expect(read(kernel, z, 6)).toEqual([0, 0, 2.5, Number.NaN, 0, 4.5]);
  });

  it('passes the gradient of relu only where the output is positive', () => {
    const kernel = instantiateFusedMlpKernel();
    const base = kernel.heapBase();
    const dh = put(kernel, base, [1, 2, 3, 4, 5]);
    const h = put(kernel, base + 64, [0, 1, 0, 2, 3]);
    kernel.activationGrad(dh, h, 5, 1);
    expect(read(kernel, dh, 5)).toEqual([0, 2, 0, 4, 5]);
  });

  it('computes the mean squared error of the rows and its gradient with respect to the predictions', () => {
    const kernel = instantiateFusedMlpKernel();
    const base = kernel.heapBase();
    const pred = put(kernel, base, [1, 2, 3, 4]);
    const target = put(kernel, base + 64, [0, 2, 5, 4]);
    const grad = base + 128;
    const loss = kernel.loss(0, pred, target, 2, 2, grad);
    expect(loss).toBeCloseTo((1 + 0 + 4 + 0) / 4, 6);
    expectNear(read(kernel, grad, 4), [(2 * 1) / 4, 0, (2 * -2) / 4, 0], 1e-7);
  });

  it('computes the mean absolute error and its sign gradient, −1/n at a residual of 0 as tfjs', () => {
    const kernel = instantiateFusedMlpKernel();
    const base = kernel.heapBase();
    const pred = put(kernel, base, [1, 2, 3]);
    const target = put(kernel, base + 64, [0, 2, 5]);
    const grad = base + 128;
    expect(kernel.loss(1, pred, target, 3, 1, grad)).toBeCloseTo(1, 6);
    expectNear(read(kernel, grad, 3), [1 / 3, -1 / 3, -1 / 3], 1e-7);
  });

  it('sums the columns of a gradient into a bias gradient', () => {
    const kernel = instantiateFusedMlpKernel();
    const base = kernel.heapBase();
    const dz = put(kernel, base, values(7 * 6, 6));
    kernel.columnSums(dz, 7, 6, base + 512);
    const source = read(kernel, dz, 42);
    expectNear(read(kernel, base + 512, 6), Array.from({ length: 6 }, (_, j) => source.filter((_, i) => i % 6 === j).reduce((s, v) => s + v, 0)), 1e-6);
  });
});

describe('fused-mlp kernel: optimizer steps', () => {
  it('takes tfjs adam steps bit for bit, vector body and scalar tail alike', () => {
    const kernel = instantiateFusedMlpKernel();
    const count = 7; // one f32x4 block and a tail of 3
    const f = Math.fround;
    const [w0, g, m0, v0] = [values(count, 7), values(count, 8), values(count, 9).map((x) => f(x / 10)), values(count, 10).map((x) => f(Math.abs(x) / 10))];
    const base = kernel.heapBase();
    const [pw, pg, pm, pv] = [w0, g, m0, v0].map((array, i) => put(kernel, base + i * 64, array));
    const [beta1, beta2, eps, negLr] = [f(0.9), f(0.999), f(1e-7), f(-0.01)];
    const [oneMinusAccBeta1, oneMinusAccBeta2] = [f(1 - f(0.81)), f(1 - f(0.998001))];
    kernel.adam(pw ?? 0, pg ?? 0, pm ?? 0, pv ?? 0, count, beta1, f(1 - 0.9), beta2, f(1 - 0.999), oneMinusAccBeta1, oneMinusAccBeta2, eps, negLr);
    // tfjs-core 4.22 adam_optimizer.js, one float32 op at a time.
    const expected = w0.map((w, i) => {
      const gi = g[i] ?? 0;
      const m = f(f((m0[i] ?? 0) * beta1) + f(gi * f(1 - 0.9)));
      const v = f(f((v0[i] ?? 0) * beta2) + f(f(gi * gi) * f(1 - 0.999)));
      const step = f(f(m / oneMinusAccBeta1) / f(f(Math.sqrt(f(v / oneMinusAccBeta2))) + eps));
      return f(f(step * negLr) + w);
    });
    expect(read(kernel, pw ?? 0, count)).toEqual(expected);
  });
});
