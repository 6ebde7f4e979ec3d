import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/train/datasets/load-dataset.js';
import { buildModel } from '../../src/train/model-builder.js';
import { LR_REDUCED_EVENT, runTrial } from '../../src/train/trial-runner.js';
import type { EpochRecord, TrialSpec } from '../../src/trial/types.js';
import { recordingLogger } from './recording-logger.js';
import { tinyRegression, trialSpec } from './trial-fixtures.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

const withDropout = trialSpec({
  workload: {
    model: {
      kind: 'layers',
      layers: [
        { kind: 'dense', units: 8, activation: 'relu' },
        { kind: 'dropout', rate: 0.2 },
        { kind: 'dense', units: 1, activation: 'linear' },
      ],
    },
  },
});

describe('runTrial: reproducibility', () => {
  it('gives identical histories for two runs with the same seed', async () => {
    const first = await runTrial(withDropout, { backend: 'cpu' });
    const second = await runTrial(withDropout, { backend: 'cpu' });
    expect(first.outcome).toEqual({ status: 'succeeded' });
    expect(second.history).toEqual(first.history);
  });

  it('gives a different history for a different seed, and records the seed', async () => {
    const first = await runTrial(withDropout, { backend: 'cpu' });
    const other = await runTrial({ ...withDropout, seed: 43 }, { backend: 'cpu' });
    expect(other.history).not.toEqual(first.history);
    expect(other.seed).toBe(43);
  });
});

/**
 * A linear model trained for one epoch of one full batch: the epoch's single update, and so the
 * validation loss after it, follow in closed form from the initial weights and the learning rate.
 */
async function expectedValLossAfterOneStep(spec: TrialSpec, update: (gradient: number, lr: number) => number, lr: number): Promise<number> {
  const data = await loadDataset(spec.workload.dataset);
  const model = await buildModel(spec.workload, data, spec.seed);
  const [kernel, bias] = model.getWeights().map((w) => Array.from(w.dataSync()));
  model.dispose();
  const w = kernel ?? [];
  const b = bias?.[0] ?? 0;
  const f = data.featureCount;
  const n = data.train.count;
  const residual = (x: Float32Array, y: Float32Array, i: number, weights: number[], intercept: number): number => {
    let prediction = intercept;
    for (let j = 0; j < f; j++) prediction += (weights[j] ?? 0) * (x[i * f + j] ?? 0);
    return prediction - (y[i] ?? 0);
  };
  // MSE gradient: d/dw mean(r²) = 2/n Σ r·x, d/db = 2/n Σ r.
  const gradW = new Array<number>(f).fill(0);
  let gradB = 0;
  for (let i = 0; i < n; i++) {
    const r = residual(data.train.x, data.train.y, i, w, b);
    for (let j = 0; j < f; j++) gradW[j] = (gradW[j] ?? 0) + (2 / n) * r * (data.train.x[i * f + j] ?? 0);
    gradB += (2 / n) * r;
  }
  const w1 = w.map((value, j) => value - update(gradW[j] ?? 0, lr));
  const b1 = b - update(gradB, lr);
  let loss = 0;
  for (let i = 0; i < data.validation.count; i++) loss += residual(data.validation.x, data.validation.y, i, w1, b1) ** 2;
  return loss / data.validation.count;
}

describe('runTrial: the initial learning rate reaches the optimizer', () => {
  const linearOneBatch = (optimizer: 'sgd' | 'adam', learningRate: number): TrialSpec =>
    trialSpec({
      workload: { model: { kind: 'layers', layers: [{ kind: 'dense', units: 1, activation: 'linear' }] }, optimizer, epochs: 1, batchSize: 1000 },
      config: { learningRate, batchSize: 1000 },
    });

  const sgdStep = (gradient: number, lr: number): number => lr * gradient;
  // Adam's first step: m̂ = g, v̂ = g², so the update is lr·g / (|g| + ε), ε = 1e-7 in tfjs.
  const adamStep = (gradient: number, lr: number): number => (lr * gradient) / (Math.abs(gradient) + 1e-7);

  for (const [optimizer, step, lr] of [
    ['sgd', sgdStep, 0.05],
    ['adam', adamStep, 0.03],
  ] as const) {
    it(`trains epoch 1 with ${optimizer} at config.learningRate`, async () => {
      const spec = linearOneBatch(optimizer, lr);
      const result = await runTrial(spec, { backend: 'cpu' });
      const expected = await expectedValLossAfterOneStep(spec, step, lr);
      const atOtherRate = await expectedValLossAfterOneStep(spec, step, lr / 5);
      const actual = result.history[0]?.val_loss ?? Number.NaN;
      expect(Math.abs(actual - expected) / expected).toBeLessThan(1e-4);
      // The check can tell rates apart: another rate predicts a clearly different loss.
      expect(Math.abs(atOtherRate - expected) / expected).toBeGreaterThan(1e-2);
      expect(result.history[0]?.lr).toBe(Math.fround(lr));
    });
  }
});

