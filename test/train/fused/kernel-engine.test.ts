// The wasm-kernel engine (src/train/fused/kernel/): each member of a bundle it trains reports
// what its own runTrial reports, to float32 noise, with the same learning-rate schedule; and
// runFusedTrials picks it only where it applies.
import { describe, expect, it } from 'vitest';
import { zeros } from '@tensorflow/tfjs-core';
import { OPTIMIZERS } from '../../../src/spec/rules.js';
import { loadDataset } from '../../../src/train/datasets/load-dataset.js';
import { KernelBundle } from '../../../src/train/fused/kernel/kernel-bundle.js';
import { runFusedTrials, type FusedEngineChoice } from '../../../src/train/fused/fused-runner.js';
import type { BackendName, TrialSpec } from '../../../src/trial/types.js';
import { recordingLogger } from '../recording-logger.js';
import { tinyRegression } from '../trial-fixtures.js';
import { bundle, expectSameResult, FORKING, SCHEDULES, separately } from './fused-fixtures.js';

/** The engine runFusedTrials chose, from its `fused.bundle` debug event. */
async function engineFor(specs: readonly TrialSpec[], backend: BackendName, engine?: FusedEngineChoice): Promise<unknown> {
  const logger = recordingLogger();
  await runFusedTrials(specs, { backend, logger, ...(engine === undefined ? {} : { engine }) });
  return logger.events.find((event) => event.event === 'fused.bundle')?.fields['engine'];
}

describe('kernel engine: each member equals its own runTrial', () => {
  it.each(OPTIMIZERS)('%s: same schedules, losses within float32 noise', async (optimizer) => {
    const specs = bundle({ optimizer });
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const single = await separately(specs);
    single.forEach((result, i) => expectSameResult(fused[i], result, 1e-5));
  });

  it('matches with tanh, sigmoid and linear layers under mean absolute error', async () => {
    const specs = bundle({
      model: {
        kind: 'layers',
        layers: [
          { kind: 'dense', units: 12, activation: 'tanh' },
          { kind: 'dense', units: 6, activation: 'sigmoid' },
          { kind: 'dense', units: 1, activation: 'linear' },
        ],
      },
      loss: 'meanAbsoluteError',
      epochs: 5,
    });
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const single = await separately(specs);
    single.forEach((result, i) => expectSameResult(fused[i], result, 1e-5));
  });

  it('matches on the wasm backend, where it is the default', async () => {
    const specs = bundle({ epochs: 6 });
    const fused = await runFusedTrials(specs, { backend: 'wasm' });
    const single = await separately(specs, 'wasm');
    single.forEach((result, i) => expectSameResult(fused[i], result, 1e-5));
  });

  it('matches when members sharing a learning rate fork mid-run', async () => {
    const specs = bundle({}, FORKING);
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const single = await separately(specs);
    expect(new Set(single.slice(0, 3).map((result) => result.lrReductions.join())).size).toBe(3);
    single.forEach((result, i) => expectSameResult(fused[i], result, 1e-5));
  });

  it('drops a diverging member at the epoch it diverges while the others train on', async () => {
    const specs = bundle({ optimizer: 'momentum' }, [...SCHEDULES, { learningRate: 0.5 }]);
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const single = await separately(specs);
    expect(single[3]?.outcome.status).toBe('diverged');
    // On the way to overflow float32 noise grows without bound: the diverging member is held to its outcome only.
    expect(fused[3]?.outcome.status).toBe('diverged');
    single.slice(0, 3).forEach((result, i) => expectSameResult(fused[i], result, 1e-5));
  });
});

describe('kernel engine: where it applies', () => {
  it('is chosen on the wasm backend for dense networks with kernel activations and losses', async () => {
    expect(await engineFor(bundle({ epochs: 1 }), 'wasm')).toBe('kernel');
  });

  it('is not chosen on the cpu backend, which keeps tfjs ops', async () => {
    expect(await engineFor(bundle({ epochs: 1 }), 'cpu')).toBe('tfjs');
  });

  it('is not chosen for an activation it has no kernel for', async () => {
    const specs = bundle({ epochs: 1, model: { kind: 'layers', layers: [{ kind: 'dense', units: 4, activation: 'elu' }, { kind: 'dense', units: 1, activation: 'linear' }] } });
    expect(await engineFor(specs, 'wasm')).toBe('tfjs');
  });

  it('fails the members, naming the activation, when asked for on a network it cannot train', async () => {
    const specs = bundle({ epochs: 1, loss: 'binaryCrossentropy', model: { kind: 'layers', layers: [{ kind: 'dense', units: 1, activation: 'softplus' }] } });
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    for (const result of fused) expect(result.outcome).toMatchObject({ status: 'failed', error: { message: 'layer 1: activation softplus has no kernel' } });
  });
});

describe('kernel engine: its own contract', () => {
  it('refuses a batch longer than the batch size its buffers were laid out for', async () => {
    const data = await loadDataset(tinyRegression);
    const weights = [zeros([data.featureCount, 8]), zeros([8]), zeros([8, 1]), zeros([1])];
    const engine = new KernelBundle({ data, batchSize: 4, loss: 'meanSquaredError', optimizer: 'sgd', activations: ['relu', 'linear'], memberWeights: [weights], learningRates: [0.01] });
    expect(() => engine.trainBatch(Uint32Array.from([0, 1, 2, 3, 4]), 0)).toThrow(RangeError);
    engine.trainBatch(Uint32Array.from([0, 1, 2, 3]), 0);
    expect((await engine.takeEpochLosses()).batchSizes).toEqual([4]);
    for (const tensor of weights) tensor.dispose();
  });
});
