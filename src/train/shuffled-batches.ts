// The training rows as a tfjs-layers dataset: each epoch (fitDataset calls iterator() once per
// epoch) walks a fresh seeded permutation in batches. tfjs's own `fit({shuffle: true})` shuffles
// with Math.random, so runs would not repeat; copying rows into batch tensors here costs about the
// same as fit's own per-batch gather.
import { tensor2d, type Tensor2D } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { DatasetSplit } from './datasets/loaded-dataset.js';
import type { SeededRandom } from './seeded-random.js';

export interface Batch {
  readonly xs: Tensor2D;
  readonly ys: Tensor2D;
}

/** Row indices of one epoch's batches, in order; the last batch may be short (as Keras). */
export function epochBatches(permutation: Uint32Array, batchSize: number): Uint32Array[] {
  const batches: Uint32Array[] = [];
  for (let start = 0; start < permutation.length; start += batchSize) {
    batches.push(permutation.subarray(start, Math.min(start + batchSize, permutation.length)));
  }
  return batches;
}

/** Rows of each batch when `rows` rows are split into batches of `batchSize` (the last one shorter), as Keras and Model.evaluate split them. */
export function batchSizes(rows: number, batchSize: number): number[] {
  const sizes: number[] = [];
  for (let start = 0; start < rows; start += batchSize) sizes.push(Math.min(batchSize, rows - start));
  return sizes;
}

/** Copies the given rows of a row-major matrix into a new contiguous one. */
export function gatherRows(source: Float32Array, width: number, rows: Uint32Array): Float32Array {
  const out = new Float32Array(rows.length * width);
  gatherRowsInto(out, 0, source, width, rows);
  return out;
}

/**
 * Copies the given rows of a row-major matrix into `target` from float `offset` on, contiguous.
 * A plain loop: a subarray per row would allocate twice per row of every batch.
 */
export function gatherRowsInto(target: Float32Array, offset: number, source: Float32Array, width: number, rows: Uint32Array): void {
  let to = offset;
  for (const row of rows) {
    const from = row * width;
    for (let c = 0; c < width; c++) target[to++] = source[from + c] ?? Number.NaN;
  }
}

export type TrainingDataset = Parameters<LayersModel['fitDataset']>[0];

/**
 * A dataset whose iterator yields `{xs, ys}` batches of a new permutation each epoch. fitDataset
 * disposes each batch after its training step, so nothing here outlives the batch.
 */
export function shuffledBatches(
  split: DatasetSplit,
  featureCount: number,
  targetCount: number,
  batchSize: number,
  random: SeededRandom,
): TrainingDataset {
  const batchCount = Math.ceil(split.count / batchSize);
  return {
    size: batchCount,
    iterator: () => {
      const batches = epochBatches(random.permutation(split.count), batchSize);
      let next = 0;
      return Promise.resolve({
        next: (): Promise<IteratorResult<Batch>> => {
          const rows = batches[next];
          if (rows === undefined) return Promise.resolve({ done: true, value: undefined });
          next += 1;
          const xs = tensor2d(gatherRows(split.x, featureCount, rows), [rows.length, featureCount]);
          const ys = tensor2d(gatherRows(split.y, targetCount, rows), [rows.length, targetCount]);
          return Promise.resolve({ done: false, value: { xs, ys } });
        },
      });
    },
  };
}
