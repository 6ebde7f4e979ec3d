// The image layers of the kernel engine (KernelBundle): conv2d, max and average pooling, and
// flatten, on NHWC batches in the kernel's memory (kernels/conv-layers.ts). A conv2d is im2col,
// then the engine's gemm with the kernel in tfjs's layout [k, k, inC, filters] (read as a
// [k·k·inC × filters] matrix), then bias and activation as a dense layer's; its backward pass is
// the weights' gradient colsᵀ·dz, the bias's column sums, and d input = col2im(dz·Wᵀ). Max
// pooling keeps each output's argmax for its backward pass; flatten is layout only (NHWC rows
// are already flat). Each stage's float offsets in a member block and byte offsets of its buffers
// are laid out by the engine; here is the arithmetic each stage asks of the kernel.
import type { LayerSpec } from '../../../trial/types.js';
import { paddingBefore, slidingOutputSize } from '../../layer-shapes.js';
import type { FusedMlpKernel } from './kernel-module.js';

const BYTES = 4;

/** An image's size. */
export interface ImageShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** Where a window slides: the input image, the output's size, and the window (tfjs's conv info). */
export interface WindowGeometry {
  readonly inH: number;
  readonly inW: number;
  readonly channels: number;
  readonly outH: number;
  readonly outW: number;
  readonly size: number;
  readonly stride: number;
  readonly padTop: number;
  readonly padLeft: number;
}

export interface ConvStagePlan {
  readonly kind: 'conv2d';
  readonly geometry: WindowGeometry;
  readonly filters: number;
  /** k·k·inC: one im2col row, one kernel column. */
  readonly patch: number;
  readonly activation: number;
  readonly kernelAt: number;
  readonly biasAt: number;
  /** Output floats per sample. */
  readonly units: number;
}

interface PoolPlanOf<Kind extends 'maxPool' | 'averagePool'> {
  readonly kind: Kind;
  readonly geometry: WindowGeometry;
  readonly inputUnits: number;
  readonly units: number;
}

export type PoolStagePlan = PoolPlanOf<'maxPool'> | PoolPlanOf<'averagePool'>;

export interface FlattenStagePlan {
  readonly kind: 'flatten';
  readonly units: number;
}

export type ImageStagePlan = ConvStagePlan | PoolStagePlan | FlattenStagePlan;

export type ConvStage = ConvStagePlan & { readonly out: number; readonly cols: number };
/** argmax: each output's index into the input (max pooling only; −1 for average pooling). */
export type PoolStage = (PoolPlanOf<'maxPool'> | PoolPlanOf<'averagePool'>) & { readonly out: number; readonly argmax: number };
/** No buffer: the next stage reads the flatten's input. */
export type FlattenStage = FlattenStagePlan & { readonly out: -1 };

export type ImageStage = ConvStage | PoolStage | FlattenStage;

type ImageLayer = Extract<LayerSpec, { kind: 'conv2d' | 'maxPooling2d' | 'averagePooling2d' | 'flatten' }>;

export function isImageLayer(layer: LayerSpec): layer is ImageLayer {
  return layer.kind === 'conv2d' || layer.kind === 'maxPooling2d' || layer.kind === 'averagePooling2d' || layer.kind === 'flatten';
}

function geometry(input: ImageShape, size: number, stride: number, padding: 'valid' | 'same'): WindowGeometry {
  const outH = slidingOutputSize(input.height, size, stride, padding);
  const outW = slidingOutputSize(input.width, size, stride, padding);
  if (outH < 1 || outW < 1) throw new RangeError(`KernelBundle: a window of ${size} does not fit a ${input.height}×${input.width} image`);
  return {
    inH: input.height,
    inW: input.width,
    channels: input.channels,
    outH,
    outW,
    size,
    stride,
    padTop: paddingBefore(input.height, outH, size, stride, padding),
    padLeft: paddingBefore(input.width, outW, size, stride, padding),
  };
}

/**
 * An image layer's stage on `input` (undefined: flat rows of `inputUnits`), its trainable floats
 * placed from `at`; returns the stage, its output image (undefined once flat) and the next free float.
 */
export function planImageStage(layer: ImageLayer, input: ImageShape | undefined, inputUnits: number, at: number, activationCode: number): { stage: ImageStagePlan; output: ImageShape | undefined; at: number } {
  if (layer.kind === 'flatten') return { stage: { kind: 'flatten', units: inputUnits }, output: undefined, at };
  if (input === undefined) throw new RangeError(`KernelBundle: a ${layer.kind} layer needs images, not flat rows`);
  if (layer.kind === 'conv2d') {
    const window = geometry(input, layer.kernelSize, layer.strides, layer.padding);
    const patch = layer.kernelSize * layer.kernelSize * input.channels;
    const stage: ConvStagePlan = { kind: 'conv2d', geometry: window, filters: layer.filters, patch, activation: activationCode, kernelAt: at, biasAt: at + patch * layer.filters, units: window.outH * window.outW * layer.filters };
    return { stage, output: { height: window.outH, width: window.outW, channels: layer.filters }, at: at + patch * layer.filters + layer.filters };
  }
  const window = geometry(input, layer.poolSize, layer.strides, layer.padding);
  const pool = { geometry: window, inputUnits, units: window.outH * window.outW * input.channels };
  const stage: PoolStagePlan = layer.kind === 'maxPooling2d' ? { kind: 'maxPool', ...pool } : { kind: 'averagePool', ...pool };
  return { stage, output: { height: window.outH, width: window.outW, channels: input.channels }, at };
}

