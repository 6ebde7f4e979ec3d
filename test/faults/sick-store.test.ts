// A sick disk under the coordinator's store: the disk really fills (a small tmpfs written to
// its last byte, so SQLite meets the kernel's ENOSPC and answers SQLITE_FULL — the same code
// path as a full production disk) and is freed again. The store must say it cannot write,
// refuse writes as retryable, report NOT_SERVING, and come back without a restart, losing
// nothing it acknowledged.
import { credentials, status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Agent } from '../../agent/agent.js';
import { Coordinator } from '../../coordinator/coordinator.js';
import { CoordinatorTelemetry } from '../../coordinator/coordinator-telemetry.js';
import { startCoordinatorServer, type RunningCoordinator } from '../../coordinator/grpc-server.js';
import type { StoreHealth } from '../../coordinator/store-health.js';
import { storeFileName, StoreUnavailableError, SweepStore } from '../../coordinator/sweep-store.js';
import { HealthCheckResponse_ServingStatus, HealthClient, type HealthCheckResponse } from '../../gen/grpc/health/v1/health.js';
import { createGrpcAgentChannel } from '../../src/rpc/grpc-agent-channel.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import { CoordinatorUnavailableError } from '../../src/rpc/rpc-errors.js';
import { expandGrid } from '../../src/spec/grid.js';
import { recordingLogger } from '../agent/recording-logger.js';
import { FakeClock, nextEvent, resultFor, tinySweepSpec } from '../coordinator/fixtures.js';
import type { AgentEventMap } from '../../agent/agent-events.js';
import { mountSmallDisk, smallDiskRefusal, unmountSmallDisks, type SmallDisk } from '../support/small-disk.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  unmountSmallDisks();
});

const probeFast = { initialMs: 10, maxMs: 100 };
const oneConfig = tinySweepSpec({ grid: { learningRate: [0.1], factor: [0.5], patience: [1] } });

function healthChange(store: SweepStore, state: StoreHealth['state']): Promise<StoreHealth> {
  return new Promise((resolve) => {
    const off = store.onHealthChange((health) => {
      if (health.state !== state) return;
      off();
      resolve(health);
    });
  });
}

function check(client: HealthClient): Promise<HealthCheckResponse> {
  return new Promise((resolve, reject) => client.check({ service: '' }, (error, response) => (error === null ? resolve(response) : reject(error))));
}

function storeHealthEvent(coordinator: Coordinator, state: StoreHealth['state']): Promise<unknown> {
  return nextEvent(coordinator, 'store-health-changed', ({ health }) => health.state === state);
}

