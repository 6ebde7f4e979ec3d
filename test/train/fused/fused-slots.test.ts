// Prefix sharing: trials of one bundle that have trained at the same learning rates share one
// physical slot, and still report exactly what each would alone.
import { memory } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/train/backend.js';
import { runFusedTrials } from '../../../src/train/fused/fused-runner.js';
import { runTrial } from '../../../src/train/trial-runner.js';
import type { TrialConfig, TrialResult, TrialSpec, WorkloadSpec } from '../../../src/trial/types.js';
import { recordingLogger } from '../recording-logger.js';
import { trialSpec } from '../trial-fixtures.js';
import { FORKING } from './fused-fixtures.js';

function bundle(configs: readonly Partial<TrialConfig>[], workload: Partial<WorkloadSpec> = {}): TrialSpec[] {
  return configs.map((config, i) => trialSpec({ id: `member-${i}`, workload: { epochs: 8, ...workload }, config }));
}

async function separately(specs: readonly TrialSpec[]): Promise<TrialResult[]> {
  const results: TrialResult[] = [];
  for (const spec of specs) results.push(await runTrial(spec, { backend: 'cpu' }));
  return results;
}

/** What a trial reports, less its wall time (the fused members end together). */
function reported(result: TrialResult | undefined): unknown {
  if (result === undefined) return undefined;
  const { wallSeconds: _wallSeconds, ...rest } = result;
  return rest;
}

interface SlotShape {
  readonly logical: unknown;
  readonly physical: unknown;
  readonly epoch: unknown;
}

/** Fused trials and the slot shapes they trained in, from the runner's `fused.slots` debug events. */
async function fusedWithSlots(specs: readonly TrialSpec[]): Promise<{ results: TrialResult[]; slots: SlotShape[] }> {
  const logger = recordingLogger();
  const results = await runFusedTrials(specs, { backend: 'cpu', logger });
  const slots = logger.events
    .filter((event) => event.level === 'debug' && event.event === 'fused.slots')
    .map(({ fields }) => ({ logical: fields['logical'], physical: fields['physical'], epoch: fields['epoch'] }));
  return { results, slots };
}

/** 0-based index of the first epoch two trials trained at different learning rates. */
function firstDifferentRate(a: TrialResult | undefined, b: TrialResult | undefined): number {
  return a?.history.findIndex((record, e) => record.lr !== b?.history[e]?.lr) ?? -1;
}

describe('runFusedTrials: trials that share a learning-rate prefix', () => {
  it('report, bit for bit, what each reports alone, though their slots fork mid-run', async () => {
    const specs = bundle(FORKING);
    const { results, slots } = await fusedWithSlots(specs);
    const single = await separately(specs);
    // The premise: the three schedules of the first rate reduce at different epochs.
    expect(new Set(single.slice(0, 3).map((result) => result.lrReductions.join())).size).toBe(3);
    // Two starting rates; after epoch 4 the first rate's slot forks in two, after epoch 5 again.
    expect(slots).toEqual([
      { logical: 5, physical: 2, epoch: 0 },
      { logical: 5, physical: 3, epoch: 4 },
      { logical: 5, physical: 4, epoch: 5 },
    ]);
    expect(results.map(reported)).toEqual(single.map(reported));
  });

  it('train two same-rate trials in one slot until their schedules part, then in two', async () => {
    const specs = bundle([FORKING[0] ?? {}, FORKING[1] ?? {}]);
    const { results, slots } = await fusedWithSlots(specs);
    const single = await separately(specs);
    const parted = firstDifferentRate(single[0], single[1]);
    expect(parted).toBeGreaterThan(0);
    expect(slots).toEqual([
      { logical: 2, physical: 1, epoch: 0 },
      { logical: 2, physical: 2, epoch: parted },
    ]);
    expect(results.map(reported)).toEqual(single.map(reported));
  });

  it('keep identical schedules in one slot for the whole run', async () => {
    const specs = bundle([FORKING[0] ?? {}, FORKING[3] ?? {}]);
    const { results, slots } = await fusedWithSlots(specs);
    expect(slots).toEqual([{ logical: 2, physical: 1, epoch: 0 }]);
    expect(results[0]?.history).toEqual(results[1]?.history);
    expect(results[0]?.lrReductions.length).toBeGreaterThan(0);
  });
});

// Momentum at 0.5 overflows on the tiny regression after a few epochs.
const DIVERGING: readonly Partial<TrialConfig>[] = [
  { learningRate: 0.5, patience: 5 },
  { learningRate: 0.5, patience: 6, factor: 0.1 },
];

describe('runFusedTrials: a diverging shared slot', () => {
  it('ends every trial of the slot diverged at the epoch the slot diverges', async () => {
    const specs = bundle(DIVERGING, { optimizer: 'momentum' });
    const { results, slots } = await fusedWithSlots(specs);
    const single = await separately(specs);
    expect(single.map((result) => result.outcome.status)).toEqual(['diverged', 'diverged']);
    expect(slots).toEqual([{ logical: 2, physical: 1, epoch: 0 }]);
    expect(results.map((result) => result.outcome)).toEqual(single.map((result) => result.outcome));
    expect(results[0]?.outcome).toEqual(results[1]?.outcome);
    expect(results.map(reported)).toEqual(single.map(reported));
  });

  it('leaves the other slots training as they would alone', async () => {
    const specs = bundle([...DIVERGING, FORKING[0] ?? {}, FORKING[1] ?? {}], { optimizer: 'momentum' });
    const { results, slots } = await fusedWithSlots(specs);
    const single = await separately(specs);
    expect(single.map((result) => result.outcome.status)).toEqual(['diverged', 'diverged', 'succeeded', 'succeeded']);
    expect(slots[0]).toEqual({ logical: 4, physical: 2, epoch: 0 });
    // The survivors' slot forks after epoch 3; the diverged slot goes after epoch 4.
    expect(slots).toEqual([
      { logical: 4, physical: 2, epoch: 0 },
      { logical: 4, physical: 3, epoch: 3 },
      { logical: 2, physical: 2, epoch: 4 },
    ]);
    expect(results.map(reported)).toEqual(single.map(reported));
  });

  it('leaves no tensor behind when slots fork and drop', async () => {
    await selectBackend('cpu', recordingLogger());
    const before = memory().numTensors;
    await runFusedTrials(bundle([...DIVERGING, ...FORKING.slice(0, 3)], { optimizer: 'momentum' }), { backend: 'cpu' });
    expect(memory().numTensors).toBe(before);
  });
});

describe('runFusedTrials: a bundle over its memory budget', () => {
  it('trains in chunks that keep same-rate trials together, each trial reporting what it would alone', async () => {
    const specs = bundle(FORKING);
    const logger = recordingLogger();
    // The tiny MLP (4 → 8 → 1, batch 32, adam) holds 4,240 bytes a member: two fit.
    const results = await runFusedTrials(specs, { backend: 'cpu', logger, memoryBudgetBytes: 2 * 4240 });
    const single = await separately(specs);
    expect(logger.events.find((event) => event.event === 'fused.chunks')?.fields).toMatchObject({ members: 5, chunks: 3, capacity: 2 });
    expect(results.map(reported)).toEqual(single.map(reported));
  });
});
