// Workload errors (no retry can fix them) through the coordinator's domain service and its real
// SQLite store: one failed attempt, the sweep (or the configuration) stopped, the error kept once.
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../coordinator/coordinator.js';
import type { TrialLease } from '../../src/rpc/agent-channel.js';
import { WORKLOAD_ERROR_KIND } from '../../src/trial/workload-error.js';
import { FakeClock, removeTempDirs, resultFor, tempDataDir, tinySweepSpec } from './fixtures.js';

const running: Coordinator[] = [];
afterEach(() => {
  for (const coordinator of running.splice(0)) coordinator.close();
  removeTempDirs();
});

function start(dataDir = tempDataDir(), clock = new FakeClock()): { coordinator: Coordinator; agentId: string; clock: FakeClock } {
  const coordinator = new Coordinator({ dataDir, clock: clock.now, leaseTimeoutMs: 1_000, expiryCheckIntervalMs: 0, watchThrottleMs: 0 });
  running.push(coordinator);
  const { agentId } = coordinator.registerAgent({ hostname: 'test-host', slots: 4, backend: 'cpu', version: '0.1.0' });
  return { coordinator, agentId, clock };
}

async function lease(coordinator: Coordinator, agentId: string): Promise<TrialLease> {
  const granted = await coordinator.poll(agentId, 0);
  if (granted === null) throw new Error('expected a lease');
  return granted;
}

const missingColumn = { kind: WORKLOAD_ERROR_KIND, message: '/data/train.csv:1: the target column "y" is not in the header', scope: 'sweep' } as const;
const fourTrials = { grid: { learningRate: [0.01, 0.1], factor: [0.5], patience: [1, 2] }, maxAttempts: 3 };

