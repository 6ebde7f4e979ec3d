// Work stealing at the trainer: a fused bundle on the wasm kernels hands part of its physical
// members off before a batch (mid-epoch or at an epoch boundary), another call resumes the part,
// and together they report exactly what the unsplit bundle reports, bit for bit.
import { memory } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { OPTIMIZERS } from '../../../src/spec/rules.js';
import { selectBackend } from '../../../src/train/backend.js';
import type { BundleHandoff, BundlePart } from '../../../src/train/fused/bundle-part.js';
import { resumeFusedTrials, runFusedTrials, type RunFusedTrialsOptions } from '../../../src/train/fused/fused-runner.js';
import type { EpochRecord, OptimizerName, TrialConfig, TrialResult, TrialSpec } from '../../../src/trial/types.js';
import { recordingLogger } from '../recording-logger.js';
import { bundle, FORKING } from './fused-fixtures.js';

// Two starting rates, each shared by two schedules that part later: the 0.01 pair after epoch 2,
// the 0.03 pair after epoch 4. From the first batch on the bundle holds two physical members of
// two trials each, and gives away the second (the 0.01 pair), which forks where it resumes.
// The tiny regression trains 4 batches an epoch.
const BATCHES_PER_EPOCH = 4;
const PARTING: readonly Partial<TrialConfig>[] = [
  FORKING[0] ?? {},
  FORKING[1] ?? {},
  { learningRate: 0.01, factor: 0.3, patience: 1, minDelta: 0.5 },
  { learningRate: 0.01, factor: 0.5, patience: 3, minDelta: 0.5 },
];

function partingBundle(optimizer: OptimizerName = 'adam'): TrialSpec[] {
  return bundle({ epochs: 8, optimizer }, PARTING);
}

/** A handoff that wants one part once it has been asked `after` times (from the first batch where the bundle may split), and keeps it. */
function wantsOnePart(after = 0): BundleHandoff & { readonly parts: BundlePart[] } {
  const parts: BundlePart[] = [];
  let asked = 0;
  return { parts, wanted: () => asked++ >= after && parts.length === 0, take: (part) => parts.push(part) };
}

/** A handoff that never wants a part, counting how often the runner asks. */
function neverWanted(): BundleHandoff & { asked: number } {
  const handoff = {
    asked: 0,
    wanted: (): boolean => {
      handoff.asked += 1;
      return false;
    },
    take: (): void => {
      throw new Error('take() without wanted()');
    },
  };
  return handoff;
}

/** A handoff that always says yes: a runner that may not split must not ask take(). */
function alwaysWanted(): BundleHandoff & { readonly parts: BundlePart[] } {
  const parts: BundlePart[] = [];
  return { parts, wanted: () => true, take: (part) => parts.push(part) };
}

/** What a trial reports, less its wall time (which differs from run to run). */
function reported(result: TrialResult | undefined): unknown {
  if (result === undefined) return undefined;
  const { wallSeconds: _wallSeconds, ...rest } = result;
  return rest;
}

/** `results` gathered from several calls, in `specs` order (each trial once). */
function inSpecOrder(specs: readonly TrialSpec[], ...results: TrialResult[][]): TrialResult[] {
  const byId = new Map(results.flat().map((result) => [result.trialId, result]));
  expect(byId.size).toBe(results.flat().length);
  return specs.flatMap((spec) => {
    const result = byId.get(spec.id);
    return result === undefined ? [] : [result];
  });
}

const wasm: RunFusedTrialsOptions = { backend: 'wasm' };

/** Batch 1 of epoch 1 (0-based): mid-epoch, with one batch's losses already taken. */
const MID_EPOCH = BATCHES_PER_EPOCH + 1;

/** The part `runFusedTrials(specs)` hands off when a part is wanted before its `after`th batch (mid-epoch by default), with the giver's results. */
async function splitOnce(specs: readonly TrialSpec[], after = MID_EPOCH): Promise<{ part: BundlePart; giver: TrialResult[] }> {
  const handoff = wantsOnePart(after);
  const giver = await runFusedTrials(specs, { ...wasm, handoff });
  const [part, ...more] = handoff.parts;
  expect(more).toEqual([]);
  if (part === undefined) throw new Error('no part was handed off');
  return { part, giver };
}

