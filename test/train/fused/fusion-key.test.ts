import { describe, expect, it } from 'vitest';
import { fusable, fusionBlocker, fusionKey } from '../../../src/train/fused/fusion-key.js';
import type { TrialSpec } from '../../../src/trial/types.js';
import { trialSpec } from '../trial-fixtures.js';

const base = trialSpec({ id: 'base' });

describe('fusable', () => {
  it('fuses trials that differ only in their learning-rate schedule', () => {
    const other = trialSpec({ id: 'other', config: { learningRate: 0.3, factor: 0.1, patience: 7, minDelta: 0.01, cooldown: 2, minLr: 1e-6 } });
    expect(fusable(base, other)).toBe(true);
    expect(fusionKey(other)).toBe(fusionKey(base));
  });

  it('lets the trials of one model.json artifact fuse (its layers are checked where the file is read), and keeps other artifacts apart', () => {
    const artifact = (sha: string): TrialSpec['workload']['model'] => ({
      kind: 'modelJson',
      file: { kind: 'artifact', sha256: sha.repeat(64), size: 100, name: 'model.json' },
      weights: { 'weights.bin': { kind: 'artifact', sha256: 'f'.repeat(64), size: 40, name: 'weights.bin' } },
    });
    const spec = trialSpec({ workload: { model: artifact('a') } });
    const twin = { ...spec, id: 'twin', config: { ...spec.config, learningRate: 0.3 } };
    expect(fusionBlocker(spec)).toBeUndefined();
    expect(fusable(spec, twin)).toBe(true);
    expect(fusable(spec, trialSpec({ workload: { model: artifact('b') } }))).toBe(false);
  });

  it.each<[string, TrialSpec]>([
    ['seed', trialSpec({ id: 'x', seed: 43 })],
    ['batch size', trialSpec({ id: 'x', config: { batchSize: 16 } })],
    ['optimizer', trialSpec({ id: 'x', workload: { optimizer: 'sgd' } })],
    ['epochs', trialSpec({ id: 'x', workload: { epochs: 4 } })],
    ['dataset', trialSpec({ id: 'x', workload: { dataset: { kind: 'two-spirals', samples: 100, noise: 0, seed: 1, validationSplit: 0.2 } } })],
    ['plateau monitor', trialSpec({ id: 'x', plateau: { monitor: 'loss' } })],
    ['objective', trialSpec({ id: 'x', objective: { use: 'best' } })],
  ])('does not fuse trials with a different %s', (_, other) => {
    expect(fusable(base, other)).toBe(false);
    expect(fusionKey(other)).not.toBe(fusionKey(base));
  });

  it('keys a workload the same whatever order its fields were written in', () => {
    const reordered: TrialSpec = { ...base, workload: Object.fromEntries(Object.entries(base.workload).reverse()) as unknown as TrialSpec['workload'] };
    expect(fusionKey(reordered)).toBe(fusionKey(base));
  });
});

describe('fusionBlocker', () => {
  it('accepts dropout and batchNorm layers between dense ones', () => {
    const spec = trialSpec({
      workload: { model: { kind: 'layers', layers: [{ kind: 'dense', units: 4, activation: 'relu' }, { kind: 'dropout', rate: 0.2 }, { kind: 'batchNorm' }, { kind: 'dense', units: 1, activation: 'linear' }] } },
    });
    expect(fusionBlocker(spec)).toBeUndefined();
    expect(fusable(spec, { ...spec, id: 'twin', config: { ...spec.config, learningRate: 0.3 } })).toBe(true);
  });

  it('accepts a dense model with any activations', () => {
    const spec = trialSpec({
      workload: {
        model: {
          kind: 'layers',
          layers: [
            { kind: 'dense', units: 4, activation: 'gelu' },
            { kind: 'dense', units: 1, activation: 'sigmoid' },
          ],
        },
        loss: 'binaryCrossentropy',
      },
    });
    expect(fusionBlocker(spec)).toBeUndefined();
  });

  it('accepts softmax with sparse categorical cross-entropy, accuracy, a kernel regularizer and layerNorm', () => {
    const spec = trialSpec({
      workload: {
        model: {
          kind: 'layers',
          layers: [
            { kind: 'dense', units: 4, activation: 'relu', kernelRegularizer: { l1: 0, l2: 0.01 } },
            { kind: 'layerNorm' },
            { kind: 'dense', units: 3, activation: 'softmax' },
          ],
        },
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
      },
    });
    expect(fusionBlocker(spec)).toBeUndefined();
  });

  it.each<[string, TrialSpec]>([
    ['huberLoss', trialSpec({ workload: { loss: 'huberLoss' } })],
    ['metrics', trialSpec({ workload: { metrics: ['accuracy', 'mse'] } })],
  ])('refuses a trial with %s and gives it a key of its own', (what, spec) => {
    expect(fusionBlocker(spec)).toMatch(new RegExp(what === 'metrics' ? 'metrics' : what, 'i'));
    expect(fusionKey(spec)).toBe(`solo:${spec.id}`);
    expect(fusable(spec, spec)).toBe(false);
  });
});
