// A member of a running fused bundle told to stop on its own (an early stop: pruned) leaves the
// bundle at once: it ends cancelled with the epochs it had finished, its physical member stops
// training (unless trials still training share it), and the others report exactly what the
// bundle without the stop reports, bit for bit.
import { describe, expect, it } from 'vitest';
import type { BundleHandoff } from '../../../src/train/fused/bundle-part.js';
import { runFusedTrials, type RunFusedTrialsOptions } from '../../../src/train/fused/fused-runner.js';
import type { CancelReason, TrialResult, TrialSpec } from '../../../src/trial/types.js';
import { recordingLogger } from '../recording-logger.js';
import { bundle, FORKING, SCHEDULES } from './fused-fixtures.js';

// The tiny regression trains 4 batches an epoch; SCHEDULES start at three rates (three physical members).
const BATCHES_PER_EPOCH = 4;
const EPOCHS = 8;

const wasm: RunFusedTrialsOptions = { backend: 'wasm' };
const tfjsOnCpu: RunFusedTrialsOptions = { backend: 'cpu', engine: 'tfjs' };

/** What a trial reports, less its wall time (which differs from run to run). */
function reported(result: TrialResult | undefined): unknown {
  if (result === undefined) return undefined;
  const { wallSeconds: _wallSeconds, ...rest } = result;
  return rest;
}

interface Trained {
  readonly results: TrialResult[];
  /** Physical-member batches the bundle trained (its `fused.trained` log). */
  readonly memberBatches: number;
}

/** Runs the bundle, stopping `stop.trialId` (reason pruned) once it has finished `stop.afterEpochs` epochs. */
async function train(specs: readonly TrialSpec[], options: RunFusedTrialsOptions, stop?: { readonly trialIds: readonly string[]; readonly afterEpochs: number }): Promise<Trained> {
  const logger = recordingLogger();
  const stopped = new Map<string, CancelReason>();
  const results = await runFusedTrials(specs, {
    ...options,
    logger,
    stopped,
    onEpoch: (trialId, record) => {
      if (stop !== undefined && stop.trialIds.includes(trialId) && record.epoch === stop.afterEpochs) stopped.set(trialId, 'pruned');
    },
  });
  return { results, memberBatches: memberBatchesOf(logger.events) };
}

function memberBatchesOf(events: ReturnType<typeof recordingLogger>['events']): number {
  return events.filter((event) => event.event === 'fused.trained').reduce((sum, event) => sum + Number(event.fields['memberBatches']), 0);
}

function others(results: readonly TrialResult[], stoppedIds: readonly string[]): unknown[] {
  return results.filter((result) => !stoppedIds.includes(result.trialId)).map(reported);
}

