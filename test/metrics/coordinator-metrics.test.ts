// The coordinator's metrics binding, events in → exposition text out: a real Coordinator on a
// real SQLite file drives it, and each test reads what a scrape would show.
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../coordinator/coordinator.js';
import { CoordinatorMetricsBinding } from '../../coordinator/coordinator-metrics-binding.js';
import { CoordinatorMetrics } from '../../src/metrics/coordinator-metrics.js';
import type { TrialLease } from '../../src/rpc/agent-channel.js';
import { epoch, FakeClock, removeTempDirs, resultFor, tempDataDir, tinySweepSpec } from '../coordinator/fixtures.js';
import { sampleValue, samplesOf } from './exposition.js';

interface Harness {
  readonly coordinator: Coordinator;
  readonly binding: CoordinatorMetricsBinding;
  readonly registry: Registry;
  readonly clock: FakeClock;
  /** The binding's monotonic clock, moved by hand. */
  readonly monotonic: { ms: number };
  readonly agentId: string;
  scrape(): Promise<string>;
}

const opened: Harness[] = [];
afterEach(() => {
  for (const harness of opened.splice(0)) {
    harness.binding.close();
    harness.coordinator.close();
  }
  removeTempDirs();
});

function start(options: { slots?: number; agentLivenessMs?: number } = {}): Harness {
  const clock = new FakeClock();
  const dataDir = tempDataDir();
  const coordinator = new Coordinator({ dataDir, clock: clock.now, leaseTimeoutMs: 1_000, expiryCheckIntervalMs: 0, watchThrottleMs: 0 });
  const registry = new Registry();
  const monotonic = { ms: 0 };
  const binding = new CoordinatorMetricsBinding(coordinator, new CoordinatorMetrics(registry), {
    dataDir,
    now: () => monotonic.ms,
    refreshIntervalMs: 0,
    ...(options.agentLivenessMs === undefined ? {} : { agentLivenessMs: options.agentLivenessMs }),
  });
  const { agentId } = coordinator.registerAgent({ hostname: 'gpu-box', slots: options.slots ?? 1, backend: 'cpu', version: '0.1.0' });
  const harness: Harness = {
    coordinator,
    binding,
    registry,
    clock,
    monotonic,
    agentId,
    scrape: async () => {
      binding.refresh();
      return registry.metrics();
    },
  };
  opened.push(harness);
  return harness;
}

async function lease(harness: Harness): Promise<TrialLease> {
  const granted = await harness.coordinator.poll(harness.agentId, 0);
  if (granted === null) throw new Error('expected a lease');
  return granted;
}

