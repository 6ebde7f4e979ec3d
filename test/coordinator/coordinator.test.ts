import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../coordinator/coordinator.js';
import { StaleLeaseError, UnknownAgentError, UnknownSweepError } from '../../coordinator/errors.js';
import type { TrialLease } from '../../src/rpc/agent-channel.js';
import { epoch, FakeClock, nextEvent, removeTempDirs, resultFor, tempDataDir, tinySweepSpec } from './fixtures.js';

const running: Coordinator[] = [];
afterEach(() => {
  for (const coordinator of running.splice(0)) coordinator.close();
  removeTempDirs();
});

function start(clock = new FakeClock(), dataDir = tempDataDir()): { coordinator: Coordinator; clock: FakeClock; agentId: string; dataDir: string } {
  const coordinator = new Coordinator({ dataDir, clock: clock.now, leaseTimeoutMs: 1_000, expiryCheckIntervalMs: 0, watchThrottleMs: 0 });
  running.push(coordinator);
  const { agentId } = coordinator.registerAgent({ hostname: 'test-host', slots: 1, backend: 'cpu', version: '0.1.0' });
  return { coordinator, clock, agentId, dataDir };
}

async function lease(coordinator: Coordinator, agentId: string): Promise<TrialLease> {
  const granted = await coordinator.poll(agentId, 0);
  if (granted === null) throw new Error('expected a lease');
  return granted;
}

