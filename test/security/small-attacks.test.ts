// Red team (issue 19, item 6): the smaller holes. Unauthenticated health watches are capped,
// a metrics server off loopback is announced, impossible numbers in a result are refused, and
// /metrics forgets a sweep once it ends. Real gRPC and HTTP over loopback.
import { credentials, status, type ClientReadableStream } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { CoordinatorTelemetry } from '../../coordinator/coordinator-telemetry.js';
import { MAX_HEALTH_WATCHERS } from '../../coordinator/grpc-health.js';
import { startCoordinatorServer, type RunningCoordinator } from '../../coordinator/grpc-server.js';
import { HealthClient, type HealthCheckResponse } from '../../gen/grpc/health/v1/health.js';
import { startMetricsEndpoint } from '../../cli/metrics-options.js';
import { createStreamLogger } from '../../src/log/logger.js';
import type { AgentChannel } from '../../src/rpc/agent-channel.js';
import { createGrpcAgentChannel } from '../../src/rpc/grpc-agent-channel.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import type { SweepClient } from '../../src/rpc/sweep-client.js';
import { epoch, resultFor } from '../coordinator/fixtures.js';
import { samplesOf } from '../metrics/exposition.js';
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
  readonly telemetry: CoordinatorTelemetry;
}

async function start(): Promise<Harness> {
  const dataDir = tempDir();
  // Ended sweeps' series go at the next scrape (the default keeps them 5 minutes for scrapers to see).
  const telemetry = await CoordinatorTelemetry.start({ host: '127.0.0.1', port: 0, dataDir, refreshIntervalMs: 0, endedSweepSeriesMs: 0 });
  cleanups.push(() => telemetry.close());
  const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir, maxPollWaitMs: 50, shutdownGraceMs: 500 });
  cleanups.push(() => server.close());
  telemetry.attach(server);
  const client = createGrpcSweepClient(server.address);
  cleanups.push(() => client.close());
  const agent = createGrpcAgentChannel(server.address);
  cleanups.push(() => agent.close());
  return { server, client, agent, telemetry };
}

/** A watch that resolves with its first answer: a status (SERVING…) or the code it ended with. */
function openWatch(client: HealthClient): { readonly stream: ClientReadableStream<HealthCheckResponse>; readonly first: Promise<'answered' | number> } {
  const stream = client.watch({ service: '' });
  const first = new Promise<'answered' | number>((resolve) => {
    stream.once('data', () => resolve('answered'));
    stream.on('error', (error: { code: number }) => resolve(error.code));
  });
  return { stream, first };
}

describe('unauthenticated health watches', () => {
  it(`ends the watch past ${MAX_HEALTH_WATCHERS} with RESOURCE_EXHAUSTED, and takes a new one once one closes`, async () => {
    const { server } = await start();
    const client = new HealthClient(server.address, credentials.createInsecure());
    cleanups.push(() => client.close());
    const watches = Array.from({ length: MAX_HEALTH_WATCHERS }, () => openWatch(client));
    for (const watch of watches) expect(await watch.first).toBe('answered');
    const extra = openWatch(client);
    expect(await extra.first).toBe(status.RESOURCE_EXHAUSTED);
    const closed = watches[0];
    if (closed === undefined) throw new Error('expected a watch');
    closed.stream.on('error', () => undefined);
    closed.stream.cancel();
    // The server hears of the cancel on its own time: retry until it has.
    let again = openWatch(client);
    while ((await again.first) !== 'answered') again = openWatch(client);
    for (const watch of [...watches, again]) {
      watch.stream.on('error', () => undefined);
      watch.stream.cancel();
    }
  });
});

describe('a metrics server off loopback', () => {
  it('logs a warning naming the host', async () => {
    const lines: string[] = [];
    const logger = createStreamLogger({ format: 'json', level: 'info', write: (line) => lines.push(line) });
    // The start function stands in for the server: what is under test is the decision to warn.
    await startMetricsEndpoint({ host: '0.0.0.0', port: 0, explicit: true }, logger, async () => 'started');
    const warning = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line['event'] === 'metrics.exposed');
    expect(warning).toMatchObject({ level: 'warn', host: '0.0.0.0' });
  });

  it('stays quiet on loopback', async () => {
    const lines: string[] = [];
    const logger = createStreamLogger({ format: 'json', level: 'info', write: (line) => lines.push(line) });
    await startMetricsEndpoint({ host: '127.0.0.1', port: 0, explicit: true }, logger, async () => 'started');
    expect(lines).toEqual([]);
  });
});

describe('impossible numbers in a result', () => {
  it('refuses a negative wallSeconds', async () => {
    const harness = await start();
    const lease = await leaseOne(harness.client, harness.agent);
    const error = await refusal(harness.agent.complete(lease, { ...resultFor(lease.trialId), wallSeconds: -5 }));
    expect(error.message).toContain('result.wall_seconds: -5');
  });

  it('refuses a negative learning rate in the history', async () => {
    const harness = await start();
    const lease = await leaseOne(harness.client, harness.agent);
    const error = await refusal(harness.agent.complete(lease, { ...resultFor(lease.trialId), history: [epoch(1, 1, -0.01)] }));
    expect(error.message).toContain('epoch.lr: -0.01');
  });

  it('refuses an infinite learning rate in a heartbeat, and keeps the lease', async () => {
    const harness = await start();
    const lease = await leaseOne(harness.client, harness.agent);
    await refusal(harness.agent.heartbeat(lease, [epoch(1, 1, Number.POSITIVE_INFINITY)]));
    expect(await harness.agent.heartbeat(lease, [epoch(1, 1, 0.01)])).toEqual({ kind: 'continue' });
  });
});

describe('/metrics after sweeps end', () => {
  it('has no series labelled with any of 5 finished sweeps, and counts them without the label', async () => {
    const harness = await start();
    const { agentId } = await harness.agent.register({ hostname: 'honest', slots: 1, backend: 'cpu', version: '0' });
    const finished: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { sweepId } = await harness.client.submit(oneConfig(`done-${i}`), `done-${i}`);
      const lease = await harness.agent.poll({ agentId, waitMs: 1_000 });
      if (lease === null) throw new Error('expected a lease');
      await harness.agent.heartbeat(lease, [epoch(1, 1), epoch(2, 0.7)]);
      // While it runs, the sweep has its series.
      const during = await (await fetch(`http://${harness.telemetry.address}/metrics`)).text();
      expect(during).toContain(`sweep="${sweepId}"`);
      await harness.agent.complete(lease, resultFor(lease.trialId));
      finished.push(sweepId);
    }
    const running = await harness.client.submit(oneConfig('still-running'), 'still-running');
    const text = await (await fetch(`http://${harness.telemetry.address}/metrics`)).text();
    const labelled = text.split('\n').filter((line) => finished.some((sweepId) => line.includes(`sweep="${sweepId}"`)));
    expect(labelled).toEqual([]);
    expect(text).toContain(`sweep="${running.sweepId}"`);
    expect(samplesOf(text, 'plateau_sweeps_finished_total').find((sample) => sample.labels['state'] === 'succeeded')?.value).toBe(5);
  });
});
