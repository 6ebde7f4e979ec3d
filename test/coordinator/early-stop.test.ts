// Early stopping decided by the coordinator as epochs arrive, over real loopback gRPC (last: a real
// fused agent whose worker drops the pruned member from its bundle).
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import type { TrialReport } from '../../agent/agent-events.js';
import { startCoordinatorServer } from '../../coordinator/grpc-server.js';
import type { TrialLease } from '../../src/rpc/agent-channel.js';
import { createGrpcAgentChannel } from '../../src/rpc/grpc-agent-channel.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import { parseResultsDocument } from '../../src/results/parse-results.js';
import { runFusedTrials } from '../../src/train/fused/fused-runner.js';
import type { TrialSpec } from '../../src/trial/types.js';
import { recordingLogger } from '../agent/recording-logger.js';
import { epoch, FakeClock, removeTempDirs, resultFor, tempDataDir, tinySweepSpec } from './fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeTempDirs();
});

async function harness() {
  const clock = new FakeClock();
  const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir: tempDataDir(), leaseTimeoutMs: 1_000, clock: clock.now, expiryCheckIntervalMs: 0, watchThrottleMs: 0 });
  cleanups.push(() => server.close());
  const agent = createGrpcAgentChannel(server.address, { transport: 'session' });
  const client = createGrpcSweepClient(server.address);
  cleanups.push(() => agent.close(), () => client.close());
  const { agentId } = await agent.register({ hostname: 'test-host', slots: 3, backend: 'cpu', version: '0.1.0' });
  const lease = async (): Promise<TrialLease> => {
    const granted = await agent.poll({ agentId, waitMs: 0 });
    if (granted === null) throw new Error('expected a lease');
    return granted;
  };
  return { server, clock, agent, client, agentId, lease };
}

/** Three configs, 6 epochs; median rule from epoch 2 once 2 others have reached it, the guard off. */
const spec = tinySweepSpec({
  workload: { ...tinySweepSpec().workload, epochs: 6 },
  grid: { learningRate: [0.01, 0.03, 0.1], factor: [0.5], patience: [1] },
  earlyStop: { rule: 'median', gracePeriod: 2, minTrials: 2, reductionFactor: 3, plateauGuard: false, rankStopped: 'below' },
});