describe('coordinator metrics', () => {
  it('counts the trials of a sweep by status and by plan', async () => {
    const harness = start();
    const { sweepId } = await harness.coordinator.submitSweep(tinySweepSpec(), 'src');
    await lease(harness);
    const text = await harness.scrape();
    expect(sampleValue(text, 'plateau_sweep_trials', { sweep: sweepId, status: 'queued' })).toBe(1);
    expect(sampleValue(text, 'plateau_sweep_trials', { sweep: sweepId, status: 'running' })).toBe(1);
    expect(sampleValue(text, 'plateau_sweep_trials', { sweep: sweepId, status: 'succeeded' })).toBe(0);
    expect(sampleValue(text, 'plateau_sweep_planned_trials', { sweep: sweepId })).toBe(2);
    expect(sampleValue(text, 'plateau_sweep_state', { sweep: sweepId, state: 'running' })).toBe(1);
  });

  it("shows a running trial's latest val_loss, learning rate and epoch from its heartbeats", async () => {
    const harness = start();
    const { sweepId } = await harness.coordinator.submitSweep(tinySweepSpec(), 'src');
    const granted = await lease(harness);
    harness.coordinator.heartbeat(granted, [epoch(1, 0.9, 0.01), epoch(2, 0.8, 0.01)]);
    const labels = { sweep: sweepId, trial: granted.trialId };
    const text = await harness.registry.metrics();
    expect(sampleValue(text, 'plateau_running_trial_val_loss', labels)).toBe(0.8);
    expect(sampleValue(text, 'plateau_running_trial_learning_rate', labels)).toBe(0.01);
    expect(sampleValue(text, 'plateau_running_trial_epoch', labels)).toBe(2);
    expect(sampleValue(text, 'plateau_epochs_total', { sweep: sweepId, agent: harness.agentId })).toBe(2);
  });

  it('removes the running-trial series when the trial ends', async () => {
    const harness = start();
    await harness.coordinator.submitSweep(tinySweepSpec(), 'src');
    const granted = await lease(harness);
    harness.coordinator.heartbeat(granted, [epoch(1, 0.9)]);
    harness.coordinator.complete(granted, resultFor(granted.trialId, 0.5));
    const text = await harness.scrape();
    expect(samplesOf(text, 'plateau_running_trial_val_loss')).toEqual([]);
    expect(samplesOf(text, 'plateau_running_trial_learning_rate')).toEqual([]);
    expect(samplesOf(text, 'plateau_running_trial_epoch')).toEqual([]);
  });

  it('counts an LR reduction when an epoch trains at a lower rate than the one before it', async () => {
    const harness = start();
    const { sweepId } = await harness.coordinator.submitSweep(tinySweepSpec(), 'src');
    const granted = await lease(harness);
    harness.coordinator.heartbeat(granted, [epoch(1, 0.9, 0.1), epoch(2, 0.9, 0.1)]);
    harness.coordinator.heartbeat(granted, [epoch(3, 0.9, 0.05)]);
    expect(sampleValue(await harness.scrape(), 'plateau_lr_reductions_total', { sweep: sweepId })).toBe(1);
  });

  it('records a finished trial by status, its duration from lease to result, and the best objective', async () => {
    const harness = start();
    const { sweepId } = await harness.coordinator.submitSweep(tinySweepSpec(), 'src');
    const granted = await lease(harness);
    harness.monotonic.ms += 4_000;
    harness.coordinator.complete(granted, resultFor(granted.trialId, 0.25));
    const text = await harness.scrape();
    expect(sampleValue(text, 'plateau_trials_finished_total', { sweep: sweepId, status: 'succeeded' })).toBe(1);
    expect(sampleValue(text, 'plateau_trials_finished_total', { sweep: sweepId, status: 'failed' })).toBe(0);
    expect(sampleValue(text, 'plateau_trial_duration_seconds_sum', { sweep: sweepId, status: 'succeeded' })).toBe(4);
    expect(sampleValue(text, 'plateau_sweep_best_objective', { sweep: sweepId })).toBe(0.25);
  });

  it('observes the dispatch latency from a trial being queued to its lease', async () => {
    const harness = start();
    await harness.coordinator.submitSweep(tinySweepSpec(), 'src');
    harness.monotonic.ms += 1_500;
    await lease(harness);
    const text = await harness.scrape();
    expect(sampleValue(text, 'plateau_dispatch_latency_seconds_count')).toBe(1);
    expect(sampleValue(text, 'plateau_dispatch_latency_seconds_sum')).toBe(1.5);
  });

  it('counts a lease expiry and the retry it causes', async () => {
    const harness = start();
    const { sweepId } = await harness.coordinator.submitSweep(tinySweepSpec(), 'src');
    const granted = await lease(harness);
    harness.coordinator.heartbeat(granted, [epoch(1, 0.9)]);
    harness.clock.advance(5_000);
    harness.coordinator.checkLeases();
    const text = await harness.scrape();
    expect(sampleValue(text, 'plateau_lease_expiries_total', { sweep: sweepId })).toBe(1);
    expect(sampleValue(text, 'plateau_trial_retries_total', { sweep: sweepId })).toBe(1);
    expect(samplesOf(text, 'plateau_running_trial_val_loss')).toEqual([]);
  });

  it('counts a stale report by the call that carried it', async () => {
    const harness = start();
    await harness.coordinator.submitSweep(tinySweepSpec(), 'src');
    const granted = await lease(harness);
    harness.clock.advance(5_000);
    harness.coordinator.checkLeases();
    expect(() => harness.coordinator.complete(granted, resultFor(granted.trialId))).toThrow();
    const text = await harness.scrape();
    expect(sampleValue(text, 'plateau_stale_reports_rejected_total', { call: 'complete' })).toBe(1);
    expect(sampleValue(text, 'plateau_stale_reports_rejected_total', { call: 'heartbeat' })).toBe(0);
  });

  it('counts connected agents with their busy and free slots', async () => {
    const harness = start({ slots: 3 });
    await harness.coordinator.submitSweep(tinySweepSpec(), 'src');
    await lease(harness);
    const text = await harness.scrape();
    expect(sampleValue(text, 'plateau_agents_connected')).toBe(1);
    expect(sampleValue(text, 'plateau_slots', { state: 'busy' })).toBe(1);
    expect(sampleValue(text, 'plateau_slots', { state: 'free' })).toBe(2);
  });

  it('forgets an agent not heard from within the liveness window', async () => {
    const harness = start({ agentLivenessMs: 10_000 });
    harness.monotonic.ms += 10_001;
    const text = await harness.scrape();
    expect(sampleValue(text, 'plateau_agents_connected')).toBe(0);
    expect(sampleValue(text, 'plateau_slots', { state: 'free' })).toBe(0);
  });

  it("reports the store's size on disk", async () => {
    const harness = start();
    await harness.coordinator.submitSweep(tinySweepSpec(), 'src');
    expect(sampleValue(await harness.scrape(), 'plateau_store_size_bytes')).toBeGreaterThan(0);
  });

  it('stops counting once closed', async () => {
    const harness = start();
    const { sweepId } = await harness.coordinator.submitSweep(tinySweepSpec(), 'src');
    const granted = await lease(harness);
    harness.binding.close();
    harness.binding.close();
    harness.coordinator.heartbeat(granted, [epoch(1, 0.9)]);
    expect(sampleValue(await harness.registry.metrics(), 'plateau_epochs_total', { sweep: sweepId, agent: harness.agentId })).toBeUndefined();
  });
});
