// The thin adapter over the generated kernel (gen/kernels/, built from kernels/fused-mlp.ts by
// `npm run gen`): compiles it once per process and gives each engine its own instance (its own
// memory) behind a typed view of the exports.
import { FUSED_MLP_WASM_BASE64 } from '../../../../gen/kernels/fused-mlp-wasm.js';

/** Byte offsets into the instance's memory. */
type Ptr = number;

/** The little of WebAssembly's JS API used here (the ES2023 lib and @types/node 20 do not declare it). */
export interface KernelMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: Readonly<Record<string, unknown>> };
}

function webAssembly(): WebAssemblyApi {
  const api: unknown = Reflect.get(globalThis, 'WebAssembly');
  if (typeof api !== 'object' || api === null) throw new TypeError('this runtime has no WebAssembly');
  return api as WebAssemblyApi;
}

function isMemory(value: unknown): value is KernelMemory {
  return typeof value === 'object' && value !== null && Reflect.get(value, 'buffer') instanceof ArrayBuffer && typeof Reflect.get(value, 'grow') === 'function';
}

export interface FusedMlpKernel {
  readonly memory: KernelMemory;
  heapBase(): Ptr;
  gemm(a: Ptr, aRow: number, aCol: number, b: Ptr, c: Ptr, m: number, k: number, n: number, accumulate: number): void;
  transpose(src: Ptr, rows: number, cols: number, dst: Ptr): void;
  biasActivate(z: Ptr, bias: Ptr, rows: number, cols: number, activation: number): void;
  activationGrad(dh: Ptr, h: Ptr, count: number, activation: number): void;
  columnSums(dz: Ptr, rows: number, cols: number, out: Ptr): void;
  loss(kind: number, pred: Ptr, target: Ptr, rows: number, cols: number, grad: Ptr): number;
  sgd(w: Ptr, g: Ptr, count: number, negLr: number): void;
  momentum(w: Ptr, g: Ptr, acc: Ptr, count: number, mu: number, negLr: number): void;
  adam(w: Ptr, g: Ptr, m: Ptr, v: Ptr, count: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, oneMinusAccBeta1: number, oneMinusAccBeta2: number, epsilon: number, negLr: number): void;
  rmsprop(w: Ptr, g: Ptr, s: Ptr, a: Ptr, count: number, rho: number, oneMinusRho: number, mu: number, epsilon: number, lr: number): void;
  adagrad(w: Ptr, g: Ptr, acc: Ptr, count: number, epsilon: number, negLr: number): void;
  adadelta(w: Ptr, g: Ptr, accGrad: Ptr, accUpdate: Ptr, count: number, rho: number, oneMinusRho: number, epsilon: number, negLr: number): void;
  adamax(w: Ptr, g: Ptr, m: Ptr, u: Ptr, count: number, beta1: number, oneMinusBeta1: number, beta2: number, epsilon: number, scale: number): void;
  binaryCrossentropy(pred: Ptr, target: Ptr, rows: number, cols: number, grad: Ptr, epsilon: number): number;
  scaleByMask(h: Ptr, mask: Ptr, out: Ptr, count: number): void;
  batchNormTrain(x: Ptr, out: Ptr, xhat: Ptr, stats: Ptr, rows: number, cols: number, gamma: Ptr, beta: Ptr, movingMean: Ptr, movingVariance: Ptr, decay: number, epsilon: number): void;
  batchNormInfer(x: Ptr, out: Ptr, rows: number, cols: number, gamma: Ptr, beta: Ptr, movingMean: Ptr, movingVariance: Ptr, epsilon: number): void;
  batchNormBackward(dy: Ptr, xhat: Ptr, stats: Ptr, gamma: Ptr, rows: number, cols: number, dGamma: Ptr, dBeta: Ptr): void;
  // Image layers (kernels/conv-layers.ts): NHWC batches; the window's geometry after the buffers.
  im2col(x: Ptr, cols: Ptr, rows: number, inH: number, inW: number, channels: number, outH: number, outW: number, kernel: number, stride: number, padTop: number, padLeft: number): void;
  col2im(cols: Ptr, dx: Ptr, rows: number, inH: number, inW: number, channels: number, outH: number, outW: number, kernel: number, stride: number, padTop: number, padLeft: number): void;
  maxPoolForward(x: Ptr, out: Ptr, argmax: Ptr, rows: number, inH: number, inW: number, channels: number, outH: number, outW: number, size: number, stride: number, padTop: number, padLeft: number): void;
  maxPoolBackward(dy: Ptr, argmax: Ptr, dx: Ptr, outCount: number, inCount: number): void;
  averagePoolForward(x: Ptr, out: Ptr, rows: number, inH: number, inW: number, channels: number, outH: number, outW: number, size: number, stride: number, padTop: number, padLeft: number): void;
  averagePoolBackward(dy: Ptr, dx: Ptr, rows: number, inH: number, inW: number, channels: number, outH: number, outW: number, size: number, stride: number, padTop: number, padLeft: number, multiplier: number): void;
  softmaxRows(z: Ptr, rows: number, cols: number): void;
  softmaxGrad(dh: Ptr, y: Ptr, rows: number, cols: number): void;
  /** sparse: 1 for class-label targets (one column), 0 for one-hot rows. */
  categoricalCrossentropy(pred: Ptr, target: Ptr, rows: number, cols: number, sparse: number, grad: Ptr, epsilon: number): number;
  accuracy(kind: number, pred: Ptr, target: Ptr, rows: number, cols: number): number;
  l1l2Penalty(w: Ptr, count: number, l1: number, l2: number): number;
  addL1L2Grad(w: Ptr, g: Ptr, count: number, l1: number, l2: number): void;
  layerNormForward(x: Ptr, out: Ptr, xhat: Ptr, invStd: Ptr, rows: number, cols: number, gamma: Ptr, beta: Ptr, epsilon: number): void;
  layerNormBackward(dy: Ptr, xhat: Ptr, invStd: Ptr, gamma: Ptr, rows: number, cols: number, dGamma: Ptr, dBeta: Ptr): void;
}

const FUNCTIONS = ['heapBase', 'gemm', 'transpose', 'biasActivate', 'activationGrad', 'columnSums', 'loss', 'sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'adamax', 'scaleByMask', 'batchNormTrain', 'batchNormInfer', 'batchNormBackward', 'binaryCrossentropy', 'im2col', 'col2im', 'maxPoolForward', 'maxPoolBackward', 'averagePoolForward', 'averagePoolBackward', 'softmaxRows', 'softmaxGrad', 'categoricalCrossentropy', 'accuracy', 'l1l2Penalty', 'addL1L2Grad', 'layerNormForward', 'layerNormBackward'] as const;

let compiled: object | undefined;

/** A fresh kernel instance with its own memory. Throws when this runtime lacks WebAssembly SIMD. */
export function instantiateFusedMlpKernel(): FusedMlpKernel {
  const api = webAssembly();
  compiled ??= new api.Module(Buffer.from(FUSED_MLP_WASM_BASE64, 'base64'));
  const { exports } = new api.Instance(compiled, {});
  const memory = exports['memory'];
  if (!isMemory(memory)) throw new TypeError('the fused-mlp kernel exports no memory');
  const kernel: Record<string, unknown> = { memory };
  for (const name of FUNCTIONS) {
    const fn = exports[name];
    if (typeof fn !== 'function') throw new TypeError(`the fused-mlp kernel exports no ${name}()`);
    kernel[name] = fn;
  }
  return kernel as unknown as FusedMlpKernel;
}
