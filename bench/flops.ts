// Matrix-product arithmetic of the reference workload and the machine's matmul peak per engine,
// so training speed can be stated as achieved GFLOP/s and as a fraction of what the same
// machine multiplies at. Only the products are counted (2 FLOPs per multiply-add); the
// elementwise work (activations, loss, optimizer) is left out, as is usual for this figure.
import { dispose, matMul, randomUniform, type Tensor2D } from '@tensorflow/tfjs-core';
import { silentLogger } from '../src/log/logger.js';
import { selectBackend } from '../src/train/backend.js';
import { instantiateFusedMlpKernel } from '../src/train/fused/kernel/kernel-module.js';
import type { BackendName } from '../src/trial/types.js';

/** [inputs, units] of each dense layer. */
export type LayerShapes = readonly (readonly [number, number])[];

/** FLOPs of one epoch: forward, weight gradients and input gradients (not the first layer's) per training row; forward per validation row. */
export function epochFlops(layers: LayerShapes, trainRows: number, validationRows: number): number {
  const forward = layers.reduce((sum, [inputs, units]) => sum + 2 * inputs * units, 0);
  const inputGradients = layers.slice(1).reduce((sum, [inputs, units]) => sum + 2 * inputs * units, 0);
  return trainRows * (2 * forward + inputGradients) + validationRows * forward;
}

export interface MatmulPeak {
  readonly engine: string;
  readonly shape: string;
  readonly gflops: number;
}

function best(times: readonly number[]): number {
  return Math.min(...times);
}

/** Best-of-5 GFLOP/s of an n×n×n tfjs matMul on `backend` (data read back, so the work is done). */
export async function tfjsMatmulPeak(backend: BackendName, n = 512): Promise<MatmulPeak> {
  await selectBackend(backend, silentLogger);
  const a = randomUniform([n, n], -1, 1, 'float32', 1) as Tensor2D;
  const b = randomUniform([n, n], -1, 1, 'float32', 2) as Tensor2D;
  const times: number[] = [];
  for (let run = 0; run < 6; run++) {
    const started = performance.now();
    const c = matMul(a, b);
    await c.data();
    times.push((performance.now() - started) / 1000);
    c.dispose();
  }
  dispose([a, b]);
  return { engine: `tfjs ${backend}`, shape: `${n}×${n}×${n}`, gflops: (2 * n ** 3) / best(times.slice(1)) / 1e9 };
}

/** Best-of-5 GFLOP/s of the fused kernel's gemm on an m×k by k×n product, repeated to fill ~50 ms. */
export function kernelGemmPeak(m: number, k: number, n: number): MatmulPeak {
  const kernel = instantiateFusedMlpKernel();
  const base = kernel.heapBase();
  const bytes = 4 * (m * k + k * n + m * n);
  kernel.memory.grow(Math.ceil(bytes / 65536) + 1);
  const heap = new Float32Array(kernel.memory.buffer);
  for (let i = 0; i < m * k + k * n; i++) heap[base / 4 + i] = Math.sin(i);
  const [a, b, c] = [base, base + 4 * m * k, base + 4 * (m * k + k * n)];
  const repeats = Math.max(1, Math.round(1e8 / (2 * m * k * n)));
  const times: number[] = [];
  for (let run = 0; run < 6; run++) {
    const started = performance.now();
    for (let r = 0; r < repeats; r++) kernel.gemm(a, k, 1, b, c, m, k, n, 0);
    times.push((performance.now() - started) / 1000);
  }
  return { engine: 'fused kernel (wasm SIMD)', shape: `${m}×${k}×${n}`, gflops: (2 * m * k * n * repeats) / best(times.slice(1)) / 1e9 };
}