describe('runTrial: the plateau schedule', () => {
  it('records each reduction in lrReductions and in the next epoch\'s lr column', async () => {
    // minDelta 10: nothing after epoch 1 counts as an improvement, so patience 1 reduces every epoch.
    const spec = trialSpec({ workload: { epochs: 4 }, config: { learningRate: 0.01, factor: 0.5, patience: 1, minDelta: 10 } });
    const logger = recordingLogger();
    const result = await runTrial(spec, { backend: 'cpu', logger });
    expect(result.lrReductions).toEqual([2, 3, 4]);
    expect(result.history.map((r) => r.lr)).toEqual([0.01, 0.01, 0.005, 0.0025].map(Math.fround));
    const lines = logger.events.filter((e) => e.event === LR_REDUCED_EVENT).map((e) => String(e.fields['line']));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^Epoch 2: ReduceLROnPlateau reducing learning rate to 0\.00499999/);
  });

  it('keeps the rate when the monitor keeps improving', async () => {
    const result = await runTrial(trialSpec({ config: { patience: 5 } }), { backend: 'cpu' });
    expect(result.lrReductions).toEqual([]);
    expect(new Set(result.history.map((r) => r.lr)).size).toBe(1);
  });
});

describe('runTrial: outcomes', () => {
  it('ends as diverged at the epoch whose loss is NaN/Inf, keeping the history up to it', async () => {
    const spec = trialSpec({ workload: { optimizer: 'sgd', epochs: 50 }, config: { learningRate: 1e8 } });
    const result = await runTrial(spec, { backend: 'cpu' });
    expect(result.outcome.status).toBe('diverged');
    const atEpoch = result.outcome.status === 'diverged' ? result.outcome.atEpoch : -1;
    expect(result.history).toHaveLength(atEpoch);
    expect(atEpoch).toBeLessThan(50);
    const last = result.history[result.history.length - 1];
    expect(Number.isFinite(last?.loss) && Number.isFinite(last?.val_loss)).toBe(false);
    expect(result.objective).toBeNull();
  });

  it('is cancelled with the signal\'s reason at the next epoch boundary', async () => {
    const controller = new AbortController();
    const result = await runTrial(trialSpec({ workload: { epochs: 10 } }), {
      backend: 'cpu',
      signal: controller.signal,
      onEpoch: (record) => {
        if (record.epoch === 2) controller.abort('lease-lost');
      },
    });
    expect(result.outcome).toEqual({ status: 'cancelled', reason: 'lease-lost' });
    expect(result.history.map((r) => r.epoch)).toEqual([1, 2]);
  });

  it('stops within an epoch when aborted between batches, without recording the cut epoch', async () => {
    const controller = new AbortController();
    const seen: EpochRecord[] = [];
    // batchSize 1: 120 batches per epoch; the abort runs at the first yield inside epoch 2.
    const result = await runTrial(trialSpec({ workload: { epochs: 5, batchSize: 1 }, config: { batchSize: 1 } }), {
      backend: 'cpu',
      signal: controller.signal,
      onEpoch: (record) => {
        seen.push(record);
        setImmediate(() => controller.abort('shutdown'));
      },
    });
    expect(result.outcome).toEqual({ status: 'cancelled', reason: 'shutdown' });
    expect(result.history).toHaveLength(1);
    expect(seen).toHaveLength(1);
  });

  it('is cancelled before training when the signal is already aborted', async () => {
    const result = await runTrial(trialSpec(), { backend: 'cpu', signal: AbortSignal.abort('sweep-cancelled') });
    expect(result.outcome).toEqual({ status: 'cancelled', reason: 'sweep-cancelled' });
    expect(result.history).toEqual([]);
  });

  it('calls an abort without a known reason "interrupted"', async () => {
    const result = await runTrial(trialSpec(), { backend: 'cpu', signal: AbortSignal.abort() });
    expect(result.outcome).toEqual({ status: 'cancelled', reason: 'interrupted' });
  });

  it('fails, without throwing, on a monitor the model never logs, and says what was meant', async () => {
    const result = await runTrial(trialSpec({ plateau: { monitor: 'validation_loss' } }), { backend: 'cpu' });
    expect(result.outcome.status).toBe('failed');
    if (result.outcome.status !== 'failed') return;
    expect(result.outcome.error.kind).toBe('UnknownMonitorError');
    expect(result.outcome.error.message).toContain('did you mean "val_loss"?');
  });

  it('fails with DatasetError when the data cannot be loaded', async () => {
    const missing = path.join(fixtures, 'csv', 'missing.csv');
    const result = await runTrial(trialSpec({ workload: { dataset: { kind: 'csv', train: { kind: 'local', path: missing }, validation: { kind: 'local', path: missing }, target: 'y', standardize: true } } }), {
      backend: 'cpu',
    });
    expect(result.outcome).toMatchObject({ status: 'failed', error: { kind: 'DatasetError' } });
  });

  it('fails with BackendUnavailableError for a backend that is not installed', async () => {
    const result = await runTrial(trialSpec(), { backend: 'tensorflow' });
    expect(result.outcome).toMatchObject({ status: 'failed', error: { kind: 'BackendUnavailableError' } });
    expect(result.backend).toBe('tensorflow');
  });
});

