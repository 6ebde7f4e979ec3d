// The epoch's logged losses from per-batch values, in the float32 arithmetic tfjs-layers 4.22
// uses, so a fused member logs the very numbers its single trial would. Pure.
// - loss: BaseLogger (dist/base_callbacks.js) keeps total += loss·batchSize as a float32 tensor
//   and logs (1/seen)·total; the single-trial runner stops after the first batch whose loss is
//   NaN or infinite, so later batches never count and the epoch is not validated.
// - val_loss: Model.testLoop (dist/engine/training.js) sums batchSize·mean(batch) in float32 and
//   divides by the row count.
const f32 = Math.fround;

export interface TrainingEpochLoss {
  /** What the epoch logs as `loss`. */
  readonly loss: number;
  /** 0-based index of the batch whose loss was NaN or infinite, after which training stops; undefined when none was. */
  readonly stoppedAfterBatch: number | undefined;
}

/** `batchLosses[b]` is batch b's mean loss (a float32 value), `batchSizes[b]` its row count. */
export function trainingEpochLoss(batchLosses: ArrayLike<number>, batchSizes: readonly number[]): TrainingEpochLoss {
  let total = 0;
  let seen = 0;
  for (let b = 0; b < batchLosses.length; b++) {
    const loss = batchLosses[b] ?? Number.NaN;
    const size = batchSizes[b] ?? 0;
    seen += size;
    total = f32(total + f32(loss * size));
    if (!Number.isFinite(loss)) return { loss: f32(f32(1 / seen) * total), stoppedAfterBatch: b };
  }
  return { loss: f32(f32(1 / seen) * total), stoppedAfterBatch: undefined };
}

/** `batchMeans[b]` is validation batch b's mean loss, `batchSizes[b]` its row count. */
export function validationLoss(batchMeans: ArrayLike<number>, batchSizes: readonly number[]): number {
  let total = 0;
  let count = 0;
  for (let b = 0; b < batchMeans.length; b++) {
    const size = batchSizes[b] ?? 0;
    total = f32(total + f32(size * (batchMeans[b] ?? Number.NaN)));
    count += size;
  }
  return f32(total / count);
}
