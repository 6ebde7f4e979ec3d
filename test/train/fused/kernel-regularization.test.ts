// Dropout and batch normalization on the wasm-kernel engine: a fused member trains exactly as
// the same trial alone on the kernels (bit for bit: the masks come from the trial's seed, epoch,
// batch and layer, and each member's moving statistics are its own), within float32 noise of
// tfjs's model.fit with the project's seeded dropout and the same LR reductions, and a part
// handed off mid-epoch carries its moving statistics.
import { describe, expect, it } from 'vitest';
import type { BundleHandoff, BundlePart } from '../../../src/train/fused/bundle-part.js';
import { resumeFusedTrials, runFusedTrials, trainsOnKernels } from '../../../src/train/fused/fused-runner.js';
import { NotFusableError } from '../../../src/train/fused/not-fusable-error.js';
import type { LayerSpec, TrialResult, TrialSpec, WorkloadSpec } from '../../../src/trial/types.js';
import { recordingLogger } from '../recording-logger.js';
import { bundle, expectSameResult, FORKING, separately } from './fused-fixtures.js';

const DROPOUT_NET: readonly LayerSpec[] = [
  { kind: 'dense', units: 8, activation: 'relu' },
  { kind: 'dropout', rate: 0.25 },
  { kind: 'dense', units: 1, activation: 'linear' },
];

const BATCH_NORM_NET: readonly LayerSpec[] = [
  { kind: 'dense', units: 8, activation: 'relu' },
  { kind: 'batchNorm' },
  { kind: 'dense', units: 1, activation: 'linear' },
];

/** The benchmark shape, small: dropout after each hidden layer, then batch norm. */
const BOTH_NET: readonly LayerSpec[] = [
  { kind: 'dense', units: 8, activation: 'relu' },
  { kind: 'dropout', rate: 0.1 },
  { kind: 'batchNorm' },
  { kind: 'dense', units: 8, activation: 'tanh' },
  { kind: 'dropout', rate: 0.1 },
  { kind: 'batchNorm' },
  { kind: 'dense', units: 1, activation: 'linear' },
];

function network(layers: readonly LayerSpec[], workload: Partial<WorkloadSpec> = {}): Partial<WorkloadSpec> {
  return { model: { kind: 'layers', layers }, ...workload };
}

/** What a trial reports, less its wall time (which differs from run to run). */
function reported(result: TrialResult | undefined): unknown {
  if (result === undefined) return undefined;
  const { wallSeconds: _wallSeconds, ...rest } = result;
  return rest;
}

async function aloneOnKernels(specs: readonly TrialSpec[]): Promise<TrialResult[]> {
  const results: TrialResult[] = [];
  for (const spec of specs) results.push(...(await runFusedTrials([spec], { backend: 'cpu', engine: 'kernel' })));
  return results;
}

describe('kernel engine with dropout and batchNorm: a fused member equals the same trial alone, bit for bit', () => {
  it.each([
    ['dropout', DROPOUT_NET],
    ['batchNorm', BATCH_NORM_NET],
    ['dropout and batchNorm', BOTH_NET],
  ])('%s: history, LR reductions and objective', async (_, layers) => {
    const specs = bundle(network(layers), FORKING);
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const alone = await aloneOnKernels(specs);
    expect(new Set(alone.map((result) => result.lrReductions.join())).size).toBeGreaterThan(1);
    expect(fused.map(reported)).toEqual(alone.map(reported));
  });
});

describe('kernel engine with dropout and batchNorm: against model.fit with seeded dropout', () => {
  it.each([
    ['dropout', DROPOUT_NET, 'adam'],
    ['batchNorm', BATCH_NORM_NET, 'adam'],
    ['dropout and batchNorm', BOTH_NET, 'adam'],
    ['dropout and batchNorm under sgd', BOTH_NET, 'sgd'],
  ] as const)('%s: same LR reductions, losses within float32 noise', async (_, layers, optimizer) => {
    const specs = bundle(network(layers, { optimizer, epochs: 6 }));
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const single = await separately(specs);
    single.forEach((result, i) => expectSameResult(fused[i], result, 1e-4));
  });

  it('matches on the wasm backend, where the kernels are the default', async () => {
    const specs = bundle(network(BOTH_NET, { epochs: 5 }));
    const fused = await runFusedTrials(specs, { backend: 'wasm' });
    const single = await separately(specs, 'wasm');
    single.forEach((result, i) => expectSameResult(fused[i], result, 1e-4));
  });
});

describe('kernel engine with dropout and batchNorm: where it applies', () => {
  it('trains a dropout and batchNorm network on the kernels on any backend (the tfjs-ops engine has neither layer)', async () => {
    const logger = recordingLogger();
    await runFusedTrials(bundle(network(BOTH_NET, { epochs: 1 })), { backend: 'cpu', logger });
    expect(logger.events.find((event) => event.event === 'fused.bundle')?.fields['engine']).toBe('kernel');
    expect(await trainsOnKernels(bundle(network(BOTH_NET))[0] as TrialSpec, 'cpu')).toBe(true);
  });

  it('refuses, naming the layer, a dropout network whose activation the kernels lack', async () => {
    const specs = bundle(network([{ kind: 'dense', units: 4, activation: 'elu' }, { kind: 'dropout', rate: 0.1 }, { kind: 'dense', units: 1, activation: 'linear' }], { epochs: 1 }));
    const refused = runFusedTrials(specs, { backend: 'wasm' });
    await expect(refused).rejects.toThrow(NotFusableError);
    await expect(refused).rejects.toThrow(/layer 2 is dropout.*activation elu has no kernel/);
  });
});

describe('kernel engine with batchNorm: a part handed off mid-epoch', () => {
  it('carries each member\'s moving statistics: giver and resumed part report what the unsplit bundle reports, bit for bit', async () => {
    const specs = bundle(network(BOTH_NET, { epochs: 6 }), [FORKING[0] ?? {}, FORKING[1] ?? {}, FORKING[4] ?? {}]);
    const whole = await runFusedTrials(specs, { backend: 'wasm' });
    const parts: BundlePart[] = [];
    let asked = 0;
    // Wanted before batch 1 of epoch 1 (the tiny regression trains 4 batches an epoch).
    const handoff: BundleHandoff = { wanted: () => asked++ >= 5 && parts.length === 0, take: (part) => parts.push(part) };
    const giver = await runFusedTrials(specs, { backend: 'wasm', handoff });
    const [part] = parts;
    if (part === undefined) throw new Error('no part was handed off');
    expect([part.epochsDone, part.batchesDone]).toEqual([1, 1]);
    const resumed = await resumeFusedTrials(structuredClone(part), { backend: 'wasm' });
    const byId = new Map([...giver, ...resumed].map((result) => [result.trialId, result]));
    expect(specs.map((spec) => reported(byId.get(spec.id)))).toEqual(whole.map(reported));
  });
});
