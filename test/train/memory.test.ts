import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { memory } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/train/backend.js';
import { runTrial } from '../../src/train/trial-runner.js';
import type { TrialSpec, TrialStatus } from '../../src/trial/types.js';
import { recordingLogger } from './recording-logger.js';
import { trialSpec } from './trial-fixtures.js';

const modelJson = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'models', 'tiny-mlp', 'model.json');

const base = trialSpec({
  workload: {
    dataset: { kind: 'synthetic-regression', samples: 64, features: 4, noise: 0.1, seed: 1, validationSplit: 0.25 },
    model: {
      kind: 'layers',
      layers: [
        { kind: 'dense', units: 8, activation: 'relu' },
        { kind: 'batchNorm' },
        { kind: 'dropout', rate: 0.2 },
        { kind: 'dense', units: 1, activation: 'linear' },
      ],
    },
    epochs: 2,
    batchSize: 16,
  },
});

/** Every way a trial can end, in turn, so each path's clean-up is exercised. */
function trialNumber(i: number): { readonly spec: TrialSpec; readonly signal?: AbortSignal; readonly expected: TrialStatus } {
  const spec = { ...base, id: `memory-${i}`, seed: i };
  switch (i % 5) {
    case 0:
      return { spec, expected: 'succeeded' };
    case 1:
      return { spec: { ...spec, workload: { ...spec.workload, optimizer: 'sgd' }, config: { ...spec.config, learningRate: 1e12 } }, expected: 'diverged' };
    case 2: {
      const controller = new AbortController();
      // Aborted once the first batch has trained (at its batch-end yield).
      setImmediate(() => controller.abort('pruned'));
      return { spec, signal: controller.signal, expected: 'cancelled' };
    }
    case 3:
      return { spec: { ...spec, plateau: { ...spec.plateau, monitor: 'val_accuracy' } }, expected: 'failed' };
    default:
      return { spec: { ...spec, workload: { ...spec.workload, model: { kind: 'modelJson', file: { kind: 'local', path: modelJson }, weights: {} } } }, expected: 'succeeded' };
  }
}

describe('many trials in one process', () => {
  it('leave no tensor behind and keep RSS flat over 100 trials', async () => {
    await selectBackend('cpu', recordingLogger());
    const tensorsBefore = memory().numTensors;
    let rssAt20 = 0;
    const statuses = new Set<TrialStatus>();
    for (let i = 1; i <= 100; i++) {
      const { spec, signal, expected } = trialNumber(i);
      const result = await runTrial(spec, { backend: 'cpu', ...(signal === undefined ? {} : { signal }) });
      expect(result.outcome.status, `trial ${i}`).toBe(expected);
      statuses.add(result.outcome.status);
      expect(memory().numTensors, `tensors after trial ${i}`).toBe(tensorsBefore);
      if (i === 20) rssAt20 = process.memoryUsage().rss;
    }
    const growth = process.memoryUsage().rss - rssAt20;
    expect(statuses).toEqual(new Set(['succeeded', 'diverged', 'cancelled', 'failed']));
    expect(growth).toBeLessThan(50 * 1024 * 1024);
  });
});
