// The coordinator over real loopback gRPC, through the real adapters agents and the CLI use.
import { afterEach, describe, expect, it } from 'vitest';
import { startCoordinatorServer, type RunningCoordinator } from '../../coordinator/grpc-server.js';
import { LeaseLostError, type AgentChannel, type TrialLease } from '../../src/rpc/agent-channel.js';
import { createGrpcAgentChannel } from '../../src/rpc/grpc-agent-channel.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import { CoordinatorUnavailableError, InvalidRequestError, SweepNotFoundError, UnregisteredAgentError } from '../../src/rpc/rpc-errors.js';
import type { SweepClient } from '../../src/rpc/sweep-client.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import { epoch, FakeClock, nextEvent, removeTempDirs, resultFor, tempDataDir, tinySweepSpec } from './fixtures.js';

interface Harness {
  readonly server: RunningCoordinator;
  readonly clock: FakeClock;
  readonly agent: AgentChannel;
  readonly client: SweepClient;
  readonly agentId: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeTempDirs();
});

const oneConfig = (overrides: Partial<SweepSpec> = {}): SweepSpec => tinySweepSpec({ grid: { learningRate: [0.1], factor: [0.5], patience: [1] }, ...overrides });

async function harnessOver(transport: 'session' | 'unary'): Promise<Harness> {
  const clock = new FakeClock();
  const server = await startCoordinatorServer({
    host: '127.0.0.1',
    port: 0,
    dataDir: tempDataDir(),
    leaseTimeoutMs: 1_000,
    clock: clock.now,
    expiryCheckIntervalMs: 0,
    watchThrottleMs: 0,
  });
  cleanups.push(() => server.close());
  const agent = createGrpcAgentChannel(server.address, { transport });
  const client = createGrpcSweepClient(server.address);
  cleanups.push(() => agent.close(), () => client.close());
  const { agentId } = await agent.register({ hostname: 'test-host', slots: 1, backend: 'cpu', version: '0.1.0' });
  return { server, clock, agent, client, agentId };
}

async function lease(h: Harness): Promise<TrialLease> {
  const granted = await h.agent.poll({ agentId: h.agentId, waitMs: 0 });
  if (granted === null) throw new Error('expected a lease');
  return granted;
}

