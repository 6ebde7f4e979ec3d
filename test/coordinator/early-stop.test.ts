// Early stopping decided by the coordinator as epochs arrive, over real loopback gRPC.
import { afterEach, describe, expect, it } from 'vitest';
import { startCoordinatorServer } from '../../coordinator/grpc-server.js';
import type { TrialLease } from '../../src/rpc/agent-channel.js';
import { createGrpcAgentChannel } from '../../src/rpc/grpc-agent-channel.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import { parseResultsDocument } from '../../src/results/parse-results.js';
import { epoch, FakeClock, removeTempDirs, tempDataDir, tinySweepSpec } from './fixtures.js';

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

  it('lets every trial run on when the spec has no earlyStop', async () => {
    const h = await harness();
    await h.client.submit({ ...spec, earlyStop: undefined }, 'src');
    const [a, b, c] = [await h.lease(), await h.lease(), await h.lease()];
    await h.agent.heartbeat(a, [epoch(1, 0.5), epoch(2, 0.4)]);
    await h.agent.heartbeat(b, [epoch(1, 0.6), epoch(2, 0.5)]);
    await expect(h.agent.heartbeat(c, [epoch(1, 0.9), epoch(2, 0.9), epoch(3, 0.9)])).resolves.toEqual({ kind: 'continue' });
  });
});