describe('runFusedTrials with a handoff', () => {
  it.each(OPTIMIZERS)('%s: the giver and the resumed part together report what the unsplit bundle reports, bit for bit', async (optimizer) => {
    const specs = partingBundle(optimizer);
    const whole = await runFusedTrials(specs, wasm);
    const { part, giver } = await splitOnce(specs);
    const resumed = await resumeFusedTrials(part, wasm);

    expect([part.epochsDone, part.batchesDone]).toEqual([1, 1]);
    expect(part.members.map((member) => [member.spec.id, member.slot])).toEqual([['member-2', 0], ['member-3', 0]]);
    expect(part.engine.count).toBe(1);
    expect(giver.map((result) => result.trialId)).toEqual(['member-0', 'member-1']);
    expect(resumed.map((result) => result.trialId)).toEqual(['member-2', 'member-3']);
    expect(inSpecOrder(specs, giver, resumed).map(reported)).toEqual(whole.map(reported));
  });

  it.each([
    ['before the first batch', 0, [0, 0]],
    ['at an epoch boundary', 2 * BATCHES_PER_EPOCH, [2, 0]],
    ['before an epoch\'s last batch', 3 * BATCHES_PER_EPOCH - 1, [2, BATCHES_PER_EPOCH - 1]],
  ])('a part handed off %s resumes to what the unsplit bundle reports, bit for bit', async (_, after, [epochsDone, batchesDone]) => {
    const specs = partingBundle();
    const whole = await runFusedTrials(specs, wasm);
    const { part, giver } = await splitOnce(specs, after);
    expect([part.epochsDone, part.batchesDone]).toEqual([epochsDone, batchesDone]);
    const resumed = await resumeFusedTrials(structuredClone(part), wasm);
    expect(inSpecOrder(specs, giver, resumed).map(reported)).toEqual(whole.map(reported));
  });

  it('a softmax classifier logging accuracy carries its batch accuracies mid-epoch and resumes to what the unsplit bundle reports, bit for bit', async () => {
    const specs = bundle(
      {
        epochs: 6,
        dataset: { kind: 'synthetic-classification', samples: 200, features: 6, classes: 4, oneHot: false, seed: 3, validationSplit: 0.25 },
        model: { kind: 'layers', layers: [{ kind: 'dense', units: 12, activation: 'relu', kernelRegularizer: { l1: 0, l2: 0.001 } }, { kind: 'layerNorm' }, { kind: 'dense', units: 4, activation: 'softmax' }] },
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
      },
      PARTING,
    );
    const whole = await runFusedTrials(specs, wasm);
    // 150 training rows in batches of 32: 5 an epoch; the part leaves before batch 2 of epoch 1.
    const { part, giver } = await splitOnce(specs, 7);
    expect([part.epochsDone, part.batchesDone]).toEqual([1, 2]);
    expect(part.engine.epochAccuracies).toHaveLength(part.engine.epochLosses.length);
    const resumed = await resumeFusedTrials(structuredClone(part), wasm);
    expect(inSpecOrder(specs, giver, resumed).map(reported)).toEqual(whole.map(reported));
    expect(whole[0]?.history[0]?.['val_acc']).toBeGreaterThan(0);
  });

  it('carries the unfinished epoch\'s batch losses of its physical members when it leaves mid-epoch', async () => {
    const { part } = await splitOnce(partingBundle());
    expect(part.engine.epochBatchSizes).toEqual([32]);
    expect(part.engine.epochLosses).toHaveLength(part.engine.count);
    for (const loss of part.engine.epochLosses) expect(loss).toBeGreaterThan(0);
  });

  it('hands off a part whose trials fork after it resumes (the schedules part there)', async () => {
    const specs = partingBundle();
    const { part } = await splitOnce(specs);
    const resumed = await resumeFusedTrials(part, wasm);
    expect(resumed[0]?.lrReductions).toContain(2);
    expect(resumed[1]?.lrReductions).not.toContain(2);
  });

  it.each([
    ['one trial', [PARTING[0] ?? {}]],
    ['trials whose schedules never part', [FORKING[0] ?? {}, FORKING[3] ?? {}]],
  ])('never hands off a bundle of one physical member (%s), however much a part is wanted', async (_, schedules) => {
    const specs = bundle({ epochs: 8 }, schedules);
    const handoff = alwaysWanted();
    const results = await runFusedTrials(specs, { ...wasm, handoff });
    expect(handoff.parts).toEqual([]);
    expect(results.map(reported)).toEqual((await runFusedTrials(specs, wasm)).map(reported));
  });

  it('asks for a part before every batch while at least half an epoch of batches remains', async () => {
    const twoRates = [PARTING[0] ?? {}, PARTING[2] ?? {}];
    const handoff = neverWanted();
    const results = await runFusedTrials(bundle({ epochs: 2 }, twoRates), { ...wasm, handoff });
    // 8 batches in all; the last one (1 left, under half of 4) is never offered.
    expect(handoff.asked).toBe(2 * BATCHES_PER_EPOCH - 1);
    expect(results.map((result) => result.history.length)).toEqual([2, 2]);
  });

  it('never hands off on the tfjs engine, which cannot export its state', async () => {
    const handoff = alwaysWanted();
    const results = await runFusedTrials(bundle({ epochs: 3 }, [PARTING[0] ?? {}, PARTING[2] ?? {}]), { backend: 'cpu', engine: 'tfjs', handoff });
    expect(handoff.parts).toEqual([]);
    expect(results.map((result) => result.outcome.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('gives away half of the physical members when each holds one trial, keeping its first', async () => {
    const specs = bundle({ epochs: 8 }, [0.03, 0.02, 0.01, 0.005].map((learningRate) => ({ learningRate })));
    const { part, giver } = await splitOnce(specs);
    expect(part.members.map((member) => [member.spec.id, member.slot])).toEqual([['member-1', 0], ['member-3', 1]]);
    expect(part.engine.count).toBe(2);
    expect(giver.map((result) => result.trialId)).toEqual(['member-0', 'member-2']);
  });
});

describe('resumeFusedTrials', () => {
  it('resumes a structured clone of the part (what IPC delivers) to the same results', async () => {
    const specs = partingBundle();
    const whole = await runFusedTrials(specs, wasm);
    const { part, giver } = await splitOnce(specs);
    const resumed = await resumeFusedTrials(structuredClone(part), wasm);
    expect(inSpecOrder(specs, giver, resumed).map(reported)).toEqual(whole.map(reported));
  });

  it('hands its part off again (a nested split), and the three calls still report the unsplit bundle', async () => {
    const specs = partingBundle();
    const whole = await runFusedTrials(specs, wasm);
    const { part, giver } = await splitOnce(specs);
    const again = wantsOnePart();
    const resumed = await resumeFusedTrials(part, { ...wasm, handoff: again });
    const [nested] = again.parts;
    if (nested === undefined) throw new Error('the resumed part was not split again');
    // The 0.01 pair forks after epoch 2: the first batch where the part holds two physical members.
    expect([nested.epochsDone, nested.batchesDone]).toEqual([2, 0]);
    expect(nested.members.map((member) => member.spec.id)).toEqual(['member-3']);
    const last = await resumeFusedTrials(structuredClone(nested), wasm);
    expect(resumed.map((result) => result.trialId)).toEqual(['member-2']);
    expect(inSpecOrder(specs, giver, resumed, last).map(reported)).toEqual(whole.map(reported));
  });

  it('streams only the epochs it trains, and reports each trial’s whole history', async () => {
    const specs = partingBundle();
    const { part } = await splitOnce(specs);
    const streamed: [string, EpochRecord][] = [];
    const resumed = await resumeFusedTrials(part, { ...wasm, onEpoch: (trialId, record) => streamed.push([trialId, record]) });
    for (const result of resumed) {
      const mine = streamed.filter(([trialId]) => trialId === result.trialId).map(([, record]) => record);
      const handedWith = part.members.find((member) => member.spec.id === result.trialId)?.history ?? [];
      expect(mine.map((record) => record.epoch)).toEqual([2, 3, 4, 5, 6, 7, 8]);
      expect(result.history).toEqual([...handedWith, ...mine]);
    }
  });

  it('counts each trial’s wall time on from what the giver spent', async () => {
    const { part } = await splitOnce(partingBundle());
    const resumed = await resumeFusedTrials({ ...part, elapsedSeconds: 1000 }, wasm);
    for (const result of resumed) expect(result.wallSeconds).toBeGreaterThanOrEqual(1000);
  });

  it('cancels every member of the part, with the reason, when its signal aborts', async () => {
    const { part } = await splitOnce(partingBundle());
    const controller = new AbortController();
    const resumed = await resumeFusedTrials(part, {
      ...wasm,
      signal: controller.signal,
      onEpoch: (_, record) => {
        if (record.epoch === part.epochsDone + 1) controller.abort('pruned');
      },
    });
    expect(resumed.map((result) => [result.outcome, result.history.length])).toEqual(
      part.members.map(() => [{ status: 'cancelled', reason: 'pruned' }, part.epochsDone + 1]),
    );
  });

  it('fails its members, without rejecting, when its batchesDone disagrees with the batch losses it carries', async () => {
    const { part } = await splitOnce(partingBundle());
    const resumed = await resumeFusedTrials({ ...part, batchesDone: part.batchesDone + 1 }, wasm);
    for (const result of resumed) expect(result.outcome).toMatchObject({ status: 'failed', error: { kind: 'RangeError' } });
  });

  it('fails its members, without rejecting, when the engine state does not fit the network', async () => {
    const { part } = await splitOnce(partingBundle());
    const truncated: BundlePart = { ...part, engine: { ...part.engine, blocks: part.engine.blocks.subarray(1) } };
    const resumed = await resumeFusedTrials(truncated, wasm);
    for (const result of resumed) expect(result.outcome).toMatchObject({ status: 'failed', error: { kind: 'RangeError' } });
    expect(resumed.map((result) => result.history.length)).toEqual(part.members.map(() => part.epochsDone));
  });

  it('leaves no tensor behind, giving or resuming', async () => {
    await selectBackend('wasm', recordingLogger());
    const before = memory().numTensors;
    const { part } = await splitOnce(partingBundle());
    await resumeFusedTrials(part, wasm);
    expect(memory().numTensors).toBe(before);
  });
});
