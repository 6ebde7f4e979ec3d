// Softmax outputs with categorical and sparse categorical cross-entropy, the accuracy metric,
// l1l2 kernel regularizers and layer normalization on the wasm-kernel engine: each member equals
// its own model.fit run (runTrial) within float32 noise (1e-4 relative over 6 epochs, acc and
// val_acc included) with the same LR reductions, and a fused member equals the same trial alone
// on the kernels, bit for bit.
import { describe, expect, it } from 'vitest';
import { runFusedTrials } from '../../../src/train/fused/fused-runner.js';
import type { DatasetSpec, LayerSpec, TrialResult, WorkloadSpec } from '../../../src/trial/types.js';
import { trialSpec } from '../trial-fixtures.js';
import { bundle, expectClose, expectSameResult, separately } from './fused-fixtures.js';

const TOLERANCE = 1e-4;

function blobs(oneHot: boolean): DatasetSpec {
  return { kind: 'synthetic-classification', samples: 200, features: 6, classes: 4, oneHot, seed: 3, validationSplit: 0.25 };
}

const SOFTMAX: readonly LayerSpec[] = [
  { kind: 'dense', units: 12, activation: 'relu' },
  { kind: 'dense', units: 4, activation: 'softmax' },
];

function classifier(layers: readonly LayerSpec[], loss: 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy' = 'sparseCategoricalCrossentropy', metrics: readonly string[] = ['accuracy']): Partial<WorkloadSpec> {
  return { dataset: blobs(loss === 'categoricalCrossentropy'), model: { kind: 'layers', layers }, loss, metrics, epochs: 6 };
}

/** expectSameResult, and acc / val_acc to the same tolerance. */
function expectSameWithAccuracy(fused: TrialResult | undefined, single: TrialResult): void {
  expectSameResult(fused, single, TOLERANCE);
  single.history.forEach((record, e) => {
    for (const key of ['acc', 'val_acc']) expectClose(fused?.history[e]?.[key] ?? Number.NaN, record[key] ?? Number.NaN, `${single.trialId} epoch ${record.epoch} ${key}`, TOLERANCE);
  });
}

function reported(result: TrialResult | undefined): unknown {
  if (result === undefined) return undefined;
  const { wallSeconds: _wallSeconds, ...rest } = result;
  return rest;
}

describe('kernel engine with softmax, categorical losses, accuracy, regularizers and layer norm', () => {
  it.each([
    ['softmax with sparse categorical cross-entropy', classifier(SOFTMAX)],
    ['softmax with categorical cross-entropy on one-hot targets', classifier([{ kind: 'dense', units: 12, activation: 'tanh' }, { kind: 'dense', units: 4, activation: 'softmax' }], 'categoricalCrossentropy')],
    [
      'l1l2 kernel regularizers',
      classifier([
        { kind: 'dense', units: 12, activation: 'relu', kernelRegularizer: { l1: 0.001, l2: 0.01 } },
        { kind: 'dense', units: 4, activation: 'softmax', kernelRegularizer: { l1: 0, l2: 0.01 } },
      ]),
    ],
    ['layer normalization', classifier([{ kind: 'dense', units: 12, activation: 'relu' }, { kind: 'layerNorm' }, { kind: 'dense', units: 4, activation: 'softmax' }])],
    [
      'binary accuracy on a sigmoid output',
      { dataset: { kind: 'two-spirals', samples: 160, noise: 0.05, seed: 5, validationSplit: 0.25 }, model: { kind: 'layers', layers: [{ kind: 'dense', units: 12, activation: 'tanh' }, { kind: 'dense', units: 1, activation: 'sigmoid' }] }, loss: 'binaryCrossentropy', metrics: ['accuracy'], epochs: 6 } satisfies Partial<WorkloadSpec>,
    ],
  ])('%s: each member equals its own model.fit run within float32 noise, same LR reductions', async (_, workload) => {
    const specs = bundle(workload);
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const single = await separately(specs);
    single.forEach((result, i) => expectSameWithAccuracy(fused[i], result));
  });

  it('a schedule on val_acc (mode auto: max) cuts at the epochs model.fit cuts', async () => {
    const specs = [0.01, 0.003].map((learningRate, i) =>
      trialSpec({ id: `acc-${i}`, workload: { epochs: 8, ...classifier(SOFTMAX) }, config: { learningRate, patience: 1, minDelta: 0.05 }, plateau: { monitor: 'val_acc' }, objective: { metric: 'val_acc', goal: 'maximize' } }),
    );
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const single = await separately(specs);
    expect(single.some((result) => result.lrReductions.length > 0)).toBe(true);
    single.forEach((result, i) => expectSameWithAccuracy(fused[i], result));
  });

  it('a fused member equals the same trial alone on the kernels, bit for bit', async () => {
    const layers: readonly LayerSpec[] = [
      { kind: 'dense', units: 12, activation: 'relu', kernelRegularizer: { l1: 0.001, l2: 0.001 } },
      { kind: 'layerNorm' },
      { kind: 'dropout', rate: 0.2 },
      { kind: 'dense', units: 4, activation: 'softmax' },
    ];
    const specs = bundle(classifier(layers));
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const alone: TrialResult[] = [];
    for (const spec of specs) alone.push(...(await runFusedTrials([spec], { backend: 'cpu', engine: 'kernel' })));
    expect(fused.map(reported)).toEqual(alone.map(reported));
    expect(fused[0]?.history[0]?.['val_acc']).toBeGreaterThan(0);
  });
});
