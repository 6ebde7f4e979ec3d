// Red team (issue 19, item 2): big requests must not stall the coordinator, and a stall must
// not cost an honest agent its lease. Real gRPC over loopback against a real coordinator.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_TRIALS_PER_SWEEP, startCoordinatorServer, type RunningCoordinator } from '../../coordinator/grpc-server.js';
import type { AgentChannel, TrialLease } from '../../src/rpc/agent-channel.js';
import { createGrpcAgentChannel } from '../../src/rpc/grpc-agent-channel.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import type { SweepClient } from '../../src/rpc/sweep-client.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import { epoch, tinySweepSpec } from '../coordinator/fixtures.js';
import { removeTempDirs, tempDir } from './fixtures.js';
import { leaseOne, refusal } from './red-team.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeTempDirs();
});

/** A grid of `rates` × 100 factors × 10 patiences (1,000 configs per learning rate). */
function bigSweep(name: string, rates: number): SweepSpec {
  return tinySweepSpec({
    name,
    grid: {
      learningRate: Array.from({ length: rates }, (_, i) => (i + 1) / 1e4),
      factor: Array.from({ length: 100 }, (_, i) => (i + 1) / 101),
      patience: Array.from({ length: 10 }, (_, i) => i),
    },
  });
}

interface Harness {
  readonly server: RunningCoordinator;
  readonly client: SweepClient;
  readonly agent: AgentChannel;
  readonly lease: TrialLease;
}

async function start(options: { leaseTimeoutMs: number; maxTrialsPerSweep?: number }): Promise<Harness> {
  const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir: tempDir(), maxPollWaitMs: 50, ...options });
  cleanups.push(() => server.close());
  // A 300,000-trial submit answers once it is all written: seconds on a busy machine.
  const client = createGrpcSweepClient(server.address, { callTimeoutMs: 240_000 });
  cleanups.push(() => client.close());
  const agent = createGrpcAgentChannel(server.address);
  cleanups.push(() => agent.close());
  return { server, client, agent, lease: await leaseOne(client, agent, 'small') };
}

describe('big requests against a live lease', () => {
  it(
    'keeps an honest agent\'s lease through a 300,000-trial submit',
    async () => {
      const { server, client, agent, lease } = await start({ leaseTimeoutMs: 3_000, maxTrialsPerSweep: 300_000 });
      const expired: string[] = [];
      server.coordinator.events.on('lease-expired', (event) => expired.push(event.leaseId));
      // The honest agent beats at a tenth of the timeout while the submit runs.
      let beats = 0;
      let beating = true;
      const heartbeats = (async () => {
        while (beating) {
          await agent.heartbeat(lease, [epoch(1, 0.5)]);
          beats += 1;
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
      })();
      const submitting = client.submit(bigSweep('big', 300), 'big');
      const submitted = await submitting.finally(() => {
        beating = false;
      });
      await heartbeats;
      expect(submitted.totalTrials).toBe(300_000);
      expect(expired).toEqual([]);
      expect(beats).toBeGreaterThan(1);
      expect(await agent.heartbeat(lease, [epoch(2, 0.4)])).toEqual({ kind: 'continue' });
      expect((await client.get(submitted.sweepId)).counts.queued).toBe(300_000);
    },
    300_000,
  );

  it('refuses a sweep over the trial cap with a message naming both numbers', async () => {
    const { client } = await start({ leaseTimeoutMs: 60_000 });
    const error = await refusal(client.submit(bigSweep('too-big', 101), 'too-big'));
    expect(error.message).toContain('101,000 trials');
    expect(error.message).toContain(`over the limit of ${DEFAULT_MAX_TRIALS_PER_SWEEP.toLocaleString('en-US')}`);
    expect(error.message).toContain('--max-trials');
  });

  it('refuses a heartbeat with more epochs than the trial has, and stores none of them', async () => {
    const { server, agent, lease } = await start({ leaseTimeoutMs: 60_000 });
    const flood = Array.from({ length: 500_000 }, (_, i) => epoch((i % 3) + 1, 0.5));
    const error = await refusal(agent.heartbeat(lease, flood));
    expect(error.message).toContain('500000 epochs in one heartbeat, but the trial has 3');
    expect(server.coordinator.progress(lease.sweepId).running.map((trial) => trial.epoch)).toEqual([0]);
  });

  it('refuses a heartbeat carrying an epoch beyond the trial\'s epoch count', async () => {
    const { agent, lease } = await start({ leaseTimeoutMs: 60_000 });
    const error = await refusal(agent.heartbeat(lease, [epoch(4, 0.5)]));
    expect(error.message).toContain('epoch 4 in a heartbeat, but the trial has 3 epochs');
    expect(await agent.heartbeat(lease, [epoch(3, 0.5)])).toEqual({ kind: 'continue' });
  });
});
