// Work stealing at the trainer: a fused bundle on the wasm kernels hands part of its physical
// members off at an epoch boundary, another call resumes the part, and together they report
// exactly what the unsplit bundle reports, bit for bit.
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
// the 0.03 pair after epoch 4. At the first boundary the bundle holds two physical members of
// two trials each, and gives away the second (the 0.01 pair), which forks where it resumes.
const PARTING: readonly Partial<TrialConfig>[] = [
  FORKING[0] ?? {},
  FORKING[1] ?? {},
  { learningRate: 0.01, factor: 0.3, patience: 1, minDelta: 0.5 },
  { learningRate: 0.01, factor: 0.5, patience: 3, minDelta: 0.5 },
];

function partingBundle(optimizer: OptimizerName = 'adam'): TrialSpec[] {
  return bundle({ epochs: 8, optimizer }, PARTING);
}

/** A handoff that wants one part, from the start, and keeps it. */
function wantsOnePart(): BundleHandoff & { readonly parts: BundlePart[] } {
  const parts: BundlePart[] = [];
  return { parts, wanted: () => parts.length === 0, take: (part) => parts.push(part) };
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

/** The part `runFusedTrials(specs)` hands off when a part is wanted from the start, with the giver's results. */
async function splitOnce(specs: readonly TrialSpec[], options: Partial<RunFusedTrialsOptions> = {}): Promise<{ part: BundlePart; giver: TrialResult[] }> {
  const handoff = wantsOnePart();
  const giver = await runFusedTrials(specs, { ...wasm, ...options, handoff });
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

    expect(part.epochsDone).toBe(1);
    expect(part.members.map((member) => [member.spec.id, member.slot])).toEqual([['member-2', 0], ['member-3', 0]]);
    expect(part.engine.count).toBe(1);
    expect(giver.map((result) => result.trialId)).toEqual(['member-0', 'member-1']);
    expect(resumed.map((result) => result.trialId)).toEqual(['member-2', 'member-3']);
    expect(inSpecOrder(specs, giver, resumed).map(reported)).toEqual(whole.map(reported));
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

  it('hands off only while at least two epochs remain', async () => {
    const twoRates = [PARTING[0] ?? {}, PARTING[2] ?? {}];
    const lastChance = alwaysWanted();
    await runFusedTrials(bundle({ epochs: 3 }, twoRates), { ...wasm, handoff: lastChance });
    expect(lastChance.parts.map((part) => part.epochsDone)).toEqual([1]);

    const tooLate = alwaysWanted();
    const results = await runFusedTrials(bundle({ epochs: 2 }, twoRates), { ...wasm, handoff: tooLate });
    expect(tooLate.parts).toEqual([]);
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
    // The 0.01 pair forks after epoch 2: the first boundary where the part holds two physical members.
    expect(nested.epochsDone).toBe(2);
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