describe.skipIf(smallDiskRefusal !== undefined)('a store on a disk that fills up (real tmpfs, SQLITE_FULL)', () => {
  function storeOnSmallDisk(commitMode: 'each-call' | 'per-turn'): { disk: SmallDisk; store: SweepStore } {
    const disk = mountSmallDisk();
    const store = SweepStore.open(join(disk.dir, 'data'), 1_000, { commitMode, writeProbe: probeFast });
    cleanups.push(() => store.close());
    return { disk, store };
  }

  it('turns unwritable when a write meets a full disk, and healthy again once space is freed, without a restart', async () => {
    const { disk, store } = storeOnSmallDisk('each-call');
    const trials = expandGrid(oneConfig);
    store.createSweep({ sweepId: 's1', spec: oneConfig, specSource: '', trials, nowMs: 1_000 });
    disk.fill();
    const second = { sweepId: 's2', spec: oneConfig, specSource: 'x'.repeat(20_000), trials, nowMs: 2_000 };
    expect(() => store.createSweep(second)).toThrow(StoreUnavailableError);
    expect(store.health).toMatchObject({ state: 'unwritable', code: 'SQLITE_FULL' });
    // Refused at once while unwritable: no write reaches SQLite until a probe has got through.
    expect(() => store.registerAgent({ agentId: 'a', hostname: 'h', slots: 1, backend: 'cpu', version: '0' }, 2_000)).toThrow(StoreUnavailableError);
    const healthy = healthChange(store, 'healthy');
    disk.free();
    await healthy;
    store.createSweep(second);
    expect(store.getSweep('s2')?.totalTrials).toBe(1);
  });

  it('commits the writes of a per-turn batch that failed on a full disk once space is freed, result included', async () => {
    const { disk, store } = storeOnSmallDisk('per-turn');
    const trials = expandGrid(oneConfig);
    const trialId = trials[0]?.id ?? '';
    const ref = { sweepId: 's1', trialId };
    store.createSweep({ sweepId: 's1', spec: oneConfig, specSource: '', trials, nowMs: 1_000 });
    store.leaseTrial(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
    await store.durable();
    disk.fill();
    // The call answers (the batch commits at the end of the turn); the result is not durable, so nobody is told it is recorded.
    store.recordResult(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', result: resultFor(trialId), nowMs: 3_000 });
    await expect(store.durable()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.health.state).toBe('unwritable');
    const healthy = healthChange(store, 'healthy');
    disk.free();
    await healthy;
    await store.durable();
    // Read back through another connection: on disk, not only in this one's view.
    const reader = new Database(join(disk.dir, 'data', storeFileName), { readonly: true });
    try {
      expect(reader.prepare(`SELECT lease_id, status FROM results WHERE sweep_id = 's1'`).all()).toEqual([{ lease_id: 'L1', status: 'succeeded' }]);
    } finally {
      reader.close();
    }
  });
});

describe.skipIf(smallDiskRefusal !== undefined)('a coordinator whose disk fills up (real tmpfs, SQLITE_FULL)', () => {
  async function serveOnSmallDisk(): Promise<{ disk: SmallDisk; running: RunningCoordinator; telemetry: CoordinatorTelemetry }> {
    const disk = mountSmallDisk();
    const dataDir = join(disk.dir, 'data');
    const telemetry = await CoordinatorTelemetry.start({ host: '127.0.0.1', port: 0, dataDir, refreshIntervalMs: 0 });
    cleanups.push(() => telemetry.close());
    const running = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir, shutdownGraceMs: 500 });
    cleanups.push(() => running.close());
    telemetry.attach(running);
    return { disk, running, telemetry };
  }

  it('answers a write RPC UNAVAILABLE (retryable), not INTERNAL, while the disk is full', async () => {
    const { disk, running } = await serveOnSmallDisk();
    const agent = createGrpcAgentChannel(running.address);
    cleanups.push(() => agent.close());
    disk.fill();
    const refused = agent.register({ hostname: 'h'.repeat(255), slots: 1, backend: 'cpu', version: '0.1.0' });
    await expect(refused).rejects.toBeInstanceOf(CoordinatorUnavailableError);
    await expect(refused).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  it('reports NOT_SERVING on grpc.health.v1 (Check and Watch) and 503 on /healthz with the reason while the disk is full, SERVING and 200 once it frees', async () => {
    const { disk, running, telemetry } = await serveOnSmallDisk();
    const health = new HealthClient(running.address, credentials.createInsecure());
    const client = createGrpcSweepClient(running.address);
    cleanups.push(() => health.close(), () => client.close());
    const healthz = `http://${telemetry.address}/healthz`;
    expect((await check(health)).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const watched: HealthCheckResponse_ServingStatus[] = [];
    const watch = health.watch({ service: '' });
    cleanups.push(() => watch.cancel());
    const watchedThree = new Promise<void>((resolve) =>
      watch.on('data', (response: HealthCheckResponse) => {
        watched.push(response.status);
        if (watched.length === 3) resolve();
      }),
    );
    watch.on('error', () => undefined);
    disk.fill();
    await expect(client.submit(oneConfig, 'x'.repeat(20_000))).rejects.toBeInstanceOf(CoordinatorUnavailableError);
    expect((await check(health)).status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    const sick = await fetch(healthz);
    expect(sick.status).toBe(503);
    expect(await sick.json()).toMatchObject({ status: 'unavailable', state: 'store-unwritable', store: { code: 'SQLITE_FULL' } });
    const recovered = storeHealthEvent(running.coordinator, 'healthy');
    disk.free();
    await recovered;
    expect((await check(health)).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await fetch(healthz)).status).toBe(200);
    await watchedThree;
    expect(watched).toEqual([HealthCheckResponse_ServingStatus.SERVING, HealthCheckResponse_ServingStatus.NOT_SERVING, HealthCheckResponse_ServingStatus.SERVING]);
    expect((await client.submit(oneConfig, 'x')).totalTrials).toBe(1);
  });

  it('logs and counts lease.expired once for a lease whose expiry the full disk cannot record, and requeues its trial once it frees', async () => {
    const disk = mountSmallDisk();
    const clock = new FakeClock();
    const log = recordingLogger();
    const coordinator = new Coordinator({ dataDir: join(disk.dir, 'data'), clock: clock.now, leaseTimeoutMs: 1_000, expiryCheckIntervalMs: 0, logger: log.logger });
    cleanups.push(() => coordinator.close());
    const expiredEvents: unknown[] = [];
    coordinator.events.on('lease-expired', (payload) => expiredEvents.push(payload));
    const { sweepId } = await coordinator.submitSweep(oneConfig, '');
    const { agentId } = coordinator.registerAgent({ hostname: 'h', slots: 1, backend: 'cpu', version: '0' });
    expect(await coordinator.poll(agentId, 0)).not.toBeNull();
    // The grant commits at the end of its event-loop turn; fill the disk after that.
    await new Promise<void>((resolve) => setImmediate(resolve));
    disk.fill();
    clock.advance(2_000);
    for (let check = 0; check < 3; check += 1) coordinator.checkLeases();
    expect(coordinator.storeHealth.state).toBe('unwritable');
    const requeued = nextEvent(coordinator, 'trial-requeued');
    disk.free();
    await requeued;
    coordinator.checkLeases();
    expect(log.lines.filter((line) => line.event === 'lease.expired')).toHaveLength(1);
    expect(expiredEvents).toHaveLength(1);
    expect(coordinator.getSweep(sweepId).counts.queued).toBe(1);
  });

  it('records exactly once, after the disk frees, the result a real agent produced while it was full', async () => {
    const { disk, running } = await serveOnSmallDisk();
    // Full from the moment the lease is on disk (its batch commits at the end of the grant's turn).
    const offLeased = running.coordinator.events.on('trial-leased', () => {
      offLeased();
      setImmediate(() => disk.fill());
    });
    const channel = createGrpcAgentChannel(running.address);
    const client = createGrpcSweepClient(running.address);
    cleanups.push(() => channel.close(), () => client.close());
    const agent = new Agent({ channel, slots: 1, backend: 'cpu', pollWaitMs: 1_000, epochFlushMs: 50, reconnect: { baseMs: 10, capMs: 100 }, hostname: 'test-host' });
    cleanups.push(() => agent.stop({ drainMs: 0 }));
    const reportRefused = new Promise<AgentEventMap['connection-lost']>((resolve) => {
      const off = agent.on('connection-lost', (payload) => {
        if (payload.operation !== 'report') return;
        off();
        resolve(payload);
      });
    });
    const finished = new Promise<AgentEventMap['trial-finished']>((resolve) => agent.on('trial-finished', resolve));
    await agent.start();
    const { sweepId } = await client.submit(oneConfig, '');
    expect((await reportRefused).error).toMatchObject({ code: status.UNAVAILABLE });
    expect(running.coordinator.storeHealth.state).toBe('unwritable');
    disk.free();
    const { report } = await finished;
    // Delivered (`recorded` says whether this try or an earlier one, refused while full, wrote it).
    expect(report.kind).toBe('completed');
    const snapshot = running.coordinator.snapshot(sweepId);
    expect(snapshot.finishedAtMs).not.toBeNull();
    expect(snapshot.trials).toHaveLength(1);
    expect(snapshot.trials[0]?.state).toBe('succeeded');
    // The result produced during the outage, not a rerun: one attempt, recorded by it.
    expect(snapshot.trials[0]?.attempts).toHaveLength(1);
    expect(snapshot.trials[0]?.result?.history).toHaveLength(oneConfig.workload.epochs);
  });
});