/** The stage with its buffers for `rows` samples, taken with `take(floats)` (a byte offset). */
export function placeImageStage(plan: ImageStagePlan, rows: number, take: (floats: number) => number): ImageStage {
  switch (plan.kind) {
    case 'flatten':
      return { ...plan, out: -1 };
    case 'conv2d':
      return { ...plan, out: take(rows * plan.units), cols: take(rows * plan.geometry.outH * plan.geometry.outW * plan.patch) };
    case 'maxPool':
      return { ...plan, out: take(rows * plan.units), argmax: take(rows * plan.units) };
    case 'averagePool':
      return { ...plan, out: take(rows * plan.units), argmax: -1 };
  }
}

/** Floats of the Wᵀ scratch a conv stage needs for its backward pass. */
export function transposedFloats(plan: ConvStagePlan): number {
  return plan.patch * plan.filters;
}

/** The stage's forward pass on `rows` samples at `input` (byte offsets); returns where its output is. */
export function imageForward(kernel: FusedMlpKernel, stage: ImageStage, input: number, weights: number, rows: number): number {
  if (stage.kind === 'flatten') return input;
  const g = stage.geometry;
  switch (stage.kind) {
    case 'conv2d': {
      const pixels = rows * g.outH * g.outW;
      kernel.im2col(input, stage.cols, rows, g.inH, g.inW, g.channels, g.outH, g.outW, g.size, g.stride, g.padTop, g.padLeft);
      kernel.gemm(stage.cols, stage.patch, 1, weights + stage.kernelAt * BYTES, stage.out, pixels, stage.patch, stage.filters, 0);
      kernel.biasActivate(stage.out, weights + stage.biasAt * BYTES, pixels, stage.filters, stage.activation);
      break;
    }
    case 'maxPool':
      kernel.maxPoolForward(input, stage.out, stage.argmax, rows, g.inH, g.inW, g.channels, g.outH, g.outW, g.size, g.stride, g.padTop, g.padLeft);
      break;
    case 'averagePool':
      kernel.averagePoolForward(input, stage.out, rows, g.inH, g.inW, g.channels, g.outH, g.outW, g.size, g.stride, g.padTop, g.padLeft);
      break;
  }
  return stage.out;
}

/** Buffers of one backward step (byte offsets). */
export interface ImageBackward {
  /** dLoss/d output of the stage, rows × units (the conv's activation gradient is applied in place). */
  readonly dz: number;
  /** Where d input goes (rows × the stage's input floats), or undefined when nothing before needs it. */
  readonly dx: number | undefined;
  /** What the stage read in the forward pass. */
  readonly input: number;
  readonly weights: number;
  readonly grad: number;
  readonly transposed: number;
}

/** The stage's backward pass; returns whether it wrote d input to `dx` (flatten writes nothing: d input is dz). */
export function imageBackward(kernel: FusedMlpKernel, stage: ImageStage, rows: number, buffers: ImageBackward): boolean {
  const { dz, dx } = buffers;
  if (stage.kind === 'flatten') return false;
  const g = stage.geometry;
  switch (stage.kind) {
    case 'conv2d': {
      const pixels = rows * g.outH * g.outW;
      kernel.activationGrad(dz, stage.out, pixels * stage.filters, stage.activation);
      // dW = colsᵀ · dz, the patches read transposed through their strides.
      kernel.gemm(stage.cols, 1, stage.patch, dz, buffers.grad + stage.kernelAt * BYTES, stage.patch, pixels, stage.filters, 0);
      kernel.columnSums(dz, pixels, stage.filters, buffers.grad + stage.biasAt * BYTES);
      if (dx === undefined) return false;
      // d cols = dz · Wᵀ into the patches' buffer (read above, free now), then scattered back to pixels.
      kernel.transpose(buffers.weights + stage.kernelAt * BYTES, stage.patch, stage.filters, buffers.transposed);
      kernel.gemm(dz, stage.filters, 1, buffers.transposed, stage.cols, pixels, stage.filters, stage.patch, 0);
      kernel.col2im(stage.cols, dx, rows, g.inH, g.inW, g.channels, g.outH, g.outW, g.size, g.stride, g.padTop, g.padLeft);
      return true;
    }
    case 'maxPool':
      if (dx === undefined) return false;
      kernel.maxPoolBackward(dz, stage.argmax, dx, rows * stage.units, rows * stage.inputUnits);
      return true;
    case 'averagePool':
      if (dx === undefined) return false;
      kernel.averagePoolBackward(dz, dx, rows, g.inH, g.inW, g.channels, g.outH, g.outW, g.size, g.stride, g.padTop, g.padLeft, Math.fround(1 / (g.size * g.size)));
      return true;
  }
}