describe('early stopping in the coordinator', () => {
  it('stops a trial worse than the median, records it once as pruned with its stop, and never requeues it', async () => {
    const h = await harness();
    const { sweepId } = await h.client.submit(spec, 'src');
    const [a, b, c] = [await h.lease(), await h.lease(), await h.lease()];
    if (a === undefined || b === undefined || c === undefined) throw new Error('expected three leases');
    await expect(h.agent.heartbeat(a, [epoch(1, 0.5), epoch(2, 0.4), epoch(3, 0.3)])).resolves.toEqual({ kind: 'continue' });
    await expect(h.agent.heartbeat(b, [epoch(1, 0.6), epoch(2, 0.5)])).resolves.toEqual({ kind: 'continue' });
    // At epoch 2: c's best 0.9 against the median of 0.4 and 0.5.
    await expect(h.agent.heartbeat(c, [epoch(1, 0.9), epoch(2, 0.9), epoch(3, 0.9)])).resolves.toEqual({ kind: 'cancel', reason: 'pruned' });

    const stored = h.server.coordinator.snapshot(sweepId).trials.find((trial) => trial.spec.id === c.trialId);
    expect(stored?.state).toBe('pruned');
    expect(stored?.result?.outcome).toEqual({ status: 'pruned', stop: { epoch: 2, rule: 'median', value: 0.9, threshold: 0.45 } });
    expect(stored?.result?.history.map((record) => record.epoch)).toEqual([1, 2]);
    expect(stored?.result?.objective).toBe(0.9);

    // The agent's own report of the cancelled trial comes too late and is not recorded twice.
    const late = { trialId: c.trialId, outcome: { status: 'cancelled', reason: 'pruned' } as const, history: [epoch(1, 0.9)], lrReductions: [], objective: null, wallSeconds: 1, backend: 'cpu' as const, seed: 7 };
    await expect(h.agent.complete(c, late)).resolves.toEqual({ recorded: false });

    // Every lease expires: the other two go back to the queue, the stopped one never does.
    h.clock.advance(1_000);
    h.server.coordinator.checkLeases();
    const again = [await h.lease(), await h.lease()].map((granted) => granted.trialId).sort();
    expect(again).toEqual([a.trialId, b.trialId].sort());
    await expect(h.agent.poll({ agentId: h.agentId, waitMs: 0 })).resolves.toBeNull();

    const results = parseResultsDocument(await h.client.results(sweepId));
    expect(results.trials.find((trial) => trial.id === c.trialId)).toMatchObject({ status: 'pruned', stop: { epoch: 2, rule: 'median', value: 0.9, threshold: 0.45 } });
    expect(await h.client.get(sweepId)).toMatchObject({ counts: { pruned: 1 } });
  });

  it('stops a trial that reported first once later reports put it above the median, and answers its next heartbeat cancel (pruned)', async () => {
    const h = await harness();
    const { sweepId } = await h.client.submit(spec, 'src');
    const [a, b, c] = [await h.lease(), await h.lease(), await h.lease()];
    if (a === undefined || b === undefined || c === undefined) throw new Error('expected three leases');
    // c reaches epoch 2 first: nobody to compare with yet.
    await expect(h.agent.heartbeat(c, [epoch(1, 0.9), epoch(2, 0.9)])).resolves.toEqual({ kind: 'continue' });
    await expect(h.agent.heartbeat(a, [epoch(1, 0.5), epoch(2, 0.4)])).resolves.toEqual({ kind: 'continue' });
    // b's epoch 2 makes two others at epoch 2: c (0.9) is worse than their median 0.45.
    await expect(h.agent.heartbeat(b, [epoch(1, 0.6), epoch(2, 0.5)])).resolves.toEqual({ kind: 'continue' });
    const stored = h.server.coordinator.snapshot(sweepId).trials.find((trial) => trial.spec.id === c.trialId);
    expect(stored?.state).toBe('pruned');
    expect(stored?.result?.outcome).toEqual({ status: 'pruned', stop: { epoch: 2, rule: 'median', value: 0.9, threshold: 0.45 } });
    // c's agent has trained on meanwhile: its next beat is told why, and its epoch 3 is not kept.
    await expect(h.agent.heartbeat(c, [epoch(3, 0.8)])).resolves.toEqual({ kind: 'cancel', reason: 'pruned' });
    const after = h.server.coordinator.snapshot(sweepId).trials.find((trial) => trial.spec.id === c.trialId);
    expect(after?.result?.history.map((record) => record.epoch)).toEqual([1, 2]);
  });

  it('judges against the trials recorded before a coordinator restart', async () => {
    const dataDir = tempDataDir();
    const start = async () => {
      const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir, leaseTimeoutMs: 60_000, expiryCheckIntervalMs: 0, watchThrottleMs: 0 });
      const agent = createGrpcAgentChannel(server.address, { transport: 'session' });
      const client = createGrpcSweepClient(server.address);
      const { agentId } = await agent.register({ hostname: 'test-host', slots: 3, backend: 'cpu', version: '0.1.0' });
      const lease = async (): Promise<TrialLease> => {
        const granted = await agent.poll({ agentId, waitMs: 0 });
        if (granted === null) throw new Error('expected a lease');
        return granted;
      };
      const close = async (): Promise<void> => {
        agent.close();
        client.close();
        await server.close();
      };
      return { agent, client, lease, close };
    };
    const finished = (trialId: string, values: readonly number[]) => ({
      ...resultFor(trialId, values.at(-1) ?? null),
      history: values.map((value, index) => epoch(index + 1, value)),
    });
    const before = await start();
    await before.client.submit(spec, 'src');
    const [a, b] = [await before.lease(), await before.lease()];
    if (a === undefined || b === undefined) throw new Error('expected two leases');
    await before.agent.complete(a, finished(a.trialId, [0.5, 0.4, 0.3, 0.3, 0.3, 0.3]));
    await before.agent.complete(b, finished(b.trialId, [0.6, 0.5, 0.4, 0.4, 0.4, 0.4]));
    await before.close();

    const after = await start();
    cleanups.push(() => after.close());
    const c = await after.lease();
    // Epoch 2: 0.9 against the median of a's 0.4 and b's 0.5, both recorded before the restart.
    await expect(after.agent.heartbeat(c, [epoch(1, 0.9), epoch(2, 0.9)])).resolves.toEqual({ kind: 'cancel', reason: 'pruned' });
  });

  it('leases the trials of an early-stopping sweep as reporting every epoch, and no others', async () => {
    const h = await harness();
    await h.client.submit(spec, 'src');
    expect((await h.lease()).reportEveryEpoch).toBe(true);
    const plain = await harness();
    await plain.client.submit({ ...spec, earlyStop: undefined }, 'src');
    expect((await plain.lease()).reportEveryEpoch).toBe(false);
  });

  it('lets every trial run on when the spec has no earlyStop', async () => {
    const h = await harness();
    await h.client.submit({ ...spec, earlyStop: undefined }, 'src');
    const [a, b, c] = [await h.lease(), await h.lease(), await h.lease()];
    await h.agent.heartbeat(a, [epoch(1, 0.5), epoch(2, 0.4)]);
    await h.agent.heartbeat(b, [epoch(1, 0.6), epoch(2, 0.5)]);
    await expect(h.agent.heartbeat(c, [epoch(1, 0.9), epoch(2, 0.9), epoch(3, 0.9)])).resolves.toEqual({ kind: 'continue' });
  });
});

