// With --checkpoint-every, an agent whose worker dies mid-trial resumes the requeued trial
// from its last checkpoint in the new worker, and the recorded result equals an
// uninterrupted run's.
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { startCoordinatorServer } from '../../coordinator/grpc-server.js';
import { createGrpcAgentChannel } from '../../src/rpc/grpc-agent-channel.js';
import { expandGrid } from '../../src/spec/grid.js';
import { runTrial } from '../../src/train/trial-runner.js';
import { removeTempDirs, tempDataDir, tinySweepSpec } from '../coordinator/fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeTempDirs();
});

describe('an agent with checkpoints every 2 epochs', () => {
  it('resumes a trial whose worker was killed mid-run from its last checkpoint, to the uninterrupted result', async () => {
    const spec = tinySweepSpec({
      workload: { ...tinySweepSpec().workload, optimizer: 'adam', epochs: 8, dataset: { kind: 'synthetic-regression', samples: 256, features: 4, noise: 0.1, seed: 3, validationSplit: 0.25 } },
      grid: { learningRate: [0.05], factor: [0.5], patience: [1] },
      maxAttempts: 3,
    });
    const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir: tempDataDir(), leaseTimeoutMs: 60_000, watchThrottleMs: 0 });
    cleanups.push(() => server.close());
    const channel = createGrpcAgentChannel(server.address);
    const agent = new Agent({ channel, backend: 'cpu', slots: 1, pollWaitMs: 1_000, epochFlushMs: 10, checkpoint: { dir: tempDataDir(), everyEpochs: 2 } });
    cleanups.push(() => channel.close(), () => agent.stop({ drainMs: 0 }));
    await agent.start();

    const epochsSeen: number[] = [];
    let killed = false;
    agent.on('trial-epoch', ({ record }) => {
      epochsSeen.push(record.epoch);
      if (record.epoch === 5 && !killed) {
        killed = true;
        const pid = agent.workerPids[0];
        if (pid !== null && pid !== undefined) process.kill(pid, 'SIGKILL');
      }
    });
    const { sweepId } = await server.coordinator.submitSweep(spec, 'checkpoints');
    for await (const progress of server.coordinator.watch(sweepId)) if (progress.summary.finishedAtMs !== null) break;

    const [trial] = server.coordinator.snapshot(sweepId).trials;
    expect(killed).toBe(true);
    expect(trial?.attempts).toHaveLength(2);
    expect(trial?.attempts[0]?.ending).toMatch(/^failed: WorkerCrashedError/);
    // The second attempt trained only what the checkpoint did not hold: it starts after an
    // even epoch the first attempt reached (4, or 6 if the worker got that far before the kill).
    const drop = epochsSeen.findIndex((epoch, i) => i > 0 && epoch <= (epochsSeen[i - 1] ?? 0));
    const [first, second] = [epochsSeen.slice(0, drop), epochsSeen.slice(drop)];
    const resumedAfter = (second[0] ?? 0) - 1;
    expect(resumedAfter % 2).toBe(0);
    expect(resumedAfter).toBeGreaterThanOrEqual(4);
    expect(resumedAfter).toBeLessThanOrEqual(Math.max(...first));
    expect(second.at(-1)).toBe(8);
    const [trialSpec] = expandGrid(spec);
    if (trialSpec === undefined) throw new Error('no trial');
    const uninterrupted = await runTrial(trialSpec, { backend: 'cpu' });
    expect(trial?.result?.history).toEqual(uninterrupted.history);
    expect(trial?.result?.objective).toBe(uninterrupted.objective);
  });
});
