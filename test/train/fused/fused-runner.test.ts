import { memory } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/train/backend.js';
import { runFusedTrials } from '../../../src/train/fused/fused-runner.js';
import { NotFusableError } from '../../../src/train/fused/not-fusable-error.js';
import { OPTIMIZERS } from '../../../src/spec/rules.js';
import { recordingLogger } from '../recording-logger.js';
import type { BackendName, WorkloadSpec } from '../../../src/trial/types.js';
import { trialSpec } from '../trial-fixtures.js';
import { bundle, expectSameResult, SCHEDULES, separately } from './fused-fixtures.js';

describe('runFusedTrials: each member equals its own runTrial', () => {
  it.each(OPTIMIZERS)('%s: histories, LR reductions and outcomes match', async (optimizer) => {
    const specs = bundle({ optimizer });
    const fused = await runFusedTrials(specs, { backend: 'cpu' });
    const single = await separately(specs);
    single.forEach((result, i) => expectSameResult(fused[i], result));
  });

  it('matches members whose schedules reduce the learning rate at different epochs', async () => {
    const specs = bundle({ optimizer: 'adam' }, [...SCHEDULES.slice(1), { learningRate: 0.5 }]);
    const fused = await runFusedTrials(specs, { backend: 'cpu' });
    const single = await separately(specs);
    // The premise: every member's schedule fires, each at its own epochs.
    expect(single.every((result) => result.lrReductions.length > 0)).toBe(true);
    expect(new Set(single.map((result) => result.lrReductions.join())).size).toBe(specs.length);
    single.forEach((result, i) => expectSameResult(fused[i], result));
  });

  it('is identical to the bit on the cpu backend', async () => {
    const specs = bundle({ optimizer: 'adam' });
    const fused = await runFusedTrials(specs, { backend: 'cpu' });
    const single = await separately(specs);
    expect(fused.map((result) => result.history)).toEqual(single.map((result) => result.history));
  });

  it('matches with tanh, elu and sigmoid layers under binary cross-entropy', async () => {
    const specs = bundle({
      dataset: { kind: 'two-spirals', samples: 160, noise: 0.1, seed: 3, validationSplit: 0.25 },
      model: {
        kind: 'layers',
        layers: [
          { kind: 'dense', units: 8, activation: 'tanh' },
          { kind: 'dense', units: 8, activation: 'elu' },
          { kind: 'dense', units: 1, activation: 'sigmoid' },
        ],
      },
      loss: 'binaryCrossentropy',
      epochs: 4,
    });
    const fused = await runFusedTrials(specs, { backend: 'cpu' });
    const single = await separately(specs);
    single.forEach((result, i) => expectSameResult(fused[i], result));
  });

  it('matches with gelu, swish, selu and softplus layers under mean absolute error', async () => {
    const specs = bundle({
      model: {
        kind: 'layers',
        layers: [
          { kind: 'dense', units: 6, activation: 'gelu' },
          { kind: 'dense', units: 6, activation: 'swish' },
          { kind: 'dense', units: 6, activation: 'selu' },
          { kind: 'dense', units: 1, activation: 'softplus' },
        ],
      },
      loss: 'meanAbsoluteError',
      epochs: 4,
    });
    const fused = await runFusedTrials(specs, { backend: 'cpu' });
    const single = await separately(specs);
    single.forEach((result, i) => expectSameResult(fused[i], result));
  });

  it('on the wasm backend, matches runTrial on wasm to float tolerance (wide products per member)', async () => {
    const specs = bundle({
      model: {
        kind: 'layers',
        layers: [
          { kind: 'dense', units: 16, activation: 'relu' },
          { kind: 'dense', units: 16, activation: 'tanh' },
          { kind: 'dense', units: 1, activation: 'linear' },
        ],
      },
      epochs: 5,
    });
    const fused = await runFusedTrials(specs, { backend: 'wasm' });
    const single = await separately(specs, 'wasm');
    single.forEach((result, i) => expectSameResult(fused[i], result));
  });
});