describe('runTrial: objective', () => {
  it('reports the last epoch\'s metric for use "final" and the best epoch\'s for use "best"', async () => {
    // A high constant rate makes val_loss bounce, so last and best differ.
    const bouncy = { workload: { optimizer: 'sgd' as const, epochs: 6 }, config: { learningRate: 0.3, patience: 100 } };
    const final = await runTrial(trialSpec({ ...bouncy, objective: { use: 'final' } }), { backend: 'cpu' });
    const best = await runTrial(trialSpec({ ...bouncy, objective: { use: 'best' } }), { backend: 'cpu' });
    const valLosses = final.history.map((r) => r.val_loss);
    expect(final.objective).toBe(valLosses[valLosses.length - 1]);
    expect(best.objective).toBe(Math.min(...valLosses));
  });
});

describe('runTrial: datasets and models', () => {
  it('trains two-spirals with binary cross-entropy and logs accuracy per epoch', async () => {
    const spec = trialSpec({
      workload: {
        dataset: { kind: 'two-spirals', samples: 200, noise: 0.02, seed: 3, validationSplit: 0.2 },
        model: {
          kind: 'layers',
          layers: [
            { kind: 'dense', units: 16, activation: 'tanh' },
            { kind: 'dense', units: 1, activation: 'sigmoid' },
          ],
        },
        loss: 'binaryCrossentropy',
        metrics: ['accuracy'],
      },
      plateau: { monitor: 'val_acc' },
      objective: { metric: 'val_acc', goal: 'maximize', use: 'best' },
    });
    const result = await runTrial(spec, { backend: 'cpu' });
    expect(result.outcome).toEqual({ status: 'succeeded' });
    expect(Object.keys(result.history[0] ?? {})).toEqual(['epoch', 'loss', 'val_loss', 'lr', 'acc', 'val_acc']);
    expect(result.objective).toBe(Math.max(...result.history.map((r) => r['val_acc'] ?? Number.NaN)));
  });

  it('trains from CSV files', async () => {
    const spec = trialSpec({
      workload: {
        dataset: {
          kind: 'csv',
          train: { kind: 'local', path: path.join(fixtures, 'csv', 'tiny-train.csv') },
          validation: { kind: 'local', path: path.join(fixtures, 'csv', 'tiny-validation.csv') },
          target: 'price',
          standardize: true,
        },
      },
    });
    const result = await runTrial(spec, { backend: 'cpu' });
    expect(result.outcome).toEqual({ status: 'succeeded' });
    expect(result.history).toHaveLength(3);
  });

  it('trains a model.json, reproducibly', async () => {
    const model = { kind: 'modelJson' as const, file: { kind: 'local' as const, path: path.join(fixtures, 'models', 'tiny-mlp', 'model.json') }, weights: {} };
    const spec = trialSpec({ workload: { model, epochs: 2 } });
    const first = await runTrial(spec, { backend: 'cpu' });
    const second = await runTrial(spec, { backend: 'cpu' });
    expect(first.outcome).toEqual({ status: 'succeeded' });
    expect(second.history).toEqual(first.history);
  });

  it('trains on the wasm backend and records it', async () => {
    const result = await runTrial(trialSpec({ workload: { dataset: tinyRegression } }), { backend: 'wasm' });
    expect(result.outcome).toEqual({ status: 'succeeded' });
    expect(result.backend).toBe('wasm');
    expect(result.history).toHaveLength(3);
  });
});
