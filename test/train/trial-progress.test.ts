import { memory } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { reduceLROnPlateau } from '../../src/plateau/callback.js';
import { selectBackend } from '../../src/train/backend.js';
import { loadDataset } from '../../src/train/datasets/load-dataset.js';
import { buildModel, compileModel } from '../../src/train/model-builder.js';
import { SeededRandom } from '../../src/train/seeded-random.js';
import { shuffledBatches } from '../../src/train/shuffled-batches.js';
import { cancelReason, epochRecord, TrialProgressCallback } from '../../src/train/trial-progress.js';
import { tinyRegression, trialSpec } from './trial-fixtures.js';

beforeAll(async () => {
  await selectBackend('cpu', silentLogger);
});

describe('TrialProgressCallback', () => {
  it('stops fitDataset after at most one batch when the signal fired before training began', async () => {
    // tfjs clears stopTraining after onTrainBegin: a stop requested only there is lost and
    // all 200 epochs (800 batches) would train.
    const spec = trialSpec();
    const data = await loadDataset(tinyRegression);
    const before = memory().numTensors;
    const model = await buildModel(spec.workload, data, 1);
    const optimizer = compileModel(model, spec.workload, 0.01);
    const plateau = reduceLROnPlateau({ monitor: 'loss' });
    const progress = new TrialProgressCallback({
      optimizer,
      plateau,
      signal: AbortSignal.abort('pruned'),
      onEpoch: undefined,
      logger: silentLogger,
    });
    await model.fitDataset(shuffledBatches(data.train, data.featureCount, 1, 32, new SeededRandom(1)), {
      epochs: 200,
      callbacks: [plateau, progress],
      verbose: 0,
    });
    expect(progress.earlyStop).toEqual({ kind: 'cancelled', reason: 'pruned' });
    expect(progress.history).toEqual([]);
    expect(optimizer.iterations).toBeLessThanOrEqual(1);
    model.dispose();
    optimizer.dispose();
    // Nothing from the stopped fit is left behind.
    expect(memory().numTensors).toBe(before);
  });
});

describe('cancelReason', () => {
  it('passes a known CancelReason through and calls anything else "interrupted"', () => {
    expect(cancelReason(AbortSignal.abort('lease-lost'))).toBe('lease-lost');
    expect(cancelReason(AbortSignal.abort(new Error('x')))).toBe('interrupted');
    expect(cancelReason(AbortSignal.abort())).toBe('interrupted');
  });
});

describe('epochRecord', () => {
  it('puts epoch, loss, val_loss and lr first, then training metrics before validation ones', () => {
    const record = epochRecord(3, { val_acc: 0.9, val_loss: 0.2, loss: 0.3, acc: 0.8, lr: 0.5 }, 0.01);
    expect(Object.entries(record)).toEqual([
      ['epoch', 3],
      ['loss', 0.3],
      ['val_loss', 0.2],
      ['lr', 0.01],
      ['acc', 0.8],
      ['val_acc', 0.9],
    ]);
  });

  it('records a missing val_loss as NaN', () => {
    expect(epochRecord(1, { loss: 0.5 }, 0.1).val_loss).toBeNaN();
  });
});
