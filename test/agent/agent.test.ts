// The agent loop against an in-process channel that records every call, with real worker
// processes training real tiny trials (cpu backend).
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import type { AgentEventMap, AgentEventName } from '../../agent/agent-events.js';
import type { AgentOptions } from '../../agent/agent-options.js';
import { LeaseLostError } from '../../src/rpc/agent-channel.js';
import { CoordinatorUnavailableError, UnregisteredAgentError } from '../../src/rpc/rpc-errors.js';
import type { EpochRecord } from '../../src/trial/types.js';
import { tinyTrial } from './fixtures.js';
import { RecordingChannel } from './recording-channel.js';

const UNAVAILABLE = 14;
const NOT_FOUND = 5;

const agents: Agent[] = [];
function startAgent(channel: RecordingChannel, options: Partial<AgentOptions> = {}): Promise<Agent> {
  const agent = new Agent({
    channel,
    slots: 1,
    backend: 'cpu',
    pollWaitMs: 1_000,
    epochFlushMs: 50,
    reconnect: { baseMs: 10, capMs: 50 },
    hostname: 'test-host',
    ...options,
  });
  agents.push(agent);
  return agent.start().then(() => agent);
}

function nextEvent<K extends AgentEventName>(agent: Agent, event: K, match: (payload: AgentEventMap[K]) => boolean = () => true): Promise<AgentEventMap[K]> {
  return new Promise((resolve) => {
    const off = agent.on(event, (payload) => {
      if (!match(payload)) return;
      off();
      resolve(payload);
    });
  });
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.stop({ drainMs: 0 })));
});

