// A model.json whose layers the kernels train takes the fused path: its members start from the
// model.json's weight shards (or its seeded initializers when it has none) and draw the dropout
// masks model.fit draws for it, so a fused member equals the same trial alone on the kernels bit
// for bit, and the same trial through model.fit within float32 noise, with the same LR reductions.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BundleHandoff, BundlePart } from '../../../src/train/fused/bundle-part.js';
import { notFusableReason, resumeFusedTrials, runFusedTrials, trainsOnKernels } from '../../../src/train/fused/fused-runner.js';
import { NotFusableError } from '../../../src/train/fused/not-fusable-error.js';
import type { TrialResult, TrialSpec, WorkloadSpec } from '../../../src/trial/types.js';
import { bundle, expectSameResult, FORKING, separately } from './fused-fixtures.js';

const models = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models');

function modelJson(name: string, workload: Partial<WorkloadSpec> = {}): Partial<WorkloadSpec> {
  return { model: { kind: 'modelJson', file: { kind: 'local', path: path.join(models, name, 'model.json') }, weights: {} }, ...workload };
}

/** What a trial reports, less its wall time. */
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

describe('a model.json on the fused kernels', () => {
  it('trains on the kernels: dense, batch norm and dropout layers with weight shards', async () => {
    const [spec] = bundle(modelJson('mlp-bn-weights'));
    expect(await trainsOnKernels(spec as TrialSpec, 'wasm')).toBe(true);
    expect(await notFusableReason(spec as TrialSpec)).toBeUndefined();
  });

  it('a fused member with weight shards equals the same trial alone on the kernels, bit for bit', async () => {
    const specs = bundle(modelJson('mlp-bn-weights'), FORKING);
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const alone = await aloneOnKernels(specs);
    expect(fused.every((result) => result.outcome.status === 'succeeded')).toBe(true);
    expect(new Set(alone.map((result) => result.lrReductions.join())).size).toBeGreaterThan(1);
    expect(fused.map(reported)).toEqual(alone.map(reported));
  });

  it('a fused member with weight shards equals model.fit on the same model.json: same LR reductions, losses within float32 noise', async () => {
    const specs = bundle(modelJson('mlp-bn-weights', { epochs: 6 }));
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const single = await separately(specs);
    expect(single.some((result) => result.lrReductions.length > 0)).toBe(true);
    single.forEach((result, i) => expectSameResult(fused[i], result, 1e-4));
  });

  it('without weight shards, members start from the seeded initializers as model.fit does', async () => {
    const specs = bundle(modelJson('tiny-mlp', { epochs: 6 }));
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const single = await separately(specs);
    single.forEach((result, i) => expectSameResult(fused[i], result, 1e-4));
  });

  it('on the wasm backend, where the kernels are the default', async () => {
    const specs = bundle(modelJson('mlp-bn-weights', { epochs: 5 }));
    const fused = await runFusedTrials(specs, { backend: 'wasm' });
    const single = await separately(specs, 'wasm');
    single.forEach((result, i) => expectSameResult(fused[i], result, 1e-4));
  });
});

describe('a model.json bundle handed off mid-epoch', () => {
  it('resumes with the model.json\'s dropout seeds and moving statistics: giver and part report what the unsplit bundle reports, bit for bit', async () => {
    const specs = bundle(modelJson('mlp-bn-weights', { epochs: 6 }), [FORKING[0] ?? {}, FORKING[1] ?? {}, FORKING[4] ?? {}]);
    const whole = await runFusedTrials(specs, { backend: 'wasm' });
    const parts: BundlePart[] = [];
    let asked = 0;
    // Wanted before batch 1 of epoch 1 (the tiny regression trains 4 batches an epoch).
    const handoff: BundleHandoff = { wanted: () => asked++ >= 5 && parts.length === 0, take: (part) => parts.push(part) };
    const giver = await runFusedTrials(specs, { backend: 'wasm', handoff });
    const [part] = parts;
    if (part === undefined) throw new Error('no part was handed off');
    const resumed = await resumeFusedTrials(structuredClone(part), { backend: 'wasm' });
    const byId = new Map([...giver, ...resumed].map((result) => [result.trialId, result]));
    expect(specs.map((spec) => reported(byId.get(spec.id)))).toEqual(whole.map(reported));
  });
});

describe('a model.json with a layer no fused engine trains', () => {
  const cnn = bundle(modelJson('keras-cnn'));

  it('is refused before training, naming the layer', async () => {
    const refused = runFusedTrials(cnn, { backend: 'cpu' });
    await expect(refused).rejects.toThrow(NotFusableError);
    await expect(refused).rejects.toThrow("layer 'conv_1' (Conv2D) has no kernel");
  });

  it('says why in one reason, and does not train on the kernels alone either', async () => {
    const [spec] = cnn;
    expect(await notFusableReason(spec as TrialSpec)).toBe("layer 'conv_1' (Conv2D) has no kernel");
    expect(await trainsOnKernels(spec as TrialSpec, 'wasm')).toBe(false);
  });
});
