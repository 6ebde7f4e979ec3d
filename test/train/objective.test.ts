import { describe, expect, it } from 'vitest';
import { trialObjective } from '../../src/train/objective.js';
import type { EpochRecord } from '../../src/trial/types.js';

const history: EpochRecord[] = [
  { epoch: 1, loss: 1.0, val_loss: 0.9, lr: 0.01, val_acc: 0.5 },
  { epoch: 2, loss: 0.8, val_loss: 0.4, lr: 0.01, val_acc: 0.8 },
  { epoch: 3, loss: 0.7, val_loss: 0.6, lr: 0.005, val_acc: 0.7 },
];

describe('trialObjective', () => {
  it('takes the metric at the last epoch for use "final"', () => {
    expect(trialObjective(history, { metric: 'val_loss', goal: 'minimize', use: 'final' })).toBe(0.6);
  });

  it('takes the lowest value for use "best" when minimizing', () => {
    expect(trialObjective(history, { metric: 'val_loss', goal: 'minimize', use: 'best' })).toBe(0.4);
  });

  it('takes the highest value for use "best" when maximizing', () => {
    expect(trialObjective(history, { metric: 'val_acc', goal: 'maximize', use: 'best' })).toBe(0.8);
  });

  it('is null for "final" when the last epoch diverged, while "best" skips the NaN', () => {
    const diverged = [...history, { epoch: 4, loss: Number.NaN, val_loss: Number.NaN, lr: 0.005 }];
    expect(trialObjective(diverged, { metric: 'val_loss', goal: 'minimize', use: 'final' })).toBeNull();
    expect(trialObjective(diverged, { metric: 'val_loss', goal: 'minimize', use: 'best' })).toBe(0.4);
  });

  it('is null with no history or a metric that was never logged', () => {
    expect(trialObjective([], { metric: 'val_loss', goal: 'minimize', use: 'final' })).toBeNull();
    expect(trialObjective(history, { metric: 'val_mae', goal: 'minimize', use: 'best' })).toBeNull();
  });
});
