// The agent's metrics binding, events in → exposition text out, on the agent's own typed
// event bus (the same class the Agent emits on).
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AgentMetricsBinding, trainingSamplesPerEpoch, unregisteredAgent, type AgentMetricsSource } from '../../agent/agent-metrics.js';
import { AgentEvents } from '../../agent/agent-events.js';
import { WorkerCrashedError } from '../../agent/worker-errors.js';
import { silentLogger } from '../../src/log/logger.js';
import { AgentMetrics } from '../../src/metrics/agent-metrics.js';
import type { TrialLease } from '../../src/rpc/agent-channel.js';
import type { TrialResult } from '../../src/trial/types.js';
import { tinyTrial } from '../agent/fixtures.js';
import { sampleValue } from './exposition.js';

class FakeAgent implements AgentMetricsSource {
  readonly events = new AgentEvents(silentLogger);
  readonly running = new Set<string>();
  constructor(readonly slots: number) {}
  on: AgentMetricsSource['on'] = (event, listener) => this.events.on(event, listener);
  get runningTrialIds(): readonly string[] {
    return [...this.running];
  }
}

function setUp(slots = 2) {
  const agent = new FakeAgent(slots);
  const registry = new Registry();
  const clock = { ms: 0 };
  const binding = new AgentMetricsBinding(agent, new AgentMetrics(registry), { now: () => clock.ms, version: '9.9.9' });
  return { agent, registry, clock, binding };
}

function leaseOf(trialId: string, samples = 256): TrialLease {
  return { leaseId: `lease-${trialId}`, fencingToken: 1, sweepId: 'sweep', trialId, attempt: 1, heartbeatTimeoutMs: 30_000, reportEveryEpoch: false, trial: tinyTrial(trialId, { samples }) };
}

const succeeded = (trialId: string): TrialResult => ({
  trialId,
  outcome: { status: 'succeeded' },
  history: [],
  lrReductions: [],
  objective: 0.1,
  wallSeconds: 1,
  backend: 'cpu',
  seed: 1,
});

