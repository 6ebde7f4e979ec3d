// The agent with fused bundles: a poll that hands out several leases trains them as one fused
// model in the slot's worker, and each member keeps its own lease, heartbeat and report.
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { LeaseLostError } from '../../src/rpc/agent-channel.js';
import type { TrialSpec } from '../../src/trial/types.js';
import { tinyTrial } from './fixtures.js';
import { RecordingChannel } from './recording-channel.js';
import { recordingLogger } from './recording-logger.js';

const agents: Agent[] = [];
async function startAgent(channel: RecordingChannel, fuse = 8): Promise<Agent> {
  const agent = new Agent({ channel, slots: 1, backend: 'cpu', pollWaitMs: 1_000, epochFlushMs: 50, reconnect: { baseMs: 10, capMs: 50 }, hostname: 'test-host', fuse });
  agents.push(agent);
  await agent.start();
  return agent;
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.stop({ drainMs: 0 })));
});

function member(id: string, learningRate: number, epochs = 3, samples?: number): TrialSpec {
  const trial = tinyTrial(id, { epochs, ...(samples === undefined ? {} : { samples }) });
  return { ...trial, config: { ...trial.config, learningRate } };
}

describe('Agent with fused bundles', () => {
  it('trains a bundle in one worker and completes every member with its own lease and history', async () => {
    const channel = new RecordingChannel({ bundles: true });
    const leases = [member('a', 0.001), member('b', 0.01), member('c', 0.1)].map((trial) => channel.offer(trial));
    const agent = await startAgent(channel);
    const started: string[] = [];
    agent.on('trial-started', ({ lease }) => started.push(lease.trialId));
    const pid = agent.workerPids[0];
    const completed = await Promise.all(leases.map((lease) => channel.waitForCall('complete', (call) => call.lease.leaseId === lease.leaseId)));
    expect(channel.callsOf('poll')[0]?.maxBundle).toBe(8);
    for (const [index, call] of completed.entries()) {
      const lease = leases[index];
      expect(call.lease).toEqual({ leaseId: lease?.leaseId, fencingToken: lease?.fencingToken });
      expect(call.result).toMatchObject({ trialId: lease?.trialId, outcome: { status: 'succeeded' } });
      expect(call.result.history.map((record) => record.epoch)).toEqual([1, 2, 3]);
      expect(call.result.history[0]?.lr).toBeCloseTo(lease?.trial.config.learningRate ?? Number.NaN, 6);
      // The member's own heartbeats carried only its own epochs, in order, none twice. Epochs still
      // buffered when the bundle ends travel in the result instead (as for a single trial, agent.test.ts).
      const beats = channel.callsOf('heartbeat').filter((beat) => beat.lease.leaseId === lease?.leaseId);
      const beaten = beats.flatMap((beat) => beat.epochs);
      expect(beaten).toEqual(call.result.history.slice(0, beaten.length));
    }
    expect(agent.workerPids[0]).toBe(pid);
    expect(channel.callsOf('fail')).toEqual([]);
  });

  it('reports a member cancelled alone as cancelled while the others complete', async () => {
    const channel = new RecordingChannel({ bundles: true });
    channel.heartbeatScript = (lease, epochs) => (lease.trialId === 'pruned' && epochs.length > 0 ? { kind: 'cancel', reason: 'pruned' } : { kind: 'continue' });
    const leases = [member('kept', 0.01, 20, 2048), member('pruned', 0.1, 20, 2048)].map((trial) => channel.offer(trial));
    await startAgent(channel);
    const [kept, pruned] = await Promise.all(leases.map((lease) => channel.waitForCall('complete', (call) => call.lease.leaseId === lease.leaseId)));
    expect(kept?.result).toMatchObject({ trialId: 'kept', outcome: { status: 'succeeded' } });
    expect(kept?.result.history).toHaveLength(20);
    expect(pruned?.result).toMatchObject({ trialId: 'pruned', outcome: { status: 'cancelled', reason: 'pruned' } });
    expect(pruned?.result.history.length).toBeLessThan(20);
  });

  it('does not report a member whose lease was lost, and completes the others', async () => {
    const channel = new RecordingChannel({ bundles: true });
    channel.heartbeatScript = (lease) => (lease.trialId === 'lost' ? new LeaseLostError(lease.trialId, lease.fencingToken) : { kind: 'continue' });
    const [owned, lost] = [member('owned', 0.01, 4), member('lost', 0.1, 4)].map((trial) => channel.offer(trial));
    const agent = await startAgent(channel);
    const lostFinished = new Promise((resolve) => agent.on('trial-finished', (event) => event.trialId === 'lost' && resolve(event)));
    const completed = await channel.waitForCall('complete', (call) => call.lease.leaseId === owned?.leaseId);
    expect(completed.result.outcome).toEqual({ status: 'succeeded' });
    await expect(lostFinished).resolves.toMatchObject({ report: { kind: 'none', why: 'lease-lost' } });
    expect(channel.callsOf('complete').filter((call) => call.lease.leaseId === lost?.leaseId)).toEqual([]);
  });

  it('fails every member when the bundle’s worker crashes', async () => {
    const channel = new RecordingChannel({ bundles: true });
    const leases = [member('left', 0.01, 500, 2048), member('right', 0.1, 500, 2048)].map((trial) => channel.offer(trial));
    const agent = await startAgent(channel);
    await new Promise((resolve) => agent.on('trial-epoch', resolve));
    const pid = agent.workerPids[0];
    if (pid === null || pid === undefined) throw new Error('no worker');
    process.kill(pid, 'SIGKILL');
    const failed = await Promise.all(leases.map((lease) => channel.waitForCall('fail', (call) => call.lease.leaseId === lease.leaseId)));
    for (const call of failed) expect(call.error.kind).toBe('WorkerCrashedError');
    expect(channel.callsOf('complete')).toEqual([]);
  });

  it('gives its workers its fused memory budget: a bundle beyond it trains in chunks', async () => {
    const channel = new RecordingChannel({ bundles: true });
    // 4 → 512 → 1, adam, batch 32: about 246 KB a member, so four fit in 1 MiB and six take two chunks.
    const wide = (id: string, learningRate: number): TrialSpec => {
      const trial = member(id, learningRate, 1);
      return { ...trial, workload: { ...trial.workload, model: { kind: 'layers', layers: [{ kind: 'dense', units: 512, activation: 'relu' }, { kind: 'dense', units: 1, activation: 'linear' }] } } };
    };
    const leases = [0.001, 0.002, 0.003, 0.004, 0.005, 0.006].map((rate, i) => channel.offer(wide(`m${i}`, rate)));
    const { logger, waitFor } = recordingLogger();
    const agent = new Agent({ channel, slots: 1, backend: 'cpu', pollWaitMs: 1_000, epochFlushMs: 50, reconnect: { baseMs: 10, capMs: 50 }, hostname: 'test-host', fuse: 8, fuseMemoryMb: 1, logger });
    agents.push(agent);
    await agent.start();
    const chunks = await waitFor('fused.chunks');
    expect(chunks.fields).toMatchObject({ members: 6, chunks: 2, capacity: 4 });
    const completed = await Promise.all(leases.map((lease) => channel.waitForCall('complete', (call) => call.lease.leaseId === lease.leaseId)));
    expect(completed.map((call) => call.result.outcome.status)).toEqual(Array(6).fill('succeeded'));
  });

  it('polls one trial at a time with --fuse 1', async () => {
    const channel = new RecordingChannel({ bundles: true });
    channel.offer(member('one', 0.01, 1));
    channel.offer(member('two', 0.1, 1));
    await startAgent(channel, 1);
    await channel.waitForCall('complete', (call) => call.result.trialId === 'two');
    expect(channel.callsOf('poll').every((call) => call.maxBundle === 1)).toBe(true);
  });
});
