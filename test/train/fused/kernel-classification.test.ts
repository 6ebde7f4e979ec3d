// Binary cross-entropy on the wasm-kernel engine (a sigmoid output): each member equals its own
// runTrial (model.fit) within float32 noise, with the same LR reductions, alone or with dropout
// and batch norm; and a fused member equals the same trial alone on the kernels, bit for bit.
import { describe, expect, it } from 'vitest';
import { runFusedTrials } from '../../../src/train/fused/fused-runner.js';
import type { LayerSpec, TrialResult, WorkloadSpec } from '../../../src/trial/types.js';
import { recordingLogger } from '../recording-logger.js';
import { bundle, expectSameResult, separately } from './fused-fixtures.js';

const SPIRALS: WorkloadSpec['dataset'] = { kind: 'two-spirals', samples: 160, noise: 0.05, seed: 5, validationSplit: 0.25 };

const CLASSIFIER: readonly LayerSpec[] = [
  { kind: 'dense', units: 12, activation: 'tanh' },
  { kind: 'dense', units: 1, activation: 'sigmoid' },
];

const REGULARIZED_CLASSIFIER: readonly LayerSpec[] = [
  { kind: 'dense', units: 12, activation: 'relu' },
  { kind: 'batchNorm' },
  { kind: 'dropout', rate: 0.2 },
  { kind: 'dense', units: 1, activation: 'sigmoid' },
];

function classification(layers: readonly LayerSpec[], epochs = 6): Partial<WorkloadSpec> {
  return { dataset: SPIRALS, model: { kind: 'layers', layers }, loss: 'binaryCrossentropy', epochs };
}

function reported(result: TrialResult | undefined): unknown {
  if (result === undefined) return undefined;
  const { wallSeconds: _wallSeconds, ...rest } = result;
  return rest;
}

describe('kernel engine with binary cross-entropy', () => {
  it.each([
    ['a dense classifier', CLASSIFIER],
    ['a classifier with batch norm and dropout', REGULARIZED_CLASSIFIER],
  ])('%s: each member equals its own model.fit run within float32 noise, same LR reductions', async (_, layers) => {
    const specs = bundle(classification(layers));
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const single = await separately(specs);
    single.forEach((result, i) => expectSameResult(fused[i], result, 1e-4));
  });

  it('a fused member equals the same trial alone on the kernels, bit for bit', async () => {
    const specs = bundle(classification(REGULARIZED_CLASSIFIER, 5));
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const alone: TrialResult[] = [];
    for (const spec of specs) alone.push(...(await runFusedTrials([spec], { backend: 'cpu', engine: 'kernel' })));
    expect(fused.map(reported)).toEqual(alone.map(reported));
  });

  it('is the engine chosen on the wasm backend', async () => {
    const logger = recordingLogger();
    await runFusedTrials(bundle(classification(CLASSIFIER, 1)), { backend: 'wasm', logger });
    expect(logger.events.find((event) => event.event === 'fused.bundle')?.fields['engine']).toBe('kernel');
  });
});
