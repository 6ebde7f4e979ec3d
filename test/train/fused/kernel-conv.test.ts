// The image layers on the wasm-kernel engine (conv2d, max and average pooling, flatten): each
// kernel against plain float64 arithmetic written out here; a fused member against the same
// trial alone on the kernels (bit for bit); and the kernels against tfjs's model.fit on the
// same seeds (on the cpu backend: tfjs's wasm backend has no Conv2DBackpropFilter kernel, so
// model.fit cannot train a conv2d there), with the same LR reductions.
import { describe, expect, it } from 'vitest';
import { paddingBefore, slidingOutputSize } from '../../../src/train/layer-shapes.js';
import type { BundleHandoff, BundlePart } from '../../../src/train/fused/bundle-part.js';
import { resumeFusedTrials, runFusedTrials, trainsOnKernels } from '../../../src/train/fused/fused-runner.js';
import { instantiateFusedMlpKernel, type FusedMlpKernel } from '../../../src/train/fused/kernel/kernel-module.js';
import type { DatasetSpec, LayerSpec, Padding, TrialResult, TrialSpec, WorkloadSpec } from '../../../src/trial/types.js';
import { bundle, expectSameResult, FORKING, separately } from './fused-fixtures.js';

/** A scratch allocator over one kernel instance's memory (byte offsets, 16-aligned). */
function arena(kernel: FusedMlpKernel): { put: (values: readonly number[]) => number; zeros: (count: number) => number; read: (at: number, count: number) => number[]; readInts: (at: number, count: number) => number[] } {
  let next = Math.ceil(kernel.heapBase() / 16) * 16;
  const zeros = (count: number): number => {
    const at = next;
    next = Math.ceil((at + count * 4) / 16) * 16;
    if (next > kernel.memory.buffer.byteLength) kernel.memory.grow(Math.ceil((next - kernel.memory.buffer.byteLength) / 65536));
    new Float32Array(kernel.memory.buffer, at, count).fill(0);
    return at;
  };
  return {
    zeros,
    put: (values) => {
      const at = zeros(values.length);
      new Float32Array(kernel.memory.buffer, at, values.length).set(values);
      return at;
    },
    read: (at, count) => Array.from(new Float32Array(kernel.memory.buffer, at, count)),
    readInts: (at, count) => Array.from(new Int32Array(kernel.memory.buffer, at, count)),
  };
}

/** Deterministic values in [-1, 1). */
function values(count: number, seed: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.fround(Math.sin(seed * 7919 + i * 104729) * 0.999));
}

function expectNear(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - (expected[i] ?? Number.NaN)), `element ${i}`).toBeLessThanOrEqual(tolerance));
}

/** A window over an n × h × w × c batch, sized as tfjs sizes it. */
interface Window {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly size: number;
  readonly stride: number;
  readonly padding: Padding;
}

function outputOf({ h, w, size, stride, padding }: Window): { oh: number; ow: number; top: number; left: number } {
  const oh = slidingOutputSize(h, size, stride, padding);
  const ow = slidingOutputSize(w, size, stride, padding);
  return { oh, ow, top: paddingBefore(h, oh, size, stride, padding), left: paddingBefore(w, ow, size, stride, padding) };
}

/** Every (output pixel, input pixel in its window) pair in order, inside the image only. */
function* windowPixels(win: Window): Generator<{ b: number; oy: number; ox: number; iy: number; ix: number }> {
  const { oh, ow, top, left } = outputOf(win);
  for (let b = 0; b < win.n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < win.size; ky++) {
          for (let kx = 0; kx < win.size; kx++) {
            const iy = oy * win.stride - top + ky;
            const ix = ox * win.stride - left + kx;
            if (iy >= 0 && iy < win.h && ix >= 0 && ix < win.w) yield { b, oy, ox, iy, ix };
          }
        }
      }
    }
  }
}

const WINDOWS: readonly Window[] = [
  { n: 2, h: 7, w: 6, c: 3, size: 3, stride: 1, padding: 'valid' },
  { n: 3, h: 7, w: 8, c: 2, size: 3, stride: 2, padding: 'same' },
  { n: 1, h: 5, w: 5, c: 5, size: 2, stride: 2, padding: 'same' },
];

