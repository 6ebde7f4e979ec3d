// The store's per-turn commit mode (what the coordinator runs): relaxed writes of one
// event-loop turn share one transaction, committed at the end of the turn, by a FULL write,
// by durable() or by close(); a call that throws undoes only itself.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { storeFileName, SweepStore, type TrialRef } from '../../coordinator/sweep-store.js';
import { expandGrid } from '../../src/spec/grid.js';
import { sweepId as sweepIdOf } from '../../src/spec/ids.js';
import type { TrialResult } from '../../src/trial/types.js';
import { removeTempDirs, resultFor, tempDataDir, tinySweepSpec } from './fixtures.js';

const openStores: SweepStore[] = [];
afterEach(() => {
  for (const store of openStores.splice(0)) store.close();
  removeTempDirs();
});

function openPerTurn(dir: string): SweepStore {
  const store = SweepStore.open(dir, 1_000, { commitMode: 'per-turn' });
  openStores.push(store);
  return store;
}

function sweepOf(store: SweepStore): { readonly sweepId: string; readonly refs: readonly [TrialRef, TrialRef] } {
  const spec = tinySweepSpec();
  const sweepId = sweepIdOf(spec);
  const trials = expandGrid(spec);
  store.createSweep({ sweepId, spec, specSource: '', trials, nowMs: 1_000 });
  const [a, b] = trials;
  if (a === undefined || b === undefined) throw new Error('expected two trials');
  return { sweepId, refs: [{ sweepId, trialId: a.id }, { sweepId, trialId: b.id }] };
}

/** The trial's state as another connection sees it (what is committed). */
function committedState(dir: string, ref: TrialRef): string | undefined {
  const raw = new Database(join(dir, storeFileName), { readonly: true });
  try {
    const row = raw.prepare(`SELECT state FROM trials WHERE sweep_id = ? AND trial_id = ?`).get(ref.sweepId, ref.trialId) as { state: string } | undefined;
    return row?.state;
  } finally {
    raw.close();
  }
}

const lease = (leaseId: string, fencingToken = 1) => ({ leaseId, fencingToken, agentId: 'a', nowMs: 2_000 });

describe('SweepStore, committing per turn', () => {
  it('commits a turn’s relaxed writes at the end of the turn, while its own reads see them at once', async () => {
    const dir = tempDataDir();
    const store = openPerTurn(dir);
    const [ref] = sweepOf(store).refs;
    // The first grant raises the durable token ceiling: a FULL commit of its own.
    store.leaseTrial(ref, lease('L1'));
    store.recordHeartbeat(ref, 1, []);
    expect(store.getTrial(ref)?.state).toBe('running');
    expect(committedState(dir, ref)).toBe('leased');
    await nextTurn();
    expect(committedState(dir, ref)).toBe('running');
  });

  it('undoes only the call that threw, keeping the rest of the turn', async () => {
    const dir = tempDataDir();
    const store = openPerTurn(dir);
    const [first, second] = sweepOf(store).refs;
    store.leaseTrial(first, lease('L1'));
    store.leaseTrial(second, lease('L2'));
    // Serializing this result throws after the state has moved (a BigInt), as a failed write would.
    const poisoned = { ...resultFor(second.trialId), wallSeconds: 1n } as unknown as TrialResult;
    expect(() => store.recordResult(second, { leaseId: 'L2', fencingToken: 1, agentId: 'a', result: poisoned, nowMs: 3_000 })).toThrow();
    store.recordResult(first, { leaseId: 'L1', fencingToken: 1, agentId: 'a', result: resultFor(first.trialId), nowMs: 3_000 });
    await nextTurn();
    expect(committedState(dir, first)).toBe('succeeded');
    expect(committedState(dir, second)).toBe('leased');
    expect(store.resultLease(second)).toBeUndefined();
  });

  it('commits the open batch before a FULL write, so the FULL commit syncs it too', () => {
    const dir = tempDataDir();
    const store = openPerTurn(dir);
    const [ref] = sweepOf(store).refs;
    store.leaseTrial(ref, lease('L1'));
    store.recordHeartbeat(ref, 1, []);
    store.registerAgent({ agentId: 'a', hostname: 'h', slots: 1, backend: 'cpu', version: 'test' }, 2_000);
    expect(committedState(dir, ref)).toBe('running');
  });

  it('resolves durable() once a result recorded in this turn is committed and synced', async () => {
    const dir = tempDataDir();
    const store = openPerTurn(dir);
    const [ref] = sweepOf(store).refs;
    store.leaseTrial(ref, lease('L1'));
    store.recordResult(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', result: resultFor(ref.trialId), nowMs: 3_000 });
    await store.durable();
    expect(committedState(dir, ref)).toBe('succeeded');
  });

  it('commits the open batch on close: the next open finds the lease and requeues its trial', () => {
    const dir = tempDataDir();
    const store = SweepStore.open(dir, 1_000, { commitMode: 'per-turn' });
    const [ref] = sweepOf(store).refs;
    store.leaseTrial(ref, lease('L1'));
    store.close();
    expect(openPerTurn(dir).getTrial(ref)).toMatchObject({ state: 'queued', attempts: 1, failures: 1 });
  });

  it('says whether a sweep is cancelled, following cancel and resume', () => {
    const store = openPerTurn(tempDataDir());
    const { sweepId } = sweepOf(store);
    expect(store.isCancelled(sweepId)).toBe(false);
    store.cancelSweep(sweepId);
    expect(store.isCancelled(sweepId)).toBe(true);
    store.resumeSweep(sweepId);
    expect(store.isCancelled(sweepId)).toBe(false);
    expect(store.isCancelled('no-such-sweep')).toBe(false);
  });
});