describe('runFusedTrials: members that end early', () => {
  it('drops a diverging member at the epoch it diverges while the others match their separate runs', async () => {
    // Momentum at 0.5 overflows on the tiny regression after a few epochs.
    const specs = bundle({ optimizer: 'momentum' }, [...SCHEDULES, { learningRate: 0.5 }]);
    const epochs = new Map<string, number[]>();
    const fused = await runFusedTrials(specs, {
      backend: 'cpu',
      onEpoch: (trialId, record) => epochs.set(trialId, [...(epochs.get(trialId) ?? []), record.epoch]),
    });
    const single = await separately(specs);

    const diverged = single[3];
    expect(diverged?.outcome.status).toBe('diverged');
    expect(diverged?.history.length).toBeGreaterThan(1);
    single.forEach((result, i) => expectSameResult(fused[i], result));
    expect(fused.slice(0, 3).map((result) => result.outcome.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(epochs.get('member-3')).toEqual(diverged?.history.map((record) => record.epoch));
    expect(epochs.get('member-0')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('fails a member the single trial would refuse, alone, and trains the others', async () => {
    const specs = bundle({ epochs: 3 }, [SCHEDULES[0] ?? {}, { factor: 1.5 }]);
    const logger = recordingLogger();
    const fused = await runFusedTrials(specs, { backend: 'cpu', logger });
    const single = await separately(specs);
    expect(fused[1]?.outcome).toMatchObject({ status: 'failed', error: { kind: 'PlateauOptionsError' } });
    single.forEach((result, i) => expectSameResult(fused[i], result));
    expect(logger.events).toContainEqual(expect.objectContaining({ level: 'warn', event: 'training.failed', fields: expect.objectContaining({ trial: 'member-1' }) }));
  });

  it('cancels every member when the signal aborts, keeping the epochs each finished', async () => {
    const controller = new AbortController();
    const fused = await runFusedTrials(bundle({}), {
      backend: 'cpu',
      signal: controller.signal,
      onEpoch: (trialId, record) => {
        if (trialId === 'member-0' && record.epoch === 2) controller.abort('pruned');
      },
    });
    expect(fused.map((result) => result.outcome)).toEqual(Array.from({ length: 3 }, () => ({ status: 'cancelled', reason: 'pruned' })));
    expect(fused.map((result) => result.history.length)).toEqual([2, 2, 2]);
  });

  it('cancels every member before training when the signal has already aborted', async () => {
    const fused = await runFusedTrials(bundle({}), { backend: 'cpu', signal: AbortSignal.abort('shutdown') });
    expect(fused.map((result) => [result.outcome, result.history.length])).toEqual(
      Array.from({ length: 3 }, () => [{ status: 'cancelled', reason: 'shutdown' }, 0]),
    );
  });
});

describe('runFusedTrials: contract', () => {
  it('rejects trials that cannot share a bundle before training any', async () => {
    const specs = [trialSpec({ id: 'a' }), trialSpec({ id: 'b', seed: 7 })];
    await expect(runFusedTrials(specs, { backend: 'cpu' })).rejects.toBeInstanceOf(NotFusableError);
    await expect(runFusedTrials([trialSpec({ workload: { metrics: ['mse'] } })], { backend: 'cpu' })).rejects.toMatchObject({ trialIds: ['trial-test'] });
  });

  it('returns no results for no trials', async () => {
    expect(await runFusedTrials([], { backend: 'cpu' })).toEqual([]);
  });

  it.each<BackendName>(['cpu', 'wasm'])('leaves no tensor behind on %s, however members end', async (backend) => {
    await selectBackend(backend, recordingLogger());
    const before = memory().numTensors;
    const wide: Partial<WorkloadSpec> = {
      model: { kind: 'layers', layers: [{ kind: 'dense', units: 16, activation: 'relu' }, { kind: 'dense', units: 16, activation: 'relu' }, { kind: 'dense', units: 1, activation: 'linear' }] },
      optimizer: 'momentum',
      epochs: 6,
    };
    // One member diverges mid-run, the others finish.
    await runFusedTrials(bundle(wide, [...SCHEDULES, { learningRate: 5 }]), { backend });
    expect(memory().numTensors, 'after divergence').toBe(before);
    // Aborted mid-epoch, once the first batch has trained.
    const controller = new AbortController();
    setImmediate(() => controller.abort('lease-lost'));
    const cancelled = await runFusedTrials(bundle(wide), { backend, signal: controller.signal });
    expect(cancelled.map((result) => [result.outcome.status, result.history.length])).toEqual(Array.from({ length: 3 }, () => ['cancelled', 0]));
    expect(memory().numTensors, 'after a mid-epoch abort').toBe(before);
  });
});