describe('conv kernels against plain arithmetic', () => {
  it.each(WINDOWS)('a conv2d forward (im2col, then gemm with a [k, k, inC, outC] kernel) is the direct convolution: %o', (win) => {
    const kernel = instantiateFusedMlpKernel();
    const memory = arena(kernel);
    const filters = 5;
    const { oh, ow } = outputOf(win);
    const patch = win.size * win.size * win.c;
    const x = values(win.n * win.h * win.w * win.c, 1);
    const weights = values(patch * filters, 2);
    const px = memory.put(x);
    const pw = memory.put(weights);
    const cols = memory.zeros(win.n * oh * ow * patch);
    const out = memory.zeros(win.n * oh * ow * filters);
    kernel.im2col(px, cols, win.n, win.h, win.w, win.c, oh, ow, win.size, win.stride, outputOf(win).top, outputOf(win).left);
    kernel.gemm(cols, patch, 1, pw, out, win.n * oh * ow, patch, filters, 0);
    const expected = new Array<number>(win.n * oh * ow * filters).fill(0);
    const { top, left } = outputOf(win);
    for (const { b, oy, ox, iy, ix } of windowPixels(win)) {
      const ky = iy - (oy * win.stride - top);
      const kx = ix - (ox * win.stride - left);
      for (let ci = 0; ci < win.c; ci++) {
        for (let f = 0; f < filters; f++) {
          const o = ((b * oh + oy) * ow + ox) * filters + f;
          expected[o] = (expected[o] ?? 0) + (x[((b * win.h + iy) * win.w + ix) * win.c + ci] ?? 0) * (weights[((ky * win.size + kx) * win.c + ci) * filters + f] ?? 0);
        }
      }
    }
    expectNear(memory.read(out, expected.length), expected, 1e-5);
  });

  it.each(WINDOWS)('col2im adds each patch entry back to the pixel it was read from: %o', (win) => {
    const kernel = instantiateFusedMlpKernel();
    const memory = arena(kernel);
    const { oh, ow, top, left } = outputOf(win);
    const patch = win.size * win.size * win.c;
    const cols = values(win.n * oh * ow * patch, 3);
    const pc = memory.put(cols);
    const dx = memory.put(values(win.n * win.h * win.w * win.c, 4)); // overwritten, not added to
    kernel.col2im(pc, dx, win.n, win.h, win.w, win.c, oh, ow, win.size, win.stride, top, left);
    const expected = new Array<number>(win.n * win.h * win.w * win.c).fill(0);
    for (const { b, oy, ox, iy, ix } of windowPixels(win)) {
      const ky = iy - (oy * win.stride - top);
      const kx = ix - (ox * win.stride - left);
      for (let ci = 0; ci < win.c; ci++) {
        const to = ((b * win.h + iy) * win.w + ix) * win.c + ci;
        expected[to] = (expected[to] ?? 0) + (cols[((b * oh + oy) * ow + ox) * patch + (ky * win.size + kx) * win.c + ci] ?? 0);
      }
    }
    expectNear(memory.read(dx, expected.length), expected, 1e-5);
  });

  it.each(WINDOWS)('max pooling keeps each window\'s largest pixel and sends its gradient there: %o', (win) => {
    const kernel = instantiateFusedMlpKernel();
    const memory = arena(kernel);
    const { oh, ow, top, left } = outputOf(win);
    const x = values(win.n * win.h * win.w * win.c, 5);
    const outCount = win.n * oh * ow * win.c;
    const dy = values(outCount, 6);
    const [px, out, argmax, pdy, dx] = [memory.put(x), memory.zeros(outCount), memory.zeros(outCount), memory.put(dy), memory.zeros(x.length)];
    kernel.maxPoolForward(px, out, argmax, win.n, win.h, win.w, win.c, oh, ow, win.size, win.stride, top, left);
    kernel.maxPoolBackward(pdy, argmax, dx, outCount, x.length);
    const best = new Array<number>(outCount).fill(-Infinity);
    const at = new Array<number>(outCount).fill(-1);
    for (const { b, oy, ox, iy, ix } of windowPixels(win)) {
      for (let ci = 0; ci < win.c; ci++) {
        const o = ((b * oh + oy) * ow + ox) * win.c + ci;
        const i = ((b * win.h + iy) * win.w + ix) * win.c + ci;
        if ((x[i] ?? Number.NaN) > (best[o] ?? Number.NaN)) [best[o], at[o]] = [x[i] ?? Number.NaN, i];
      }
    }
    const expectedDx = new Array<number>(x.length).fill(0);
    at.forEach((i, o) => (expectedDx[i] = (expectedDx[i] ?? 0) + (dy[o] ?? 0)));
    expect(memory.read(out, outCount)).toEqual(best);
    expect(memory.readInts(argmax, outCount)).toEqual(at);
    expectNear(memory.read(dx, x.length), expectedDx, 1e-6);
  });

  it('max pooling gives a tie to the first pixel of the window, as tfjs does', () => {
    const kernel = instantiateFusedMlpKernel();
    const memory = arena(kernel);
    // One 2×2 window of equal values, one channel.
    const [px, out, argmax, dy, dx] = [memory.put([0.5, 0.5, 0.5, 0.5]), memory.zeros(1), memory.zeros(1), memory.put([1]), memory.zeros(4)];
    kernel.maxPoolForward(px, out, argmax, 1, 2, 2, 1, 1, 1, 2, 2, 0, 0);
    kernel.maxPoolBackward(dy, argmax, dx, 1, 4);
    expect(memory.read(dx, 4)).toEqual([1, 0, 0, 0]);
  });

  it.each(WINDOWS)('average pooling means the pixels inside the image; its gradient spreads dy·1/(size²) as tfjs\'s AvgPoolGrad: %o', (win) => {
    const kernel = instantiateFusedMlpKernel();
    const memory = arena(kernel);
    const { oh, ow, top, left } = outputOf(win);
    const x = values(win.n * win.h * win.w * win.c, 7);
    const outCount = win.n * oh * ow * win.c;
    const dy = values(outCount, 8);
    const [px, out, pdy, dx] = [memory.put(x), memory.zeros(outCount), memory.put(dy), memory.zeros(x.length)];
    kernel.averagePoolForward(px, out, win.n, win.h, win.w, win.c, oh, ow, win.size, win.stride, top, left);
    kernel.averagePoolBackward(pdy, dx, win.n, win.h, win.w, win.c, oh, ow, win.size, win.stride, top, left, Math.fround(1 / (win.size * win.size)));
    const sums = new Array<number>(outCount).fill(0);
    const counts = new Array<number>(outCount).fill(0);
    const expectedDx = new Array<number>(x.length).fill(0);
    for (const { b, oy, ox, iy, ix } of windowPixels(win)) {
      for (let ci = 0; ci < win.c; ci++) {
        const o = ((b * oh + oy) * ow + ox) * win.c + ci;
        const i = ((b * win.h + iy) * win.w + ix) * win.c + ci;
        sums[o] = (sums[o] ?? 0) + (x[i] ?? 0);
        counts[o] = (counts[o] ?? 0) + 1;
        expectedDx[i] = (expectedDx[i] ?? 0) + (dy[o] ?? 0) / (win.size * win.size);
      }
    }
    expectNear(memory.read(out, outCount), sums.map((sum, o) => sum / (counts[o] ?? 1)), 1e-6);
    expectNear(memory.read(dx, x.length), expectedDx, 1e-6);
  });
});