describe('Agent', () => {
  it('registers with its backend and slots, runs a leased trial and completes it with the result', async () => {
    const channel = new RecordingChannel();
    await startAgent(channel);
    const lease = channel.offer(tinyTrial('plain'));
    const completed = await channel.waitForCall('complete');
    expect(channel.callsOf('register')[0]).toMatchObject({ hostname: 'test-host', slots: 1, backend: 'cpu' });
    expect(completed.lease).toEqual({ leaseId: lease.leaseId, fencingToken: lease.fencingToken });
    expect(completed.result).toMatchObject({ trialId: 'plain', outcome: { status: 'succeeded' } });
    expect(completed.result.history).toHaveLength(2);
    expect(channel.callsOf('fail')).toEqual([]);
  });

  it('starts its workers before its channel has come, and registers once it has', async () => {
    const channel = new RecordingChannel();
    let deliver: (value: RecordingChannel) => void = () => undefined;
    const coming = new Promise<RecordingChannel>((resolve) => {
      deliver = resolve;
    });
    const agent = new Agent({ channel: coming, slots: 1, backend: 'cpu', pollWaitMs: 1_000, epochFlushMs: 50, reconnect: { baseMs: 10, capMs: 50 }, hostname: 'test-host' });
    agents.push(agent);
    const started = agent.start();
    expect(agent.workerPids.every((pid) => pid !== null)).toBe(true);
    expect(channel.callsOf('register')).toEqual([]);
    deliver(channel);
    await started;
    channel.offer(tinyTrial('late-channel'));
    const completed = await channel.waitForCall('complete');
    expect(completed.result).toMatchObject({ trialId: 'late-channel', outcome: { status: 'succeeded' } });
  });

  it('runs as many trials at once as it has slots, one per worker process', async () => {
    const channel = new RecordingChannel();
    const agent = await startAgent(channel, { slots: 2 });
    let running = 0;
    let mostAtOnce = 0;
    agent.on('trial-started', () => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
    });
    agent.on('trial-finished', () => {
      running -= 1;
    });
    const pids = new Set(agent.workerPids);
    channel.offer(tinyTrial('left', { epochs: 10 }));
    channel.offer(tinyTrial('right', { epochs: 10 }));
    await channel.waitForCall('complete', (call) => call.result.trialId === 'left');
    await channel.waitForCall('complete', (call) => call.result.trialId === 'right');
    expect(mostAtOnce).toBe(2);
    expect(pids.size).toBe(2);
  });

  it('sends each epoch exactly once, in order, in the heartbeats that follow it', async () => {
    const channel = new RecordingChannel();
    channel.heartbeatIntervalMs = 100;
    await startAgent(channel);
    channel.offer(tinyTrial('beating', { epochs: 25 }));
    const completed = await channel.waitForCall('complete');
    const beaten: EpochRecord[] = channel.callsOf('heartbeat').flatMap((call) => call.epochs);
    expect(beaten.length).toBeGreaterThan(0);
    expect(beaten).toEqual(completed.result.history.slice(0, beaten.length));
  });

  it("reports a crashed worker's trial with fail() and runs the next trial in a restarted worker", async () => {
    const channel = new RecordingChannel();
    const agent = await startAgent(channel);
    const crashed = nextEvent(agent, 'worker-crashed');
    const killOnce = agent.on('trial-epoch', ({ slot }) => {
      killOnce();
      const pid = agent.workerPids[slot];
      if (pid !== null && pid !== undefined) process.kill(pid, 'SIGKILL');
    });
    const doomed = channel.offer(tinyTrial('doomed', { epochs: 500 }));
    expect(await crashed).toMatchObject({ trialId: 'doomed', error: { name: 'WorkerCrashedError', signal: 'SIGKILL' } });
    const failed = await channel.waitForCall('fail');
    expect(failed.lease.leaseId).toBe(doomed.leaseId);
    expect(failed.error.kind).toBe('WorkerCrashedError');

    channel.offer(tinyTrial('survivor'));
    const completed = await channel.waitForCall('complete');
    expect(completed.result).toMatchObject({ trialId: 'survivor', outcome: { status: 'succeeded' } });
  });

  it('cancels a trial when a heartbeat answers cancel, and completes it as cancelled with that reason', async () => {
    const channel = new RecordingChannel();
    channel.heartbeatScript = (_lease, epochs) => (epochs.length > 0 ? { kind: 'cancel', reason: 'sweep-cancelled' } : { kind: 'continue' });
    await startAgent(channel);
    channel.offer(tinyTrial('unwanted', { epochs: 500 }));
    const completed = await channel.waitForCall('complete');
    expect(completed.result.outcome).toEqual({ status: 'cancelled', reason: 'sweep-cancelled' });
    expect(completed.result.history.length).toBeLessThan(500);
  });

  it('stops a trial whose lease was lost and reports nothing for it', async () => {
    const channel = new RecordingChannel();
    channel.heartbeatScript = (lease) => (lease.trialId === 'lost' ? new LeaseLostError(lease.trialId, lease.fencingToken) : { kind: 'continue' });
    const agent = await startAgent(channel);
    const finished = nextEvent(agent, 'trial-finished', ({ trialId }) => trialId === 'lost');
    const lost = channel.offer(tinyTrial('lost', { epochs: 500 }));
    const event = await finished;
    expect(event.report).toEqual({ kind: 'none', why: 'lease-lost' });
    expect(event.result?.outcome).toEqual({ status: 'cancelled', reason: 'lease-lost' });

    channel.offer(tinyTrial('next'));
    await channel.waitForCall('complete');
    const reports = [...channel.callsOf('complete'), ...channel.callsOf('fail')];
    expect(reports.map((call) => call.lease.leaseId)).not.toContain(lost.leaseId);
  });

  it('on stop, cancels running trials after the drain and hands them back as cancelled for shutdown', async () => {
    const channel = new RecordingChannel();
    const agent = await startAgent(channel);
    const started = nextEvent(agent, 'trial-epoch');
    const lease = channel.offer(tinyTrial('interrupted', { epochs: 500 }));
    await started;
    await Promise.all([agent.stop({ drainMs: 0 }), agent.stop({ drainMs: 0 })]);
    const completed = channel.callsOf('complete');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ lease: { leaseId: lease.leaseId }, result: { outcome: { status: 'cancelled', reason: 'shutdown' } } });
    expect(channel.callsOf('fail')).toEqual([]);
    expect(agent.workerPids).toEqual([null]);
  });

  it('on stop, lets a running trial finish within the drain and completes it', async () => {
    const channel = new RecordingChannel();
    const agent = await startAgent(channel);
    const started = nextEvent(agent, 'trial-epoch');
    channel.offer(tinyTrial('finishes', { epochs: 4 }));
    await started;
    await agent.stop({ drainMs: 60_000 });
    expect(channel.callsOf('complete').map((call) => call.result.outcome)).toEqual([{ status: 'succeeded' }]);
    expect(channel.callsOf('fail')).toEqual([]);
  });

  it('retries through network errors and registers again when the coordinator no longer knows it', async () => {
    const channel = new RecordingChannel();
    channel.failNext.register.push(new CoordinatorUnavailableError('RegisterAgent', UNAVAILABLE, 'connection refused'));
    channel.failNext.poll.push(new UnregisteredAgentError('PollTrial', NOT_FOUND, 'unknown agent agent-1'));
    channel.failNext.complete.push(new CoordinatorUnavailableError('CompleteTrial', UNAVAILABLE, 'connection reset'));
    const agent = await startAgent(channel);
    const lost: string[] = [];
    agent.on('connection-lost', ({ operation }) => lost.push(operation));
    channel.offer(tinyTrial('resilient'));
    await channel.waitForCall('complete', (call) => call.result.trialId === 'resilient');
    await nextEvent(agent, 'trial-finished');
    expect(channel.callsOf('register')).toHaveLength(3);
    expect(channel.callsOf('poll').map((call) => call.agentId).slice(0, 2)).toEqual(['agent-1', 'agent-2']);
    expect(channel.callsOf('complete')).toHaveLength(2);
    expect(lost).toContain('report');
  });
});
