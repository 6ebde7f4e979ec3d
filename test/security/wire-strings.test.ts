// Red team (issue 19, item 3): every string on the wire is bounded when it is decoded, and
// ListSweeps answers a page at a time, so no stored value can make a call exceed its cap.
// Real gRPC over loopback against a real coordinator.
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import * as wire from '../../gen/plateau/v1/coordinator.js';
import { startCoordinatorServer, type RunningCoordinator } from '../../coordinator/grpc-server.js';
import type { AgentChannel } from '../../src/rpc/agent-channel.js';
import { createGrpcAgentChannel } from '../../src/rpc/grpc-agent-channel.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import type { SweepClient } from '../../src/rpc/sweep-client.js';
import { epoch } from '../coordinator/fixtures.js';
import { removeTempDirs, tempDir } from './fixtures.js';
import { leaseOne, oneConfig, refusal } from './red-team.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeTempDirs();
});

interface Harness {
  readonly server: RunningCoordinator;
  readonly client: SweepClient;
  readonly agent: AgentChannel;
}

async function start(): Promise<Harness> {
  const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir: tempDir(), maxPollWaitMs: 50 });
  cleanups.push(() => server.close());
  const client = createGrpcSweepClient(server.address);
  cleanups.push(() => client.close());
  const agent = createGrpcAgentChannel(server.address);
  cleanups.push(() => agent.close());
  return { server, client, agent };
}

/** One raw ListSweeps page. */
function listPage(address: string, request: wire.ListSweepsRequest): Promise<wire.ListSweepsResponse> {
  const raw = new Client(address, credentials.createInsecure());
  cleanups.push(() => raw.close());
  return new Promise((resolve, reject) => {
    raw.makeUnaryRequest(
      '/plateau.v1.SweepService/ListSweeps',
      (value: wire.ListSweepsRequest) => Buffer.from(wire.ListSweepsRequest.encode(value).finish()),
      (bytes: Buffer) => wire.ListSweepsResponse.decode(bytes),
      request,
      new Metadata(),
      (error: ServiceError | null, response?: wire.ListSweepsResponse) => (error === null && response !== undefined ? resolve(response) : reject(error)),
    );
  });
}

describe('bounded strings on the wire', () => {
  it('refuses a 12 MB sweep name, and ListSweeps still answers', async () => {
    const { client } = await start();
    await client.submit(oneConfig('kept'), 'kept');
    const error = await refusal(client.submit(oneConfig('n'.repeat(12 * 1024 * 1024)), 'huge'));
    expect(error.message).toContain('spec_json: 12,583,');
    expect((await client.list()).map((sweep) => sweep.name)).toEqual(['kept']);
  });

  it('refuses a sweep name over 200 characters', async () => {
    const { client } = await start();
    const error = await refusal(client.submit(oneConfig('n'.repeat(201)), 'long'));
    expect(error.message).toContain('a sweep name must be at most 200 characters');
  });

  it('refuses a sweep name with control characters', async () => {
    const { client } = await start();
    const error = await refusal(client.submit(oneConfig('evil\u001b[2Jname'), 'evil'));
    expect(error.message).toContain('control characters');
  });

  it('refuses a 15 MB hostname at registration', async () => {
    const { agent } = await start();
    const error = await refusal(agent.register({ hostname: 'h'.repeat(15 * 1024 * 1024), slots: 1, backend: 'cpu', version: '0' }));
    expect(error.message).toContain('hostname: 15,728,640 characters, over the limit of 255');
  });

  it('refuses a 1 MB lease id', async () => {
    const harness = await start();
    const lease = await leaseOne(harness.client, harness.agent);
    const error = await refusal(harness.agent.heartbeat({ leaseId: 'l'.repeat(1024 * 1024), fencingToken: lease.fencingToken }, []));
    expect(error.message).toContain('lease_id: 1,048,576 characters, over the limit of 128');
  });

  it('refuses a heartbeat whose epoch carries more metrics than the limit', async () => {
    const harness = await start();
    const lease = await leaseOne(harness.client, harness.agent);
    const metrics = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, i]));
    const error = await refusal(harness.agent.heartbeat(lease, [{ ...epoch(1, 0.5), ...metrics }]));
    expect(error.message).toContain('65 metrics, over the limit of 64');
  });

  it('refuses a metric name over the limit', async () => {
    const harness = await start();
    const lease = await leaseOne(harness.client, harness.agent);
    const error = await refusal(harness.agent.heartbeat(lease, [{ ...epoch(1, 0.5), ['k'.repeat(10_000)]: 1 }]));
    expect(error.message).toContain('epoch.metrics key: 10,000 characters, over the limit of 128');
  });

  it('clips a 1 MB error message to 4 KiB and records the failure', async () => {
    const harness = await start();
    const lease = await leaseOne(harness.client, harness.agent);
    await harness.agent.fail(lease, { kind: 'boom', message: 'm'.repeat(1024 * 1024) });
    const ending = harness.server.coordinator
      .snapshot(lease.sweepId)
      .trials.flatMap((trial) => trial.attempts).find((attempt) => attempt.ending?.startsWith('failed: boom') === true)?.ending ?? '';
    expect(ending.length).toBeGreaterThan(4_000);
    expect(ending.length).toBeLessThan(4_200);
  });
});

describe('ListSweeps pages', () => {
  it('returns every sweep across pages, oldest first', async () => {
    const { server, client } = await start();
    const names = Array.from({ length: 130 }, (_, i) => `sweep-${String(i).padStart(3, '0')}`);
    for (const name of names) await client.submit(oneConfig(name), name);
    const first = await listPage(server.address, { pageSize: 50, pageToken: '' });
    expect(first.sweeps).toHaveLength(50);
    expect(first.nextPageToken).not.toBe('');
    const seen: string[] = [];
    let token = '';
    do {
      const page = await listPage(server.address, { pageSize: 50, pageToken: token });
      seen.push(...page.sweeps.map((sweep) => sweep.name));
      token = page.nextPageToken;
    } while (token !== '');
    expect(seen).toEqual(names);
    expect((await client.list()).map((sweep) => sweep.name)).toEqual(names);
  }, 120_000);

  it('refuses a page token it never gave out', async () => {
    const { server } = await start();
    await expect(listPage(server.address, { pageSize: 10, pageToken: '../../etc' })).rejects.toMatchObject({ code: 3 });
  });
});
