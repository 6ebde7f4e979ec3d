// A worker that hangs mid-trial is killed by the per-epoch timeout (`--epoch-timeout`); the
// hang becomes a failed attempt with its reason, and the trial is retried and finishes.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { startCoordinatorServer } from '../../coordinator/grpc-server.js';
import { createGrpcAgentChannel } from '../../src/rpc/grpc-agent-channel.js';
import { removeTempDirs, tempDataDir, tinySweepSpec } from '../coordinator/fixtures.js';

const hangOnceWorker = fileURLToPath(new URL('./fixtures/hang-once-worker.mjs', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
/** Generous: the real epochs before and after the hang must never trip it on a loaded machine. */
const EPOCH_TIMEOUT_MS = 10_000;

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  delete process.env['PLATEAU_TEST_HANG_DIR'];
  removeTempDirs();
});

describe('a worker that hangs mid-trial', () => {
  it('is killed after the epoch timeout, and its trial is retried to a result', async () => {
    // The lease would only expire after 60 s: what ends the hang is the agent's own timeout.
    const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir: tempDataDir(), leaseTimeoutMs: 60_000, watchThrottleMs: 0 });
    cleanups.push(() => server.close());
    process.env['PLATEAU_TEST_HANG_DIR'] = tempDataDir();
    const channel = createGrpcAgentChannel(server.address);
    const agent = new Agent({ channel, backend: 'cpu', slots: 1, epochTimeoutMs: EPOCH_TIMEOUT_MS, workerEntryPath: hangOnceWorker, pollWaitMs: 1_000 });
    cleanups.push(() => channel.close(), () => agent.stop({ drainMs: 0 }));
    const crashed = new Promise<string>((resolve) => agent.on('worker-crashed', ({ error }) => resolve(error.name)));
    await agent.start();

    const { sweepId } = await server.coordinator.submitSweep(tinySweepSpec({ grid: { learningRate: [0.1], factor: [0.5], patience: [1] } }), 'hang');
    for await (const progress of server.coordinator.watch(sweepId)) if (progress.summary.finishedAtMs !== null) break;

    expect(await crashed).toBe('WorkerTimeoutError');
    const [trial] = server.coordinator.snapshot(sweepId).trials;
    expect(trial?.state).toBe('succeeded');
    expect(trial?.attempts.map((attempt) => attempt.ending)).toEqual([expect.stringMatching(new RegExp(`^failed: WorkerTimeoutError: .*epoch 2 did not finish within ${EPOCH_TIMEOUT_MS} ms`)), 'succeeded']);
    expect(trial?.result?.history).toHaveLength(3);
  });
});