// Every lease call behaves the same on the AgentSession stream (the agent's default) and as unary calls.
describe.each(['session', 'unary'] as const)('coordinator over loopback gRPC, lease calls as %s', (transport) => {
  const harness = (): Promise<Harness> => harnessOver(transport);

  it('binds an ephemeral port on 127.0.0.1', async () => {
    const { server } = await harness();
    expect(server.port).toBeGreaterThan(0);
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
  });

  it('hands out a fused bundle in one PollTrial, each member with its own lease', async () => {
    const h = await harness();
    await h.client.submit(tinySweepSpec({ grid: { learningRate: [0.01, 0.03, 0.1], factor: [0.5], patience: [1] } }), 'src');
    const bundle = (await h.agent.pollBundle?.({ agentId: h.agentId, waitMs: 0, maxBundle: 8 })) ?? [];
    expect(bundle).toHaveLength(3);
    expect(new Set(bundle.map((granted) => granted.leaseId)).size).toBe(3);
    for (const granted of bundle) await expect(h.agent.complete(granted, resultFor(granted.trialId))).resolves.toEqual({ recorded: true });
    await expect(h.agent.pollBundle?.({ agentId: h.agentId, waitMs: 0, maxBundle: 8 })).resolves.toEqual([]);
  });

  it('runs register → poll → heartbeat → complete and serves the results document', async () => {
    const h = await harness();
    const submitted = await h.client.submit(oneConfig(), 'name: tiny\n');
    expect(submitted).toMatchObject({ resumed: false, totalTrials: 1 });
    const granted = await lease(h);
    expect(granted).toMatchObject({ sweepId: submitted.sweepId, attempt: 1, fencingToken: 1, heartbeatTimeoutMs: 1_000 });
    expect(granted.trial.config).toMatchObject({ learningRate: 0.1, factor: 0.5, patience: 1 });
    await expect(h.agent.heartbeat(granted, [epoch(1, 0.9), { ...epoch(2, 0.8), val_acc: 0.5 }])).resolves.toEqual({ kind: 'continue' });
    await expect(h.agent.complete(granted, resultFor(granted.trialId, 0.25))).resolves.toEqual({ recorded: true });
    const summary = await h.client.get(submitted.sweepId);
    expect(summary).toMatchObject({ state: 'succeeded', totalTrials: 1, counts: { succeeded: 1 }, best: { objective: 0.25, config: granted.trial.config } });
    expect(await h.client.list()).toEqual([summary]);
    const results = await h.client.results(submitted.sweepId);
    expect(results).toMatchObject({ schemaVersion: 1, sweep: { id: submitted.sweepId }, trials: [{ id: granted.trialId, status: 'succeeded', objective: 0.25 }] });
  });

  it('carries NaN and Infinity epochs and a diverged result across the wire', async () => {
    const h = await harness();
    const { sweepId } = await h.client.submit(oneConfig(), '');
    const granted = await lease(h);
    const diverged = {
      ...resultFor(granted.trialId, null, { status: 'diverged', atEpoch: 2 }),
      history: [epoch(1, 1), { epoch: 2, loss: Number.NaN, val_loss: Number.POSITIVE_INFINITY, lr: 0.1 }],
    };
    await h.agent.complete(granted, diverged);
    const stored = h.server.coordinator.snapshot(sweepId).trials[0]?.result;
    expect(stored?.outcome).toEqual({ status: 'diverged', atEpoch: 2 });
    expect(Number.isNaN(stored?.history[1]?.loss)).toBe(true);
    expect(stored?.history[1]?.val_loss).toBe(Number.POSITIVE_INFINITY);
  });

  it('answers a long poll as soon as work is submitted', async () => {
    const h = await harness();
    const pollWaiting = nextEvent(h.server.coordinator, 'poll-waiting');
    const waiting = h.agent.poll({ agentId: h.agentId, waitMs: 30_000 });
    await pollWaiting;
    await h.client.submit(oneConfig(), '');
    await expect(waiting).resolves.toMatchObject({ attempt: 1 });
  });

  it('rejects a stale fencing token with LeaseLostError, counts it, and keeps the real result', async () => {
    const h = await harness();
    const { sweepId } = await h.client.submit(oneConfig(), '');
    const stale = await lease(h);
    h.clock.advance(1_000);
    h.server.coordinator.checkLeases();
    const current = await lease(h);
    expect(current.fencingToken).toBe(stale.fencingToken + 1);
    await h.agent.complete(current, resultFor(current.trialId, 0.2));
    const error = await h.agent.complete(stale, resultFor(stale.trialId, 0.9)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(error).toMatchObject({ trialId: stale.trialId, fencingToken: stale.fencingToken });
    await expect(h.agent.heartbeat(stale, [])).rejects.toBeInstanceOf(LeaseLostError);
    expect(h.server.coordinator.stats()).toMatchObject({ staleResultsRejected: 1, staleHeartbeatsRejected: 1 });
    expect(h.server.coordinator.snapshot(sweepId).trials[0]?.result?.objective).toBe(0.2);
  });

  it('requeues a trial whose lease expired, with the next token', async () => {
    const h = await harness();
    await h.client.submit(oneConfig(), '');
    const first = await lease(h);
    await expect(h.agent.poll({ agentId: h.agentId, waitMs: 0 })).resolves.toBeNull();
    h.clock.advance(1_000);
    expect(h.server.coordinator.checkLeases()).toBe(1);
    await expect(lease(h)).resolves.toMatchObject({ trialId: first.trialId, attempt: 2, fencingToken: 2 });
  });

  it('fails a trial after maxAttempts failed attempts', async () => {
    const h = await harness();
    const { sweepId } = await h.client.submit(oneConfig({ maxAttempts: 2 }), '');
    await expect(h.agent.fail(await lease(h), { kind: 'WorkerCrashedError', message: 'signal SIGKILL' })).resolves.toEqual({ requeued: true });
    await expect(h.agent.fail(await lease(h), { kind: 'WorkerCrashedError', message: 'signal SIGKILL' })).resolves.toEqual({ requeued: false });
    expect(await h.client.get(sweepId)).toMatchObject({ state: 'failed', counts: { failed: 1 } });
    const attempts = h.server.coordinator.snapshot(sweepId).trials[0]?.attempts.map((attempt) => attempt.ending);
    expect(attempts).toEqual(['failed: WorkerCrashedError: signal SIGKILL', 'failed: WorkerCrashedError: signal SIGKILL']);
  });

  it('gives a running trial a cancel directive once its sweep is cancelled', async () => {
    const h = await harness();
    const { sweepId } = await h.client.submit(tinySweepSpec(), '');
    const granted = await lease(h);
    await expect(h.client.cancel(sweepId)).resolves.toMatchObject({ state: 'cancelled', counts: { cancelled: 1, running: 1 } });
    await expect(h.agent.heartbeat(granted, [epoch(1, 0.5)])).resolves.toEqual({ kind: 'cancel', reason: 'sweep-cancelled' });
  });

  it('streams progress to a watcher until the sweep finishes', async () => {
    const h = await harness();
    const { sweepId } = await h.client.submit(oneConfig(), '');
    const states: string[] = [];
    const watching = (async () => {
      for await (const progress of h.client.watch(sweepId)) states.push(`${progress.summary.state}/${progress.running.length}`);
    })();
    const granted = await lease(h);
    await h.agent.heartbeat(granted, [epoch(1, 0.5)]);
    await h.agent.complete(granted, resultFor(granted.trialId, 0.5));
    await watching;
    expect(states[0]).toMatch(/^running\//);
    expect(states.at(-1)).toBe('succeeded/0');
  });

  it('stops a watch when its signal aborts', async () => {
    const h = await harness();
    const { sweepId } = await h.client.submit(oneConfig(), '');
    const abort = new AbortController();
    const seen: number[] = [];
    for await (const progress of h.client.watch(sweepId, abort.signal)) {
      seen.push(progress.summary.counts.queued);
      abort.abort();
    }
    expect(seen).toEqual([1]);
  });

  it('refuses an invalid spec with the spec error', async () => {
    const h = await harness();
    const bad = tinySweepSpec({ grid: { learningRate: [0.1], factor: [1.5], patience: [1] } });
    await expect(h.client.submit(bad, '')).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('answers SweepNotFoundError for an unknown sweep and UnregisteredAgentError for an unknown agent', async () => {
    const h = await harness();
    await expect(h.client.get('no-such-sweep')).rejects.toBeInstanceOf(SweepNotFoundError);
    await expect(h.agent.poll({ agentId: 'stranger', waitMs: 0 })).rejects.toBeInstanceOf(UnregisteredAgentError);
  });

  it('lets go of pending long polls when the server closes', async () => {
    const h = await harness();
    const pollWaiting = nextEvent(h.server.coordinator, 'poll-waiting');
    const waiting = h.agent.poll({ agentId: h.agentId, waitMs: 30_000 }).then(
      (leaseOrNull) => ({ kind: 'answered' as const, leaseOrNull }),
      (error: unknown) => ({ kind: 'rejected' as const, error }),
    );
    await pollWaiting;
    await h.server.close();
    const outcome = await waiting;
    if (outcome.kind === 'answered') expect(outcome.leaseOrNull).toBeNull();
    else expect(outcome.error).toBeInstanceOf(CoordinatorUnavailableError);
    await expect(h.agent.poll({ agentId: h.agentId, waitMs: 0 })).rejects.toBeInstanceOf(CoordinatorUnavailableError);
  }, 15_000);
});