describe('agent metrics', () => {
  it('labels its series with the id the coordinator gave the agent, and says which backend it runs', async () => {
    const { agent, registry } = setUp();
    agent.events.emit('registered', { agentId: 'gpu-box-1234', backend: 'cpu', heartbeatIntervalMs: 1_000 });
    const text = await registry.metrics();
    expect(sampleValue(text, 'plateau_agent_info', { agent: 'gpu-box-1234', backend: 'cpu', version: '9.9.9' })).toBe(1);
    expect(sampleValue(text, 'plateau_agent_slots', { agent: 'gpu-box-1234', state: 'free' })).toBe(2);
    expect(sampleValue(text, 'plateau_agent_slots', { agent: unregisteredAgent, state: 'free' })).toBeUndefined();
  });

  it('counts epochs, training samples and epoch durations per agent', async () => {
    const { agent, registry, clock } = setUp();
    agent.events.emit('registered', { agentId: 'a1', backend: 'cpu', heartbeatIntervalMs: 1_000 });
    agent.events.emit('trial-started', { slot: 0, lease: leaseOf('t1', 400) });
    clock.ms += 2_000;
    agent.events.emit('trial-epoch', { slot: 0, trialId: 't1', record: { epoch: 1, loss: 1, val_loss: 1, lr: 0.01 } });
    clock.ms += 1_000;
    agent.events.emit('trial-epoch', { slot: 0, trialId: 't1', record: { epoch: 2, loss: 1, val_loss: 1, lr: 0.01 } });
    const text = await registry.metrics();
    expect(sampleValue(text, 'plateau_agent_epochs_total', { agent: 'a1' })).toBe(2);
    // 400 samples with validationSplit 0.25 → 300 training samples per epoch.
    expect(sampleValue(text, 'plateau_agent_samples_total', { agent: 'a1' })).toBe(600);
    expect(sampleValue(text, 'plateau_agent_epoch_duration_seconds_sum', { agent: 'a1' })).toBe(3);
    expect(sampleValue(text, 'plateau_agent_epoch_duration_seconds_count', { agent: 'a1' })).toBe(2);
  });

  it('shows busy and free slots as trials start and finish', async () => {
    const { agent, registry, binding } = setUp(2);
    agent.events.emit('registered', { agentId: 'a1', backend: 'cpu', heartbeatIntervalMs: 1_000 });
    agent.running.add('t1');
    agent.events.emit('trial-started', { slot: 0, lease: leaseOf('t1') });
    let text = await registry.metrics();
    expect(sampleValue(text, 'plateau_agent_slots', { agent: 'a1', state: 'busy' })).toBe(1);
    expect(sampleValue(text, 'plateau_agent_slots', { agent: 'a1', state: 'free' })).toBe(1);
    agent.running.delete('t1');
    agent.events.emit('trial-finished', { slot: 0, trialId: 't1', result: succeeded('t1'), report: { kind: 'completed', recorded: true } });
    binding.refresh();
    text = await registry.metrics();
    expect(sampleValue(text, 'plateau_agent_slots', { agent: 'a1', state: 'busy' })).toBe(0);
    expect(sampleValue(text, 'plateau_agent_trials_finished_total', { agent: 'a1', status: 'succeeded' })).toBe(1);
  });

  it('counts worker crashes, lost leases and failed coordinator calls', async () => {
    const { agent, registry } = setUp();
    agent.events.emit('registered', { agentId: 'a1', backend: 'cpu', heartbeatIntervalMs: 1_000 });
    agent.events.emit('worker-crashed', { slot: 0, trialId: 't1', error: new WorkerCrashedError('t1', null, 'SIGKILL') });
    agent.events.emit('trial-finished', { slot: 0, trialId: 't1', result: null, report: { kind: 'failed', requeued: true } });
    agent.events.emit('lease-lost', { slot: 1, trialId: 't2' });
    agent.events.emit('connection-lost', { operation: 'poll', error: new Error('unavailable'), retryInMs: 100 });
    const text = await registry.metrics();
    expect(sampleValue(text, 'plateau_agent_worker_crashes_total', { agent: 'a1' })).toBe(1);
    expect(sampleValue(text, 'plateau_agent_trials_finished_total', { agent: 'a1', status: 'no-result' })).toBe(1);
    expect(sampleValue(text, 'plateau_agent_lease_losses_total', { agent: 'a1' })).toBe(1);
    expect(sampleValue(text, 'plateau_agent_reconnects_total', { agent: 'a1', operation: 'poll' })).toBe(1);
    expect(sampleValue(text, 'plateau_agent_reconnects_total', { agent: 'a1', operation: 'report' })).toBe(0);
  });

  it('counts the bundle parts an idle slot took over, from 0', async () => {
    const { agent, registry } = setUp();
    agent.events.emit('registered', { agentId: 'a1', backend: 'wasm', heartbeatIntervalMs: 1_000 });
    expect(sampleValue(await registry.metrics(), 'plateau_agent_bundle_parts_moved_total', { agent: 'a1' })).toBe(0);
    agent.events.emit('bundle-part-taken', { slot: 1, fromSlot: 0, trialIds: ['t1', 't2'], epochsDone: 4, batchesDone: 17 });
    expect(sampleValue(await registry.metrics(), 'plateau_agent_bundle_parts_moved_total', { agent: 'a1' })).toBe(1);
  });

  it('answers unhealthy once the agent drains or stops', () => {
    const { agent, binding } = setUp();
    expect(binding.health().healthy).toBe(true);
    binding.markStopping();
    expect(binding.health()).toMatchObject({ healthy: false, details: { state: 'stopping' } });
    agent.events.emit('stopped', {});
    expect(binding.health()).toMatchObject({ healthy: false, details: { state: 'stopped' } });
  });

  it('knows the samples per epoch of built-in datasets only', () => {
    expect(trainingSamplesPerEpoch({ kind: 'two-spirals', samples: 1000, noise: 0.1, seed: 1, validationSplit: 0.2 })).toBe(800);
    expect(trainingSamplesPerEpoch({ kind: 'csv', train: { kind: 'local', path: '/a.csv' }, validation: { kind: 'local', path: '/b.csv' }, target: 'y', standardize: false })).toBeNull();
  });
});
