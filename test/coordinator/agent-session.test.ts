// AgentSession: the lease calls multiplexed on one stream, over real loopback gRPC. What the
// unary calls promise is checked for both transports in grpc.test.ts; these are the stream's own.
import { credentials, status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentServiceClient, type CoordinatorFrame } from '../../gen/plateau/v1/coordinator.js';
import { startCoordinatorServer, type RunningCoordinator } from '../../coordinator/grpc-server.js';
import type { AgentChannel } from '../../src/rpc/agent-channel.js';
import { createGrpcAgentChannel } from '../../src/rpc/grpc-agent-channel.js';
import { CoordinatorUnavailableError } from '../../src/rpc/rpc-errors.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import { nextEvent, removeTempDirs, resultFor, tempDataDir, tinySweepSpec } from './fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeTempDirs();
});

const oneConfig = (): SweepSpec => tinySweepSpec({ grid: { learningRate: [0.1], factor: [0.5], patience: [1] } });

async function serve(options: { readonly dataDir?: string; readonly port?: number; readonly shutdownGraceMs?: number; readonly calls?: string[] } = {}): Promise<RunningCoordinator> {
  const server = await startCoordinatorServer({
    host: '127.0.0.1',
    port: options.port ?? 0,
    dataDir: options.dataDir ?? tempDataDir(),
    expiryCheckIntervalMs: 0,
    shutdownGraceMs: options.shutdownGraceMs ?? 5_000,
    ...(options.calls === undefined ? {} : { observeCall: (method: string, code: status) => options.calls?.push(`${method} ${status[code]}`) }),
  });
  cleanups.push(() => server.close());
  return server;
}

async function agentOn(server: RunningCoordinator): Promise<{ readonly channel: AgentChannel; readonly agentId: string }> {
  const channel = createGrpcAgentChannel(server.address, { transport: 'session' });
  cleanups.push(() => channel.close());
  const { agentId } = await channel.register({ hostname: 'test-host', slots: 2, backend: 'cpu', version: '0.1.0' });
  return { channel, agentId };
}

describe('AgentSession', () => {
  it('answers a result while a poll on the same session is still waiting', async () => {
    const server = await serve();
    const { channel, agentId } = await agentOn(server);
    await server.coordinator.submitSweep(oneConfig(), '');
    const lease = await channel.poll({ agentId, waitMs: 0 });
    if (lease === null) throw new Error('expected a lease');
    const pollWaiting = nextEvent(server.coordinator, 'poll-waiting');
    const waiting = channel.poll({ agentId, waitMs: 30_000 });
    await pollWaiting;
    await expect(channel.complete(lease, resultFor(lease.trialId, 0.25))).resolves.toEqual({ recorded: true });
    await server.coordinator.submitSweep(tinySweepSpec({ name: 'second', grid: { learningRate: [0.2], factor: [0.5], patience: [1] } }), '');
    await expect(waiting).resolves.toMatchObject({ attempt: 1 });
  });

  it('withdraws a poll whose caller gave up, so the next trial goes to the next poll', async () => {
    const server = await serve();
    const { channel, agentId } = await agentOn(server);
    const giveUp = new AbortController();
    const pollWaiting = nextEvent(server.coordinator, 'poll-waiting');
    const abandoned = channel.poll({ agentId, waitMs: 30_000 }, giveUp.signal).catch((error: unknown) => error);
    await pollWaiting;
    giveUp.abort();
    await abandoned;
    const secondWaiting = nextEvent(server.coordinator, 'poll-waiting');
    const next = channel.poll({ agentId, waitMs: 30_000 });
    await secondWaiting;
    const { sweepId } = await server.coordinator.submitSweep(oneConfig(), '');
    await expect(next).resolves.toMatchObject({ sweepId, attempt: 1 });
  });

  it('counts each call on the stream under its method, as the unary calls are counted', async () => {
    const calls: string[] = [];
    const server = await serve({ calls });
    const { channel, agentId } = await agentOn(server);
    await server.coordinator.submitSweep(oneConfig(), '');
    const lease = await channel.poll({ agentId, waitMs: 0 });
    if (lease === null) throw new Error('expected a lease');
    await channel.heartbeat(lease, []);
    await channel.complete(lease, resultFor(lease.trialId));
    await channel.heartbeat(lease, []).catch(() => undefined);
    expect(calls).toEqual(['RegisterAgent OK', 'PollTrial OK', 'Heartbeat OK', 'CompleteTrial OK', 'Heartbeat FAILED_PRECONDITION']);
  });

  it('answers a frame that carries no call with INVALID_ARGUMENT under its call id', async () => {
    const server = await serve();
    const client = new AgentServiceClient(server.address, credentials.createInsecure());
    cleanups.push(() => client.close());
    const stream = client.agentSession();
    const answered = new Promise<CoordinatorFrame>((resolve) => stream.once('data', resolve));
    stream.write({ callId: 7 });
    const frame = await answered;
    stream.end();
    expect(frame.callId).toBe(7);
    expect(frame.answer).toMatchObject({ $case: 'error', value: { code: status.INVALID_ARGUMENT } });
  });

  it('lets the server close at once when the agent closed its channel', async () => {
    // A session left open would hold the shutdown for its whole grace (a minute here).
    const server = await serve({ shutdownGraceMs: 60_000 });
    const { channel, agentId } = await agentOn(server);
    await channel.poll({ agentId, waitMs: 0 });
    channel.close();
    await server.close();
  }, 10_000);

  it('fails calls on a session the coordinator ended, and opens a new one for the next call after a restart', async () => {
    const dataDir = tempDataDir();
    const first = await serve({ dataDir });
    const { channel, agentId } = await agentOn(first);
    await expect(channel.poll({ agentId, waitMs: 0 })).resolves.toBeNull();
    await first.close();
    await expect(channel.poll({ agentId, waitMs: 0 })).rejects.toBeInstanceOf(CoordinatorUnavailableError);
    const second = await serve({ dataDir, port: first.port });
    const { sweepId } = await second.coordinator.submitSweep(oneConfig(), '');
    // As the agent does: retry while the channel reconnects (grpc-js backs off after a refused connection).
    let lease = null;
    for (let attempt = 0; lease === null && attempt < 100; attempt++) {
      lease = await channel.poll({ agentId, waitMs: 0 }).catch(async (error: unknown) => {
        if (!(error instanceof CoordinatorUnavailableError)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return null;
      });
    }
    expect(lease).toMatchObject({ sweepId });
  }, 15_000);
});
