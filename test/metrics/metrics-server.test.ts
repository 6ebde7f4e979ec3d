// The /metrics + /healthz HTTP server, and the coordinator's gRPC health service and call
// counting, over real loopback sockets.
import { credentials } from '@grpc/grpc-js';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { CoordinatorTelemetry, grpcCodeName } from '../../coordinator/coordinator-telemetry.js';
import { startCoordinatorServer, type RunningCoordinator } from '../../coordinator/grpc-server.js';
import { HealthCheckResponse_ServingStatus, HealthClient, type HealthCheckResponse } from '../../gen/grpc/health/v1/health.js';
import { MetricsServerBindError, startMetricsServer, type RunningMetricsServer } from '../../src/metrics/metrics-server.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import { removeTempDirs, tempDataDir } from '../coordinator/fixtures.js';
import { sampleValue } from './exposition.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeTempDirs();
});

async function serve(health = { healthy: true }): Promise<{ server: RunningMetricsServer; registry: Registry; state: { healthy: boolean } }> {
  const registry = new Registry();
  new Counter({ name: 'plateau_test_things_total', help: 'Things.', registers: [registry] }).inc(3);
  const state = { ...health };
  const server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry, health: () => ({ healthy: state.healthy, details: { state: state.healthy ? 'serving' : 'draining' } }) });
  cleanups.push(() => server.close());
  return { server, registry, state };
}

function check(client: HealthClient, service = ''): Promise<HealthCheckResponse> {
  return new Promise((resolve, reject) => client.check({ service }, (error, response) => (error === null ? resolve(response) : reject(error))));
}

describe('the metrics server', () => {
  it('serves the registry as Prometheus exposition text on /metrics', async () => {
    const { server, registry } = await serve();
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    expect(sampleValue(await response.text(), 'plateau_test_things_total')).toBe(3);
  });

  it('answers /healthz with 200 while healthy and 503 once not', async () => {
    const { server, state } = await serve();
    const healthz = `http://${server.address}/healthz`;
    expect((await fetch(healthz)).status).toBe(200);
    state.healthy = false;
    const response = await fetch(healthz);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable', state: 'draining' });
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    const { server } = await serve();
    expect((await fetch(`http://${server.address}/other`)).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });

  it('refuses a port that is taken with a typed error naming the address', async () => {
    const { server } = await serve();
    const taken = startMetricsServer({ host: '127.0.0.1', port: server.port, registry: new Registry(), health: () => ({ healthy: true }) });
    await expect(taken).rejects.toBeInstanceOf(MetricsServerBindError);
    await expect(taken).rejects.toMatchObject({ code: 'EADDRINUSE', address: server.address });
  });
});

describe('the coordinator over gRPC', () => {
  async function startCoordinator(): Promise<{ running: RunningCoordinator; telemetry: CoordinatorTelemetry }> {
    const dataDir = tempDataDir();
    const telemetry = await CoordinatorTelemetry.start({ host: '127.0.0.1', port: 0, dataDir, refreshIntervalMs: 0 });
    cleanups.push(() => telemetry.close());
    const running = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir, observeCall: telemetry.observeCall, shutdownGraceMs: 500 });
    cleanups.push(() => running.close());
    telemetry.attach(running);
    return { running, telemetry };
  }

  it('answers the standard health check SERVING while it runs, for the server and each service', async () => {
    const { running } = await startCoordinator();
    const client = new HealthClient(running.address, credentials.createInsecure());
    cleanups.push(() => client.close());
    expect((await check(client)).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await check(client, 'plateau.v1.AgentService')).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    await expect(check(client, 'no.such.Service')).rejects.toMatchObject({ code: 5 });
  });

  it('tells health watchers NOT_SERVING as soon as it starts draining', async () => {
    const { running, telemetry } = await startCoordinator();
    const client = new HealthClient(running.address, credentials.createInsecure());
    cleanups.push(() => client.close());
    const statuses: HealthCheckResponse_ServingStatus[] = [];
    const stream = client.watch({ service: '' });
    const ended = new Promise<void>((resolve) => {
      stream.on('data', (response: HealthCheckResponse) => {
        statuses.push(response.status);
        if (statuses.length === 1) void running.close();
      });
      stream.on('end', () => resolve());
      stream.on('error', () => resolve());
    });
    await ended;
    expect(statuses).toEqual([HealthCheckResponse_ServingStatus.SERVING, HealthCheckResponse_ServingStatus.NOT_SERVING]);
    expect((await fetch(`http://${telemetry.address}/healthz`)).status).toBe(503);
  });

  it('counts gRPC requests by method and status code', async () => {
    const { running, telemetry } = await startCoordinator();
    const client = createGrpcSweepClient(running.address);
    cleanups.push(() => client.close());
    await client.list();
    await expect(client.get('no-such-sweep')).rejects.toThrow();
    const text = await (await fetch(telemetry.url)).text();
    expect(sampleValue(text, 'plateau_grpc_requests_total', { method: 'ListSweeps', code: 'OK' })).toBe(1);
    expect(sampleValue(text, 'plateau_grpc_requests_total', { method: 'GetSweep', code: 'NOT_FOUND' })).toBe(1);
    expect(grpcCodeName(14)).toBe('UNAVAILABLE');
  });

  it('serves default process metrics next to its own', async () => {
    const { telemetry } = await startCoordinator();
    const text = await (await fetch(telemetry.url)).text();
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(sampleValue(text, 'plateau_agents_connected')).toBe(0);
  });
});