describe('Coordinator', () => {
  it('resumes instead of duplicating when the same spec is submitted again', async () => {
    const { coordinator } = start();
    const first = await coordinator.submitSweep(tinySweepSpec(), 'src');
    const again = await coordinator.submitSweep(tinySweepSpec(), 'src');
    expect(first).toMatchObject({ resumed: false, totalTrials: 2 });
    expect(again).toEqual({ ...first, resumed: true });
    expect(coordinator.listSweeps()).toHaveLength(1);
  });

  it('hands out a lease with the trial spec, attempt 1 and token 1', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec(), 'src');
    const granted = await lease(coordinator, agentId);
    expect(granted).toMatchObject({ sweepId, attempt: 1, fencingToken: 1, heartbeatTimeoutMs: 1_000 });
    expect(granted.trial.id).toBe(granted.trialId);
    expect(coordinator.getSweep(sweepId).counts).toMatchObject({ queued: 1, running: 1 });
  });

  it('answers an empty poll at once when nothing is queued and no wait was asked', async () => {
    const { coordinator, agentId } = start();
    await expect(coordinator.poll(agentId, 0)).resolves.toBeNull();
  });

  it('refuses a poll from an agent it never registered', () => {
    const { coordinator } = start();
    expect(() => coordinator.poll('stranger', 0)).toThrow(UnknownAgentError);
  });

  it('resolves a waiting poll as soon as a sweep is submitted', async () => {
    const { coordinator, agentId } = start();
    const waiting = coordinator.poll(agentId, 30_000);
    await coordinator.submitSweep(tinySweepSpec(), 'src');
    await expect(waiting).resolves.toMatchObject({ attempt: 1 });
  });

  it('runs a trial from heartbeat to result and finishes the sweep', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec({ grid: { learningRate: [0.1], factor: [0.5], patience: [1] } }), 'src');
    const granted = await lease(coordinator, agentId);
    expect(coordinator.heartbeat(granted, [epoch(1, 0.9)])).toEqual({ kind: 'continue' });
    expect(coordinator.progress(sweepId).running).toEqual([
      expect.objectContaining({ trialId: granted.trialId, agentId, epoch: 1, epochs: 3, valLoss: 0.9, lr: 0.01 }),
    ]);
    const finished = nextEvent(coordinator, 'sweep-finished');
    expect(coordinator.complete(granted, resultFor(granted.trialId, 0.3))).toEqual({ recorded: true });
    await expect(finished).resolves.toEqual({ sweepId, state: 'succeeded' });
    expect(coordinator.getSweep(sweepId)).toMatchObject({ state: 'succeeded', best: { objective: 0.3 }, counts: { succeeded: 1 } });
  });

  it('answers recorded: false to a repeated result from the lease that recorded it', async () => {
    const { coordinator, agentId } = start();
    await coordinator.submitSweep(tinySweepSpec(), 'src');
    const granted = await lease(coordinator, agentId);
    coordinator.complete(granted, resultFor(granted.trialId, 0.3));
    expect(coordinator.complete(granted, resultFor(granted.trialId, 0.1))).toEqual({ recorded: false });
    expect(coordinator.snapshot(granted.sweepId).trials.find((trial) => trial.spec.id === granted.trialId)?.result?.objective).toBe(0.3);
  });

  it('requeues a trial whose lease expired and gives the next lease a larger token', async () => {
    const { coordinator, clock, agentId } = start();
    await coordinator.submitSweep(tinySweepSpec({ grid: { learningRate: [0.1], factor: [0.5], patience: [1] } }), 'src');
    const first = await lease(coordinator, agentId);
    clock.advance(999);
    expect(coordinator.checkLeases()).toBe(0);
    const requeued = nextEvent(coordinator, 'trial-requeued');
    clock.advance(1);
    expect(coordinator.checkLeases()).toBe(1);
    await expect(requeued).resolves.toMatchObject({ trialId: first.trialId, reason: 'lease-expired' });
    const second = await lease(coordinator, agentId);
    expect(second).toMatchObject({ trialId: first.trialId, attempt: 2, fencingToken: first.fencingToken + 1 });
  });

  it('keeps a lease alive while heartbeats come in time', async () => {
    const { coordinator, clock, agentId } = start();
    await coordinator.submitSweep(tinySweepSpec(), 'src');
    const granted = await lease(coordinator, agentId);
    for (let i = 0; i < 5; i++) {
      clock.advance(600);
      coordinator.heartbeat(granted, []);
      expect(coordinator.checkLeases()).toBe(0);
    }
  });

  it('rejects and counts a late result from an expired lease, keeping the real one', async () => {
    const { coordinator, clock, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec({ grid: { learningRate: [0.1], factor: [0.5], patience: [1] } }), 'src');
    const stale = await lease(coordinator, agentId);
    clock.advance(1_000);
    coordinator.checkLeases();
    const current = await lease(coordinator, agentId);
    coordinator.complete(current, resultFor(current.trialId, 0.2));
    const rejected = nextEvent(coordinator, 'stale-report-rejected');
    expect(() => coordinator.complete(stale, resultFor(stale.trialId, 0.9))).toThrow(StaleLeaseError);
    await expect(rejected).resolves.toMatchObject({ call: 'complete', trialId: stale.trialId, fencingToken: stale.fencingToken });
    expect(coordinator.stats().staleResultsRejected).toBe(1);
    const record = coordinator.snapshot(sweepId).trials[0];
    expect(record?.result?.objective).toBe(0.2);
    expect(record?.attempts.map((attempt) => attempt.ending)).toEqual(['lease-expired', 'succeeded']);
  });

  it('fails a trial for good after maxAttempts, with the reason of each attempt', async () => {
    const { coordinator, clock, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec({ maxAttempts: 2, grid: { learningRate: [0.1], factor: [0.5], patience: [1] } }), 'src');
    const first = await lease(coordinator, agentId);
    expect(coordinator.fail(first, { kind: 'WorkerCrashedError', message: 'exit 137' })).toEqual({ requeued: true });
    await lease(coordinator, agentId);
    const failed = nextEvent(coordinator, 'trial-failed');
    clock.advance(1_000);
    coordinator.checkLeases();
    await expect(failed).resolves.toMatchObject({ reasons: ['failed: WorkerCrashedError: exit 137', 'lease-expired'] });
    expect(coordinator.getSweep(sweepId)).toMatchObject({ state: 'failed', counts: { failed: 1 } });
    await expect(coordinator.poll(agentId, 0)).resolves.toBeNull();
  });

  it('tells a running trial to cancel on its next heartbeat after the sweep is cancelled', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec(), 'src');
    const granted = await lease(coordinator, agentId);
    const summary = coordinator.cancelSweep(sweepId);
    expect(summary).toMatchObject({ state: 'cancelled', counts: { cancelled: 1, running: 1 }, finishedAtMs: null });
    expect(coordinator.heartbeat(granted, [])).toEqual({ kind: 'cancel', reason: 'sweep-cancelled' });
    coordinator.complete(granted, resultFor(granted.trialId, null, { status: 'cancelled', reason: 'sweep-cancelled' }));
    expect(coordinator.getSweep(sweepId)).toMatchObject({ state: 'cancelled', counts: { cancelled: 2 } });
    expect(coordinator.getSweep(sweepId).finishedAtMs).not.toBeNull();
  });

  it('runs a cancelled sweep’s trials again when it is resubmitted', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec(), 'src');
    coordinator.cancelSweep(sweepId);
    expect((await coordinator.submitSweep(tinySweepSpec(), 'src')).resumed).toBe(true);
    expect(coordinator.getSweep(sweepId)).toMatchObject({ state: 'running', counts: { queued: 2 } });
    await expect(coordinator.poll(agentId, 0)).resolves.not.toBeNull();
  });

  it('puts a trial handed back at shutdown on the queue without counting a failure', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec({ maxAttempts: 1 }), 'src');
    const granted = await lease(coordinator, agentId);
    expect(coordinator.complete(granted, resultFor(granted.trialId, null, { status: 'cancelled', reason: 'shutdown' }))).toEqual({ recorded: false });
    expect(coordinator.getSweep(sweepId).counts).toMatchObject({ queued: 2, failed: 0, cancelled: 0 });
    const again = await lease(coordinator, agentId);
    expect(again).toMatchObject({ trialId: granted.trialId, attempt: 2 });
  });

  it('resumes after a restart: queued work is handed out again, old leases are stale', async () => {
    const first = start();
    await first.coordinator.submitSweep(tinySweepSpec(), 'src');
    const old = await lease(first.coordinator, first.agentId);
    first.coordinator.close();
    const second = start(first.clock, first.dataDir);
    expect(() => second.coordinator.heartbeat(old, [])).toThrow(StaleLeaseError);
    const leases = [await lease(second.coordinator, second.agentId), await lease(second.coordinator, second.agentId)];
    const again = leases.find((granted) => granted.trialId === old.trialId);
    expect(again).toMatchObject({ attempt: 2, fencingToken: old.fencingToken + 1 });
  });

  it('releases pending polls with null when it closes, and close is safe twice', async () => {
    const { coordinator, agentId } = start();
    const waiting = coordinator.poll(agentId, 30_000);
    coordinator.close();
    coordinator.close();
    await expect(waiting).resolves.toBeNull();
  });

  it('streams progress until the sweep finishes', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec({ grid: { learningRate: [0.1], factor: [0.5], patience: [1] } }), 'src');
    const seen: string[] = [];
    const watching = (async () => {
      for await (const progress of coordinator.watch(sweepId)) seen.push(`${progress.summary.state}:${progress.summary.counts.succeeded}`);
    })();
    const granted = await lease(coordinator, agentId);
    coordinator.complete(granted, resultFor(granted.trialId, 0.3));
    await watching;
    expect(seen[0]).toBe('running:0');
    expect(seen.at(-1)).toBe('succeeded:1');
  });

  it('expires a silent lease on its own timer', async () => {
    const coordinator = new Coordinator({ dataDir: tempDataDir(), leaseTimeoutMs: 100, expiryCheckIntervalMs: 20 });
    running.push(coordinator);
    const { agentId } = coordinator.registerAgent({ hostname: 'test-host', slots: 1, backend: 'cpu', version: '0.1.0' });
    await coordinator.submitSweep(tinySweepSpec(), 'src');
    const expired = nextEvent(coordinator, 'lease-expired');
    const granted = await lease(coordinator, agentId);
    await expect(expired).resolves.toMatchObject({ trialId: granted.trialId, fencingToken: granted.fencingToken });
  });

  it('names an unknown sweep in its error', () => {
    const { coordinator } = start();
    expect(() => coordinator.getSweep('nope')).toThrow(UnknownSweepError);
  });
});
