import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FencedWriteError, storeFileName, SweepStore, type TrialRef } from '../../coordinator/sweep-store.js';
import { expandGrid } from '../../src/spec/grid.js';
import { sweepId as sweepIdOf } from '../../src/spec/ids.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import { removeTempDirs, resultFor, tempDataDir, tinySweepSpec } from './fixtures.js';

const openStores: SweepStore[] = [];
afterEach(() => {
  for (const store of openStores.splice(0)) store.close();
  removeTempDirs();
});

function open(dir: string, nowMs = 1_000): SweepStore {
  const store = SweepStore.open(dir, nowMs);
  openStores.push(store);
  return store;
}

function createSweep(store: SweepStore, spec: SweepSpec = tinySweepSpec()): { sweepId: string; refs: TrialRef[] } {
  const sweepId = sweepIdOf(spec);
  const trials = expandGrid(spec);
  store.createSweep({ sweepId, spec, specSource: 'name: tiny\n', trials, nowMs: 1_000 });
  return { sweepId, refs: trials.map((trial) => ({ sweepId, trialId: trial.id })) };
}

function first<T>(items: readonly T[]): T {
  const item = items[0];
  if (item === undefined) throw new Error('expected at least one item');
  return item;
}

describe('SweepStore', () => {
  it('creates its SQLite file under the data dir, in WAL mode', () => {
    const dir = tempDataDir();
    open(dir);
    const raw = new Database(join(dir, storeFileName), { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('stores a sweep with every trial queued', () => {
    const store = open(tempDataDir());
    const { sweepId } = createSweep(store);
    expect(store.getSweep(sweepId)).toMatchObject({ sweepId, totalTrials: 2, cancelled: false, finishedAtMs: null, specSource: 'name: tiny\n' });
    expect(store.counts(sweepId)).toMatchObject({ queued: 2, running: 0 });
  });

  it('records a trial result once and refuses a second one', () => {
    const store = open(tempDataDir());
    const { refs } = createSweep(store);
    const ref = first(refs);
    store.leaseTrial(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
    expect(store.recordResult(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', result: resultFor(ref.trialId, 0.4), nowMs: 3_000 })).toBe('succeeded');
    expect(() => store.recordResult(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', result: resultFor(ref.trialId, 0.1), nowMs: 4_000 })).toThrow(FencedWriteError);
    expect(store.resultLease(ref)).toEqual({ leaseId: 'L1', fencingToken: 1 });
  });

  it('refuses, in SQL, a rewritten result or a result for a trial that has not ended', () => {
    const dir = tempDataDir();
    const store = open(dir);
    const { refs } = createSweep(store);
    const [done, waiting] = [first(refs), refs[1] ?? first(refs)];
    store.leaseTrial(done, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
    store.recordResult(done, { leaseId: 'L1', fencingToken: 1, agentId: 'a', result: resultFor(done.trialId), nowMs: 3_000 });
    const raw = new Database(join(dir, storeFileName));
    try {
      expect(() => raw.prepare(`UPDATE results SET objective = 0 WHERE trial_id = ?`).run(done.trialId)).toThrow(/written once/);
      expect(() =>
        raw
          .prepare(`INSERT INTO results (sweep_id, trial_id, status, lease_id, fencing_token, agent_id, recorded_at_ms, result_json) VALUES (?, ?, 'succeeded', 'x', 1, 'a', 0, '{}')`)
          .run(waiting.sweepId, waiting.trialId),
      ).toThrow(/ended/);
      expect(() => raw.prepare(`DELETE FROM results WHERE trial_id = ?`).run(done.trialId)).toThrow(/never deleted/);
    } finally {
      raw.close();
    }
  });

  it('refuses a result carrying an older fencing token', () => {
    const store = open(tempDataDir());
    const ref = first(createSweep(store).refs);
    store.leaseTrial(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
    store.endAttempt(ref, { leaseId: 'L1', fencingToken: 1, lost: { event: 'lease-expired', ending: 'lease-expired' }, nowMs: 5_000 });
    store.leaseTrial(ref, { leaseId: 'L2', fencingToken: 2, agentId: 'b', nowMs: 6_000 });
    expect(() => store.recordResult(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', result: resultFor(ref.trialId), nowMs: 7_000 })).toThrow(FencedWriteError);
    expect(store.getTrial(ref)).toMatchObject({ state: 'leased', fencingToken: 2, attempts: 2, failures: 1 });
  });

  it('keeps NaN and Infinity in a stored history', () => {
    const store = open(tempDataDir());
    const { sweepId, refs } = createSweep(store);
    const ref = first(refs);
    store.leaseTrial(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
    const diverged = {
      ...resultFor(ref.trialId, null, { status: 'diverged', atEpoch: 3 }),
      history: [
        { epoch: 1, loss: 1, val_loss: 1, lr: 0.1 },
        { epoch: 2, loss: Number.POSITIVE_INFINITY, val_loss: Number.NEGATIVE_INFINITY, lr: 0.1 },
        { epoch: 3, loss: Number.NaN, val_loss: Number.NaN, lr: 0.1 },
      ],
    };
    store.recordResult(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', result: diverged, nowMs: 3_000 });
    const trial = store.snapshot(sweepId, {})?.trials.find((record) => record.spec.id === ref.trialId);
    expect(trial?.state).toBe('diverged');
    expect(trial?.result?.history[1]).toEqual({ epoch: 2, loss: Infinity, val_loss: -Infinity, lr: 0.1 });
    expect(Number.isNaN(trial?.result?.history[2]?.loss)).toBe(true);
  });

  it('requeues, on reopen, the trials a previous process had leased, counting the attempt', () => {
    const dir = tempDataDir();
    const before = open(dir);
    const ref = first(createSweep(before).refs);
    before.leaseTrial(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
    before.recordHeartbeat(ref, 1, []);
    before.close();
    const after = open(dir, 9_000);
    expect(after.getTrial(ref)).toMatchObject({ state: 'queued', attempts: 1, failures: 1, fencingToken: 1 });
    expect(after.queuedTrials().map((trial) => trial.ref.trialId)).toContain(ref.trialId);
    expect(after.attemptByLease('L1')).toMatchObject({ ending: 'coordinator-restarted' });
  });

  it('fails, on reopen, an interrupted trial that has no attempts left', () => {
    const dir = tempDataDir();
    const before = open(dir);
    const { sweepId, refs } = createSweep(before, tinySweepSpec({ maxAttempts: 1, grid: { learningRate: [0.1], factor: [0.5], patience: [1] } }));
    const ref = first(refs);
    before.leaseTrial(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
    before.close();
    const after = open(dir, 9_000);
    expect(after.getTrial(ref)?.state).toBe('failed');
    expect(after.getSweep(sweepId)?.finishedAtMs).toBe(9_000);
  });

  it('keeps several sweeps apart, even when they share trial ids', () => {
    const store = open(tempDataDir());
    const one = createSweep(store, tinySweepSpec({ name: 'one' }));
    const two = createSweep(store, tinySweepSpec({ name: 'two' }));
    expect(one.sweepId).not.toBe(two.sweepId);
    expect(one.refs.map((ref) => ref.trialId)).toEqual(two.refs.map((ref) => ref.trialId));
    const ref = first(one.refs);
    store.leaseTrial(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
    store.recordResult(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', result: resultFor(ref.trialId, 0.3), nowMs: 3_000 });
    expect(store.counts(one.sweepId)).toMatchObject({ queued: 1, succeeded: 1 });
    expect(store.counts(two.sweepId)).toMatchObject({ queued: 2, succeeded: 0 });
    expect(store.listSweeps().map((sweep) => sweep.spec.name)).toEqual(['one', 'two']);
  });

  it('cancels queued trials at once and reports the ones still holding a lease', () => {
    const store = open(tempDataDir());
    const { sweepId, refs } = createSweep(store);
    const running = first(refs);
    store.leaseTrial(running, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
    const outcome = store.cancelSweep(sweepId);
    expect(outcome.holdingLease).toEqual([running]);
    expect(outcome.cancelledQueued).toHaveLength(1);
    expect(store.counts(sweepId)).toMatchObject({ cancelled: 1, running: 1 });
  });

  it('queues a resubmitted cancelled sweep’s cancelled trials again', () => {
    const store = open(tempDataDir());
    const { sweepId } = createSweep(store);
    store.cancelSweep(sweepId);
    expect(store.markFinishedIfDone(sweepId, 5_000)).toBe(true);
    expect(store.resumeSweep(sweepId)).toHaveLength(2);
    expect(store.getSweep(sweepId)).toMatchObject({ cancelled: false, finishedAtMs: null });
    expect(store.counts(sweepId)).toMatchObject({ queued: 2, cancelled: 0 });
  });

  it('snapshots a sweep with its trials in grid order, attempts, results and environment', () => {
    const store = open(tempDataDir());
    const { sweepId, refs } = createSweep(store);
    store.registerAgent({ agentId: 'a', hostname: 'gpu-1', slots: 2, backend: 'cpu', version: '0.1.0' }, 1_500);
    const ref = first(refs);
    store.leaseTrial(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
    store.recordResult(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', result: resultFor(ref.trialId, 0.4), nowMs: 3_000 });
    const snapshot = store.snapshot(sweepId, { 'plateau-sweep': '0.1.0' });
    expect(snapshot?.trials.map((trial) => trial.spec.id)).toEqual(refs.map((r) => r.trialId));
    expect(snapshot?.trials[0]).toMatchObject({ state: 'succeeded', agentId: 'a', attempts: [{ attempt: 1, agentId: 'a', startedAtMs: 2_000, endedAtMs: 3_000, ending: 'succeeded' }] });
    expect(snapshot?.trials[1]).toMatchObject({ state: 'queued', attempts: [], result: null });
    expect(snapshot?.environment).toEqual({ backends: ['cpu'], hosts: ['gpu-1'], versions: { 'plateau-sweep': '0.1.0', 'agent gpu-1': '0.1.0' } });
    expect(store.best(sweepId, 'minimize')).toEqual({ objective: 0.4, config: snapshot?.trials[0]?.spec.config });
  });
});

describe('SweepStore.createSweepInChunks', () => {
  const spec = tinySweepSpec({ name: 'chunked', grid: { learningRate: [0.1, 0.2, 0.3], factor: [0.5], patience: [1, 2] } });

  it('writes every trial, a chunk at a time, in grid order', async () => {
    const store = SweepStore.open(tempDataDir(), 1_000);
    openStores.push(store);
    const trials = expandGrid(spec);
    const queued = await store.createSweepInChunks({ sweepId: 's1', spec, specSource: '', totalTrials: trials.length, chunks: [trials.slice(0, 4), trials.slice(4)], nowMs: 1_000 });
    expect(queued.map((trial) => trial.ref.trialId)).toEqual(trials.map((trial) => trial.id));
    expect(store.queuedTrials('s1').map((trial) => trial.ordinal)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('drops a sweep whose chunks were not all written when the store is next opened', async () => {
    const dataDir = tempDataDir();
    const store = SweepStore.open(dataDir, 1_000);
    const trials = expandGrid(spec);
    function* dyingHalfway(): Generator<readonly typeof trials[number][]> {
      yield trials.slice(0, 3);
      throw new Error('the process died here');
    }
    await expect(store.createSweepInChunks({ sweepId: 's1', spec, specSource: '', totalTrials: trials.length, chunks: dyingHalfway(), nowMs: 1_000 })).rejects.toThrow('died');
    store.close();
    const reopened = SweepStore.open(dataDir, 2_000);
    openStores.push(reopened);
    expect(reopened.getSweep('s1')).toBeUndefined();
    expect(reopened.queuedTrials()).toEqual([]);
  });
});