describe('a member of a fused bundle stopped on its own', () => {
  it.each([
    ['the wasm kernels', wasm],
    ['the tfjs engine', tfjsOnCpu],
  ])('on %s, leaves the others’ histories and val_losses bit for bit as the bundle without the stop reports them', async (_, options) => {
    const specs = bundle({ epochs: EPOCHS }, SCHEDULES);
    const whole = await train(specs, options);
    const cut = await train(specs, options, { trialIds: ['member-1'], afterEpochs: 2 });
    expect(others(cut.results, ['member-1'])).toEqual(others(whole.results, ['member-1']));
    expect(cut.results[0]?.history).toHaveLength(EPOCHS);
  });

  it.each([
    ['the wasm kernels', wasm],
    ['the tfjs engine', tfjsOnCpu],
  ])('on %s, ends cancelled with the reason and the epochs it had finished when told', async (_, options) => {
    const specs = bundle({ epochs: EPOCHS }, SCHEDULES);
    const whole = await train(specs, options);
    const cut = await train(specs, options, { trialIds: ['member-1'], afterEpochs: 2 });
    const stoppedResult = cut.results.find((result) => result.trialId === 'member-1');
    expect(stoppedResult?.outcome).toEqual({ status: 'cancelled', reason: 'pruned' });
    expect(stoppedResult?.history).toEqual(whole.results[1]?.history.slice(0, 2));
  });

  it.each([
    ['the wasm kernels', wasm],
    ['the tfjs engine', tfjsOnCpu],
  ])('on %s, stops costing work from the next epoch when told at an epoch’s end', async (_, options) => {
    const specs = bundle({ epochs: EPOCHS }, SCHEDULES);
    const whole = await train(specs, options);
    const cut = await train(specs, options, { trialIds: ['member-1'], afterEpochs: 2 });
    expect(whole.memberBatches).toBe(3 * EPOCHS * BATCHES_PER_EPOCH);
    expect(cut.memberBatches).toBe(whole.memberBatches - (EPOCHS - 2) * BATCHES_PER_EPOCH);
  });

  it.each([
    // The kernels drop a physical member between any two batches (its batch losses so far follow it).
    ['the wasm kernels, before the next batch', wasm, 6, 2],
    // The tfjs engine holds each batch's losses of all members in one tensor: the physical member goes at the epoch's end.
    ['the tfjs engine, at the epoch’s end', tfjsOnCpu, 8, 3],
  ])('told mid-epoch, on %s, it stops costing work', async (_, options, batchesTrained, physicalAfter) => {
    const specs = bundle({ epochs: EPOCHS }, SCHEDULES);
    const whole = await train(specs, options);
    const logger = recordingLogger();
    const stopped = new Map<string, CancelReason>();
    // The runner asks before every batch while half an epoch or more is left: told before batch 5 (epoch 1, batch 1), it trains that batch and leaves.
    let asked = 0;
    const tellsBeforeBatch5: BundleHandoff = {
      wanted: () => {
        if (asked++ === 5) stopped.set('member-2', 'pruned');
        return false;
      },
      take: () => undefined,
    };
    const results = await runFusedTrials(specs, { ...options, logger, stopped, handoff: tellsBeforeBatch5 });
    expect(others(results, ['member-2'])).toEqual(others(whole.results, ['member-2']));
    expect(results[2]?.history).toEqual(whole.results[2]?.history.slice(0, 1));
    expect(results[2]?.outcome).toEqual({ status: 'cancelled', reason: 'pruned' });
    expect(memberBatchesOf(logger.events)).toBe(whole.memberBatches - (EPOCHS * BATCHES_PER_EPOCH - batchesTrained));
    expect(logger.events.find((event) => event.event === 'fused.members-stopped')?.fields).toMatchObject({ trials: ['member-2'], epoch: 1, batch: 2, staying: 2, physical: physicalAfter });
  });

  it('keeps a physical member it shares with a trial still training, which trains on bit for bit', async () => {
    // member-3 is member-0's twin: they share one physical member for the whole run.
    const specs = bundle({ epochs: EPOCHS }, FORKING);
    const whole = await train(specs, wasm);
    const cut = await train(specs, wasm, { trialIds: ['member-3'], afterEpochs: 1 });
    expect(others(cut.results, ['member-3'])).toEqual(others(whole.results, ['member-3']));
    expect(cut.results[3]?.outcome).toEqual({ status: 'cancelled', reason: 'pruned' });
    expect(cut.results[3]?.history).toEqual(whole.results[3]?.history.slice(0, 1));
    expect(cut.memberBatches).toBe(whole.memberBatches);
  });

  it('ends the bundle when every member is stopped', async () => {
    const specs = bundle({ epochs: EPOCHS }, SCHEDULES);
    const cut = await train(specs, wasm, { trialIds: ['member-0', 'member-1', 'member-2'], afterEpochs: 3 });
    expect(cut.results.map((result) => [result.outcome, result.history.length])).toEqual(Array(3).fill([{ status: 'cancelled', reason: 'pruned' }, 3]));
    expect(cut.memberBatches).toBe(3 * 3 * BATCHES_PER_EPOCH);
  });

  it('ignores a stop naming a trial not in the bundle', async () => {
    const specs = bundle({ epochs: 3 }, SCHEDULES);
    const whole = await train(specs, wasm);
    const cut = await train(specs, wasm, { trialIds: ['not-a-member'], afterEpochs: 1 });
    expect(cut.results.map(reported)).toEqual(whole.results.map(reported));
  });
});
