// Durability choices of the store (see the note atop sweep-store.ts): results are durable
// once `durable()` resolves, and fencing tokens never repeat across an unclean stop, even
// though lease grants themselves are committed without fsync.
import { afterEach, describe, expect, it } from 'vitest';
import { SweepStore, type TrialRef } from '../../coordinator/sweep-store.js';
import { expandGrid } from '../../src/spec/grid.js';
import { sweepId as sweepIdOf } from '../../src/spec/ids.js';
import { removeTempDirs, resultFor, tempDataDir, tinySweepSpec } from './fixtures.js';

const openStores: SweepStore[] = [];
afterEach(() => {
  for (const store of openStores.splice(0)) store.close();
  removeTempDirs();
});

function open(dir: string): SweepStore {
  const store = SweepStore.open(dir, 1_000);
  openStores.push(store);
  return store;
}

function firstTrial(store: SweepStore): TrialRef {
  const spec = tinySweepSpec();
  const sweepId = sweepIdOf(spec);
  const trials = expandGrid(spec);
  store.createSweep({ sweepId, spec, specSource: 'name: tiny\n', trials, nowMs: 1_000 });
  const trial = trials[0];
  if (trial === undefined) throw new Error('expected a trial');
  return { sweepId, trialId: trial.id };
}

describe('SweepStore durability', () => {
  it('resolves durable() once a recorded result can be read back from a new connection', async () => {
    const dir = tempDataDir();
    const store = open(dir);
    const ref = firstTrial(store);
    store.leaseTrial(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
    store.recordResult(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', result: resultFor(ref.trialId, 0.4), nowMs: 3_000 });
    await store.durable();
    expect(open(dir).resultLease(ref)).toEqual({ leaseId: 'L1', fencingToken: 1 });
  });

  it('needs no token floor after a clean close: tokens go on from the stored ones', () => {
    const dir = tempDataDir();
    const store = SweepStore.open(dir, 1_000);
    const ref = firstTrial(store);
    store.leaseTrial(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
    store.close();
    const reopened = open(dir);
    expect(reopened.tokenFloor).toBe(0);
    expect(reopened.getTrial(ref)).toMatchObject({ state: 'queued', fencingToken: 1 });
  });

  it('after an unclean stop, puts every earlier token below the floor the next tokens start from', () => {
    const dir = tempDataDir();
    // The first store is never closed (as if killed); the second opens the same file.
    const crashed = open(dir);
    const ref = firstTrial(crashed);
    crashed.leaseTrial(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
    crashed.endAttempt(ref, { leaseId: 'L1', fencingToken: 1, lost: { event: 'lease-expired', ending: 'lease-expired' }, nowMs: 3_000 });
    crashed.leaseTrial(ref, { leaseId: 'L2', fencingToken: 2, agentId: 'a', nowMs: 4_000 });
    const next = open(dir);
    expect(next.tokenFloor).toBeGreaterThanOrEqual(2);
  });

  it('raises the durable token ceiling before granting a token above it', () => {
    const dir = tempDataDir();
    const crashed = open(dir);
    const ref = firstTrial(crashed);
    crashed.leaseTrial(ref, { leaseId: 'L1', fencingToken: 5_000, agentId: 'a', nowMs: 2_000 });
    expect(open(dir).tokenFloor).toBeGreaterThanOrEqual(5_000);
  });
});