describe('early stopping a member of a fused bundle', () => {
  it('drops the pruned member from the agent’s bundle at once, records it pruned once, and the others train on bit for bit', async () => {
    const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir: tempDataDir(), leaseTimeoutMs: 60_000, watchThrottleMs: 0 });
    cleanups.push(() => server.close());
    const epochs = 60;
    // lr 0.0001 barely learns; 60 epochs outlast its stop. The first config is a reference trial reported by hand.
    const fused = tinySweepSpec({
      workload: { ...tinySweepSpec().workload, epochs, dataset: { kind: 'synthetic-regression', samples: 1_024, features: 2, noise: 0.1, seed: 1, validationSplit: 0.25 } },
      grid: { learningRate: [0.05, 0.1, 0.03, 0.0001], factor: [0.5], patience: [5] },
      earlyStop: { rule: 'median', gracePeriod: 2, minTrials: 1, reductionFactor: 3, plateauGuard: false, rankStopped: 'below' },
    });
    const { sweepId } = await server.coordinator.submitSweep(fused, 'fused-prune');

    // The reference has every epoch in before the bundle starts, so the median rule judges the bundle's
    // members at epoch 2 whatever order their heartbeats come in: val_loss 1.0, between the learners (~0.25) and lr 0.0001 (~2.5).
    const manual = createGrpcAgentChannel(server.address, { transport: 'session' });
    cleanups.push(() => manual.close());
    const { agentId } = await manual.register({ hostname: 'reference', slots: 1, backend: 'cpu', version: '0.1.0' });
    const reference = await manual.poll({ agentId, waitMs: 0 });
    if (reference === null || reference.trial.config.learningRate !== 0.05) throw new Error('expected the reference trial first');
    const history = Array.from({ length: epochs }, (_, e) => epoch(e + 1, 1.0));
    await manual.complete(reference, { trialId: reference.trialId, outcome: { status: 'succeeded' }, history, lrReductions: [], objective: 1.0, wallSeconds: 1, backend: 'cpu', seed: reference.trial.seed });

    const channel = createGrpcAgentChannel(server.address);
    const { logger, waitFor, lines: recorded } = recordingLogger();
    const agent = new Agent({ channel, backend: 'cpu', slots: 1, fuse: 3, pollWaitMs: 1_000, epochFlushMs: 20, logger });
    cleanups.push(() => channel.close(), () => agent.stop({ drainMs: 0 }));
    const finished = new Map<string, Promise<TrialReport>>();
    const reportOf = (trialId: string): Promise<TrialReport> => {
      const known = finished.get(trialId);
      if (known !== undefined) return known;
      const waiting = new Promise<TrialReport>((resolve) => agent.on('trial-finished', (event) => event.trialId === trialId && resolve(event.report)));
      finished.set(trialId, waiting);
      return waiting;
    };
    const trials = server.coordinator.snapshot(sweepId).trials;
    const slow = trials.find((trial) => trial.spec.config.learningRate === 0.0001);
    if (slow === undefined) throw new Error('no lr 0.0001 trial');
    const slowReport = reportOf(slow.spec.id);
    await agent.start();
    for await (const progress of server.coordinator.watch(sweepId)) if (progress.summary.finishedAtMs !== null) break;

    const ended = server.coordinator.snapshot(sweepId).trials;
    const bundled = ended.filter((trial) => trial.spec.id !== reference.trialId);
    const pruned = ended.find((trial) => trial.spec.id === slow.spec.id);
    const kept = bundled.filter((trial) => trial !== pruned);
    expect(pruned?.state).toBe('pruned');
    expect(pruned?.result?.outcome).toMatchObject({ status: 'pruned', stop: { epoch: 2, rule: 'median' } });
    // Never requeued: one attempt; the agent's own late report of the cancelled member is not recorded again
    // (or not made: the coordinator may have ended its lease with the stop).
    expect(pruned?.attempts).toHaveLength(1);
    expect([{ kind: 'completed', recorded: false }, { kind: 'none', why: 'lease-lost' }]).toContainEqual(await slowReport);
    expect(kept.map((trial) => trial.state)).toEqual(['succeeded', 'succeeded']);

    // The worker dropped it from its bundle: fewer physical-member batches than the bundle's members' worth.
    const started = await waitFor('bundle.started', (fields) => Array.isArray(fields['trials']) && fields['trials'].includes(slow.spec.id));
    const startedTrials: unknown = started.fields['trials'];
    const bundleIds = Array.isArray(startedTrials) ? startedTrials.filter((id): id is string => typeof id === 'string') : [];
    expect(bundleIds.length).toBeGreaterThanOrEqual(2);
    const stopped = await waitFor('fused.members-stopped');
    expect(stopped.fields['trials']).toEqual([slow.spec.id]);
    const trained = recorded.slice(recorded.indexOf(stopped)).find((line) => line.event === 'fused.trained');
    const batchesPerEpoch = Math.ceil((1_024 * 0.75) / 16);
    const unstoppedWork = bundleIds.length * epochs * batchesPerEpoch;
    // At most the epoch it was told in and the next (the tfjs engine on cpu frees its physical member at the epoch's end).
    expect(Number(trained?.fields['memberBatches'])).toBeLessThanOrEqual(unstoppedWork - (epochs - Number(stopped.fields['epoch']) - 1) * batchesPerEpoch);

    // Its bundle's others report what the same bundle trained without the stop reports, bit for bit.
    const bundleSpecs = bundleIds.map((id) => ended.find((trial) => trial.spec.id === id)?.spec).filter((spec): spec is TrialSpec => spec !== undefined);
    const unstopped = await runFusedTrials(bundleSpecs, { backend: 'cpu' });
    for (const id of bundleIds.filter((id) => id !== slow.spec.id)) {
      expect(ended.find((trial) => trial.spec.id === id)?.result?.history).toEqual(unstopped.find((result) => result.trialId === id)?.history);
    }
  });
});