const TINY_IMAGES: DatasetSpec = { kind: 'synthetic-images', samples: 96, height: 9, width: 9, channels: 2, classes: 3, seed: 5, validationSplit: 0.25 };

/** A small CNN with every image layer: conv (same padding, stride 1) → max pool → conv (valid) → average pool → flatten → dense. */
const SMALL_CNN: readonly LayerSpec[] = [
  { kind: 'conv2d', filters: 4, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' },
  { kind: 'maxPooling2d', poolSize: 2, strides: 2, padding: 'valid' },
  { kind: 'conv2d', filters: 6, kernelSize: 2, strides: 1, padding: 'valid', activation: 'tanh' },
  { kind: 'averagePooling2d', poolSize: 2, strides: 1, padding: 'same' },
  { kind: 'flatten' },
  { kind: 'dense', units: 8, activation: 'relu' },
  { kind: 'dense', units: 1, activation: 'linear' },
];

/** The same with a strided conv and dropout after the flatten. */
const STRIDED_CNN: readonly LayerSpec[] = [
  { kind: 'conv2d', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' },
  { kind: 'maxPooling2d', poolSize: 3, strides: 2, padding: 'same' },
  { kind: 'flatten' },
  { kind: 'dropout', rate: 0.2 },
  { kind: 'dense', units: 1, activation: 'linear' },
];

function cnn(layers: readonly LayerSpec[], workload: Partial<WorkloadSpec> = {}): Partial<WorkloadSpec> {
  return { dataset: TINY_IMAGES, model: { kind: 'layers', layers }, batchSize: 16, ...workload };
}

/** What a trial reports, less its wall time (which differs from run to run). */
function reported(result: TrialResult | undefined): unknown {
  if (result === undefined) return undefined;
  const { wallSeconds: _wallSeconds, ...rest } = result;
  return rest;
}

async function aloneOnKernels(specs: readonly TrialSpec[]): Promise<TrialResult[]> {
  const results: TrialResult[] = [];
  for (const spec of specs) results.push(...(await runFusedTrials([spec], { backend: 'cpu', engine: 'kernel' })));
  return results;
}

describe('kernel engine with image layers', () => {
  it('trains a CNN on the kernels on the wasm backend (model.fit cannot: tfjs-backend-wasm lacks Conv2DBackpropFilter)', async () => {
    expect(await trainsOnKernels(bundle(cnn(SMALL_CNN))[0] as TrialSpec, 'wasm')).toBe(true);
  });

  it.each([
    ['conv, max and average pooling, flatten', SMALL_CNN],
    ['strided conv and dropout after flatten', STRIDED_CNN],
  ])('%s: a fused member equals the same trial alone on the kernels, bit for bit', async (_, layers) => {
    const specs = bundle(cnn(layers), FORKING);
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const alone = await aloneOnKernels(specs);
    expect(new Set(alone.map((result) => result.lrReductions.join())).size).toBeGreaterThan(1);
    expect(fused.map(reported)).toEqual(alone.map(reported));
  });

  it.each([
    ['adam', SMALL_CNN, 'adam'],
    ['sgd', SMALL_CNN, 'sgd'],
    ['adam, strided conv and dropout', STRIDED_CNN, 'adam'],
  ] as const)('against model.fit on the cpu backend (%s): same LR reductions, losses within 1e-4 relative', async (_, layers, optimizer) => {
    const specs = bundle(cnn(layers, { optimizer, epochs: 6 }), FORKING.slice(0, 3));
    const kernels = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const fit = await separately(specs);
    expect(fit.every((result) => result.outcome.status === 'succeeded')).toBe(true);
    fit.forEach((result, i) => expectSameResult(kernels[i], result, 1e-4));
  });
});

describe('kernel engine with image layers: what it refuses', () => {
  it('does not train a conv2d with a softmax activation (over each pixel\'s channels), naming the layer', async () => {
    const layers: readonly LayerSpec[] = [{ kind: 'conv2d', filters: 3, kernelSize: 3, strides: 1, padding: 'valid', activation: 'softmax' }, { kind: 'flatten' }, { kind: 'dense', units: 1, activation: 'linear' }];
    const [spec] = bundle(cnn(layers));
    expect(await trainsOnKernels(spec as TrialSpec, 'wasm')).toBe(false);
    await expect(runFusedTrials(bundle(cnn(layers)), { backend: 'cpu', engine: 'kernel' })).resolves.toSatisfy((results: TrialResult[]) =>
      results.every((result) => result.outcome.status === 'failed' && result.outcome.error.message.includes('layer 1: conv2d activation softmax has no kernel')),
    );
  });
});

describe('kernel engine with image layers: a part handed off mid-epoch', () => {
  it('resumes elsewhere and reports, with the giver, what the unsplit bundle reports, bit for bit', async () => {
    const specs = bundle(cnn(SMALL_CNN, { epochs: 4 }), [FORKING[0] ?? {}, FORKING[1] ?? {}, FORKING[4] ?? {}]);
    const whole = await runFusedTrials(specs, { backend: 'wasm' });
    const parts: BundlePart[] = [];
    let asked = 0;
    // Wanted before batch 2 of epoch 1 (72 training images in batches of 16: 5 batches an epoch).
    const handoff: BundleHandoff = { wanted: () => asked++ >= 7 && parts.length === 0, take: (part) => parts.push(part) };
    const giver = await runFusedTrials(specs, { backend: 'wasm', handoff });
    const [part] = parts;
    if (part === undefined) throw new Error('no part was handed off');
    expect([part.epochsDone, part.batchesDone]).toEqual([1, 2]);
    const resumed = await resumeFusedTrials(structuredClone(part), { backend: 'wasm' });
    const byId = new Map([...giver, ...resumed].map((result) => [result.trialId, result]));
    expect(specs.map((spec) => reported(byId.get(spec.id)))).toEqual(whole.map(reported));
  });
});
