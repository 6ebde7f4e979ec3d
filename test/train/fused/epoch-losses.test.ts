import { describe, expect, it } from 'vitest';
import { trainingEpochLoss, validationLoss } from '../../../src/train/fused/epoch-losses.js';

const f32 = Math.fround;

describe('trainingEpochLoss', () => {
  it('averages batch losses weighted by batch size, in float32 as BaseLogger does', () => {
    const losses = [f32(0.3), f32(0.1), f32(0.7)];
    const sizes = [64, 64, 16];
    let total = 0;
    losses.forEach((loss, b) => (total = f32(total + f32(loss * (sizes[b] ?? 0)))));
    const expected = f32(f32(1 / 144) * total);

    expect(trainingEpochLoss(losses, sizes)).toEqual({ loss: expected, stoppedAfterBatch: undefined });
    expect(expected).not.toBe((0.3 * 64 + 0.1 * 64 + 0.7 * 16) / 144);
  });

  it('stops at the first NaN or infinite batch loss and ignores the batches after it', () => {
    expect(trainingEpochLoss([1, Number.POSITIVE_INFINITY, Number.NaN], [8, 8, 8])).toEqual({ loss: Number.POSITIVE_INFINITY, stoppedAfterBatch: 1 });
    expect(trainingEpochLoss([1, Number.NaN, Number.POSITIVE_INFINITY], [8, 8, 8])).toEqual({ loss: Number.NaN, stoppedAfterBatch: 1 });
  });

  it('logs an overflowing but finite epoch as infinite without stopping early', () => {
    expect(trainingEpochLoss([3e38, 3e38], [64, 64])).toEqual({ loss: Number.POSITIVE_INFINITY, stoppedAfterBatch: undefined });
  });
});

describe('validationLoss', () => {
  it('weights each batch mean by its rows and divides by the row count in float32', () => {
    const means = [f32(0.25), f32(0.5)];
    const expected = f32(f32(f32(32 * f32(0.25)) + f32(8 * f32(0.5))) / 40);
    expect(validationLoss(means, [32, 8])).toBe(expected);
  });

  it('is NaN when any batch is', () => {
    expect(validationLoss([0.5, Number.NaN], [32, 32])).toBeNaN();
  });
});