describe('a workload error', () => {
  it('fails its trial at the first attempt, with attempts left, and is not requeued', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec(fourTrials), 'src');
    const first = await lease(coordinator, agentId);
    expect(coordinator.fail(first, missingColumn)).toEqual({ requeued: false });
    const record = coordinator.snapshot(sweepId).trials.find((trial) => trial.spec.id === first.trialId);
    expect(record?.state).toBe('failed');
    expect(record?.attempts.map((attempt) => attempt.ending)).toEqual([`failed: workload: ${missingColumn.message}`]);
  });

  it('stops the whole sweep: queued trials are cancelled, none is leased again, the sweep has failed with the error', async () => {
    const { coordinator, agentId, clock } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec(fourTrials), 'src');
    const first = await lease(coordinator, agentId);
    coordinator.fail(first, missingColumn);
    await expect(coordinator.poll(agentId, 0)).resolves.toBeNull();
    const summary = coordinator.getSweep(sweepId);
    expect(summary).toMatchObject({ state: 'failed', counts: { failed: 1, cancelled: 3, queued: 0, running: 0 } });
    expect(summary.finishedAtMs).not.toBeNull();
    expect(summary.error).toEqual({ kind: 'workload', message: missingColumn.message, trialId: first.trialId, scope: 'sweep', atMs: clock.nowMs });
  });

  it('tells the trials still running to cancel with reason workload-error, and records them cancelled', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec(fourTrials), 'src');
    const first = await lease(coordinator, agentId);
    const second = await lease(coordinator, agentId);
    coordinator.fail(first, missingColumn);
    expect(coordinator.getSweep(sweepId)).toMatchObject({ state: 'failed', finishedAtMs: null, counts: { running: 1 } });
    expect(coordinator.heartbeat(second, [])).toEqual({ kind: 'cancel', reason: 'workload-error' });
    coordinator.complete(second, resultFor(second.trialId, null, { status: 'cancelled', reason: 'workload-error' }));
    const summary = coordinator.getSweep(sweepId);
    expect(summary).toMatchObject({ state: 'failed', counts: { failed: 1, cancelled: 3 } });
    expect(summary.finishedAtMs).not.toBeNull();
  });

  it('counts once: a second trial that meets the same error after the stop is cancelled, not failed', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec(fourTrials), 'src');
    const first = await lease(coordinator, agentId);
    const second = await lease(coordinator, agentId);
    coordinator.fail(first, missingColumn);
    coordinator.fail(second, missingColumn);
    const summary = coordinator.getSweep(sweepId);
    expect(summary).toMatchObject({ state: 'failed', counts: { failed: 1, cancelled: 3 } });
    expect(summary.error?.trialId).toBe(first.trialId);
    const endings = coordinator.snapshot(sweepId).trials.flatMap((trial) => trial.attempts.map((attempt) => attempt.ending));
    expect(endings.filter((ending) => ending?.startsWith('failed') === true)).toHaveLength(1);
  });

  it('is handled the same when an agent reports it as a failed result', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec(fourTrials), 'src');
    const first = await lease(coordinator, agentId);
    expect(coordinator.complete(first, resultFor(first.trialId, null, { status: 'failed', error: missingColumn }))).toEqual({ recorded: false });
    expect(coordinator.getSweep(sweepId)).toMatchObject({ state: 'failed', counts: { failed: 1, cancelled: 3 }, error: { trialId: first.trialId } });
  });

  it('of a configuration stops only the trials of that configuration; the others run on', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec({ grid: { learningRate: [0.01, 0.1], factor: [0.5], patience: [1] }, repeats: 2, maxAttempts: 3 }), 'src');
    const first = await lease(coordinator, agentId);
    coordinator.fail(first, { kind: WORKLOAD_ERROR_KIND, message: 'config.batchSize: 512 — more than the 48 training rows', scope: 'config' });
    const trials = coordinator.snapshot(sweepId).trials;
    const sameConfig = trials.filter((trial) => trial.spec.config.learningRate === first.trial.config.learningRate);
    const otherConfig = trials.filter((trial) => trial.spec.config.learningRate !== first.trial.config.learningRate);
    expect(sameConfig.map((trial) => trial.state).sort()).toEqual(['cancelled', 'failed']);
    expect(otherConfig.map((trial) => trial.state)).toEqual(['queued', 'queued']);
    const next = await lease(coordinator, agentId);
    expect(next.trial.config.learningRate).not.toBe(first.trial.config.learningRate);
    expect(coordinator.heartbeat(next, [])).toEqual({ kind: 'continue' });
    expect(coordinator.getSweep(sweepId)).toMatchObject({ state: 'running', error: { scope: 'config', trialId: first.trialId } });
  });

  it('is kept once in the store: a restarted coordinator reports the same sweep error', async () => {
    const dataDir = tempDataDir();
    const { coordinator, agentId } = start(dataDir);
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec(fourTrials), 'src');
    coordinator.fail(await lease(coordinator, agentId), missingColumn);
    const before = coordinator.getSweep(sweepId);
    coordinator.close();
    const { coordinator: restarted } = start(dataDir);
    expect(restarted.getSweep(sweepId)).toEqual(before);
    expect(restarted.snapshot(sweepId).error).toEqual(before.error);
  });

  it('runs the stopped trials again when the sweep is submitted again (its data fixed), and only those', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec(fourTrials), 'src');
    const done = await lease(coordinator, agentId);
    coordinator.complete(done, resultFor(done.trialId, 0.25));
    const crashed = await lease(coordinator, agentId);
    const broken = await lease(coordinator, agentId);
    coordinator.fail(broken, missingColumn);
    coordinator.fail(crashed, { kind: 'WorkerCrashedError', message: 'exit 137' });
    expect(coordinator.getSweep(sweepId)).toMatchObject({ state: 'failed', counts: { succeeded: 1, failed: 1, cancelled: 2 } });
    expect(await coordinator.submitSweep(tinySweepSpec(fourTrials), 'src')).toMatchObject({ resumed: true });
    const summary = coordinator.getSweep(sweepId);
    expect(summary).toMatchObject({ state: 'running', error: null, finishedAtMs: null, counts: { succeeded: 1, queued: 3, failed: 0, cancelled: 0 } });
    const retried = await lease(coordinator, agentId);
    expect(coordinator.heartbeat(retried, [])).toEqual({ kind: 'continue' });
  });

  it('is listed with the other failed trials in the sweep\'s progress, each with its last error', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec({ ...fourTrials, maxAttempts: 1 }), 'src');
    const crashed = await lease(coordinator, agentId);
    coordinator.fail(crashed, { kind: 'WorkerCrashedError', message: 'exit 137' });
    const broken = await lease(coordinator, agentId);
    coordinator.fail(broken, missingColumn);
    const { failures } = coordinator.progress(sweepId);
    expect(failures).toEqual(
      expect.arrayContaining([
        { trialId: crashed.trialId, status: 'failed', error: { kind: 'WorkerCrashedError', message: 'exit 137' } },
        { trialId: broken.trialId, status: 'failed', error: { kind: 'workload', message: missingColumn.message } },
      ]),
    );
    expect(failures).toHaveLength(2);
  });

  it('leaves other sweeps on the coordinator running', async () => {
    const { coordinator, agentId } = start();
    const broken = await coordinator.submitSweep(tinySweepSpec({ ...fourTrials, name: 'broken' }), 'src');
    const healthy = await coordinator.submitSweep(tinySweepSpec({ name: 'healthy' }), 'src');
    coordinator.fail(await lease(coordinator, agentId), missingColumn);
    const next = await lease(coordinator, agentId);
    expect(next.sweepId).toBe(healthy.sweepId);
    expect(coordinator.getSweep(broken.sweepId).state).toBe('failed');
    expect(coordinator.getSweep(healthy.sweepId)).toMatchObject({ state: 'running', error: null });
  });
});
