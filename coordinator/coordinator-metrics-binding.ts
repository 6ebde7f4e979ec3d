// Feeds the coordinator's metrics: counters and histograms from its typed events as they
// happen, gauges (trial counts, best objective, running trials, agents, slots, store size)
// from a refresh that reads the coordinator itself, run before every scrape and on an owned
// timer. The binding never touches the store directly and never breaks the coordinator: a
// listener that throws is logged by the event bus.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../src/log/logger.js';
import { slotStates, sweepStates, trialCountStatuses, type CoordinatorMetrics } from '../src/metrics/coordinator-metrics.js';
import type { SweepProgress, SweepSummary } from '../src/rpc/sweep-progress.js';
import type { TrialStatus } from '../src/trial/types.js';
import type { CoordinatorEventName, CoordinatorListener, ReportCall } from './coordinator-events.js';
import { storeFileName } from './sweep-store.js';

/** What the binding reads of the coordinator (the real Coordinator satisfies it). */
export interface CoordinatorMetricsSource {
  readonly events: { on<K extends CoordinatorEventName>(name: K, listener: CoordinatorListener<K>): () => void };
  readonly closed: boolean;
  listSweeps(): readonly SweepSummary[];
  progress(sweepId: string): SweepProgress;
}

export interface CoordinatorMetricsBindingOptions {
  /** The store's directory, for plateau_store_size_bytes (absent: the gauge stays 0). */
  readonly dataDir?: string;
  /** Milliseconds on a monotonic clock (durations, liveness). Default performance.now. */
  readonly now?: () => number;
  /** An agent not heard from (poll, heartbeat, result) for this long no longer counts as connected. Default 90 s. */
  readonly agentLivenessMs?: number;
  /** Refresh the gauges this often even when nobody scrapes; 0 turns the timer off. Default 15 s. */
  readonly refreshIntervalMs?: number;
  /**
   * How long an ended sweep keeps its series, so scrapes see its final state (best objective,
   * counts, durations) before they go. Default 5 minutes (a few scrape intervals).
   */
  readonly endedSweepSeriesMs?: number;
  readonly logger?: Logger;
}

interface KnownAgent {
  /** Null for an agent registered before this process started (its slots are not known here). */
  readonly slots: number | null;
  lastSeenMs: number;
}

interface HeldLease {
  readonly sweepId: string;
  readonly trialId: string;
  readonly agentId: string;
  readonly leasedAtMs: number;
}

interface RunningSeries {
  readonly sweep: string;
  readonly trial: string;
}

const reportCalls: readonly ReportCall[] = ['heartbeat', 'complete', 'fail'];
const finalStatuses: readonly TrialStatus[] = ['succeeded', 'failed', 'diverged', 'pruned', 'cancelled'];

const trialKey = (sweepId: string, trialId: string): string => `${sweepId}/${trialId}`;

export class CoordinatorMetricsBinding {
  private readonly now: () => number;
  private readonly livenessMs: number;
  private readonly logger: Logger;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly startedAtMs: number;
  private readonly agents = new Map<string, KnownAgent>();
  private readonly leases = new Map<string, HeldLease>();
  /** When each sweep that ended in this process ended, until its series are removed. */
  private readonly endedAt = new Map<string, number>();
  private readonly endedSweepSeriesMs: number;
  /** Agents that reported epochs of each running sweep: the plateau_epochs_total series to remove when it ends. */
  private readonly sweepAgents = new Map<string, Set<string>>();
  /** When each sweep's trials were queued (submit or resume); a requeued trial has its own time. */
  private readonly sweepQueuedAt = new Map<string, number>();
  private readonly trialQueuedAt = new Map<string, number>();
  private readonly lastLr = new Map<string, number>();
  private readonly running = new Map<string, RunningSeries>();
  private closed = false;

  constructor(
    private readonly source: CoordinatorMetricsSource,
    private readonly metrics: CoordinatorMetrics,
    private readonly options: CoordinatorMetricsBindingOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.livenessMs = options.agentLivenessMs ?? 90_000;
    this.endedSweepSeriesMs = options.endedSweepSeriesMs ?? 300_000;
    this.logger = (options.logger ?? silentLogger).child({ component: 'coordinator-metrics' });
    this.startedAtMs = this.now();
    this.subscribe();
    // Known label values start at 0, so rate() and alerts see a series before the first event.
    for (const state of slotStates) metrics.slots.set({ state }, 0);
    for (const call of reportCalls) metrics.staleReports.inc({ call }, 0);
    metrics.agentsConnected.set(0);
    const intervalMs = options.refreshIntervalMs ?? 15_000;
    if (intervalMs > 0) {
      this.timer = setInterval(() => this.refresh(), intervalMs);
      this.timer.unref();
    }
  }

  /** Reads the coordinator and sets every gauge. Cheap enough to run before each scrape. */
  refresh(): void {
    if (this.closed || this.source.closed) return;
    try {
      this.forgetEndedSweeps();
      const sweeps = this.source.listSweeps();
      for (const sweep of sweeps) this.refreshSweep(sweep);
      this.refreshAgents();
      this.refreshStoreSize();
    } catch (error) {
      // A coordinator closing between the check and the read: the next scrape has nothing to read.
      if (!this.source.closed) this.logger.warn('metrics.refresh-failed', { error });
    }
  }

  /** Unsubscribes and stops the timer. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const off of this.unsubscribe.splice(0)) off();
  }

  // ── events ──────────────────────────────────────────────────────────────

  private subscribe(): void {
    const { events } = this.source;
    const m = this.metrics;
    this.unsubscribe.push(
      events.on('agent-registered', ({ agentId, slots }) => this.agents.set(agentId, { slots, lastSeenMs: this.now() })),
      events.on('poll-waiting', ({ agentId }) => this.touch(agentId)),
      events.on('sweep-submitted', ({ sweepId }) => {
        if (!this.sweepQueuedAt.has(sweepId)) this.sweepQueuedAt.set(sweepId, this.now());
      }),
      // A later resubmit requeues the cancelled trials: they wait from then on.
      events.on('sweep-cancelled', ({ sweepId }) => this.sweepQueuedAt.delete(sweepId)),
      events.on('trial-leased', ({ sweepId, trialId, agentId }) => {
        const nowMs = this.now();
        const key = trialKey(sweepId, trialId);
        this.touch(agentId);
        const queuedAt = this.trialQueuedAt.get(key) ?? this.sweepQueuedAt.get(sweepId) ?? this.startedAtMs;
        m.dispatchLatency.observe(Math.max(0, nowMs - queuedAt) / 1000);
        this.trialQueuedAt.delete(key);
        this.leases.set(key, { sweepId, trialId, agentId, leasedAtMs: nowMs });
      }),
      events.on('trial-heartbeat', ({ sweepId, trialId, agentId, epochs }) => {
        this.touch(agentId);
        const key = trialKey(sweepId, trialId);
        for (const record of epochs) {
          m.epochs.inc({ sweep: sweepId, agent: agentId });
          this.agentsOfSweep(sweepId).add(agentId);
          const previous = this.lastLr.get(key);
          if (previous !== undefined && record.lr < previous) m.lrReductions.inc({ sweep: sweepId });
          this.lastLr.set(key, record.lr);
        }
        const last = epochs.at(-1);
        if (last !== undefined) this.setRunning(sweepId, trialId, last.epoch, last.val_loss, last.lr);
      }),
      events.on('trial-completed', ({ sweepId, trialId, agentId, status }) => {
        this.touch(agentId);
        m.trialsFinished.inc({ sweep: sweepId, status });
        this.observeDuration(sweepId, trialId, status);
        this.endTrial(sweepId, trialId);
      }),
      events.on('trial-stopped', ({ rule }) => {
        m.trialsStopped.inc({ rule });
      }),
      events.on('trial-requeued', ({ sweepId, trialId }) => {
        m.retries.inc({ sweep: sweepId });
        this.trialQueuedAt.set(trialKey(sweepId, trialId), this.now());
        this.endTrial(sweepId, trialId);
      }),
      events.on('trial-failed', ({ sweepId, trialId }) => {
        m.trialsFinished.inc({ sweep: sweepId, status: 'failed' });
        this.observeDuration(sweepId, trialId, 'failed');
        this.endTrial(sweepId, trialId);
      }),
      events.on('lease-expired', ({ sweepId }) => m.leaseExpiries.inc({ sweep: sweepId })),
      events.on('sweep-finished', ({ sweepId, state }) => {
        m.sweepsFinished.inc({ state });
        this.endedAt.set(sweepId, this.now());
        this.forgetEndedSweeps();
      }),
      events.on('stale-report-rejected', ({ call }) => m.staleReports.inc({ call })),
    );
  }

  private touch(agentId: string): void {
    const known = this.agents.get(agentId);
    if (known === undefined) this.agents.set(agentId, { slots: null, lastSeenMs: this.now() });
    else known.lastSeenMs = this.now();
  }

  private observeDuration(sweepId: string, trialId: string, status: string): void {
    const lease = this.leases.get(trialKey(sweepId, trialId));
    if (lease !== undefined) this.metrics.trialDuration.observe({ sweep: sweepId, status }, (this.now() - lease.leasedAtMs) / 1000);
  }

  private setRunning(sweepId: string, trialId: string, epoch: number, valLoss: number, lr: number): void {
    const labels = { sweep: sweepId, trial: trialId };
    this.running.set(trialKey(sweepId, trialId), labels);
    this.metrics.runningEpoch.set(labels, epoch);
    this.metrics.runningValLoss.set(labels, valLoss);
    this.metrics.runningLearningRate.set(labels, lr);
  }

  /** The trial holds no lease any more: its running series go away. */
  private agentsOfSweep(sweepId: string): Set<string> {
    let agents = this.sweepAgents.get(sweepId);
    if (agents === undefined) {
      agents = new Set();
      this.sweepAgents.set(sweepId, agents);
    }
    return agents;
  }

  /** Forgets the sweeps that ended longer than endedSweepSeriesMs ago. */
  private forgetEndedSweeps(): void {
    const nowMs = this.now();
    for (const [sweepId, endedAtMs] of [...this.endedAt]) {
      if (nowMs - endedAtMs < this.endedSweepSeriesMs) continue;
      this.endedAt.delete(sweepId);
      this.forgetSweep(sweepId);
    }
  }

  /** Removes every series labelled with an ended sweep (see the note atop coordinator-metrics.ts). */
  private forgetSweep(sweepId: string): void {
    const m = this.metrics;
    const sweep = { sweep: sweepId };
    for (const status of finalStatuses) {
      m.trialsFinished.remove({ sweep: sweepId, status });
      m.trialDuration.remove({ sweep: sweepId, status });
    }
    for (const status of trialCountStatuses) m.sweepTrials.remove({ sweep: sweepId, status });
    for (const state of sweepStates) m.sweepState.remove({ sweep: sweepId, state });
    for (const gauge of [m.sweepPlannedTrials, m.sweepBestObjective, m.sweepStartTime]) gauge.remove(sweep);
    for (const counter of [m.lrReductions, m.leaseExpiries, m.retries]) counter.remove(sweep);
    for (const agent of this.sweepAgents.get(sweepId) ?? []) m.epochs.remove({ sweep: sweepId, agent });
    this.sweepAgents.delete(sweepId);
    this.sweepQueuedAt.delete(sweepId);
    for (const [key, labels] of [...this.running]) if (labels.sweep === sweepId) this.removeRunning(key);
  }

  private endTrial(sweepId: string, trialId: string): void {
    const key = trialKey(sweepId, trialId);
    this.leases.delete(key);
    this.lastLr.delete(key);
    this.removeRunning(key);
  }

  private removeRunning(key: string): void {
    const labels = this.running.get(key);
    if (labels === undefined) return;
    this.running.delete(key);
    this.metrics.runningEpoch.remove(labels);
    this.metrics.runningValLoss.remove(labels);
    this.metrics.runningLearningRate.remove(labels);
  }

  // ── refresh ─────────────────────────────────────────────────────────────

  private refreshSweep(sweep: SweepSummary): void {
    // An ended sweep keeps its series only for a while after it ended here (never after a restart).
    if (sweep.finishedAtMs !== null && !this.endedAt.has(sweep.sweepId)) return;
    const m = this.metrics;
    const sweepLabel = { sweep: sweep.sweepId };
    for (const status of finalStatuses) m.trialsFinished.inc({ sweep: sweep.sweepId, status }, 0);
    for (const counter of [m.lrReductions, m.leaseExpiries, m.retries]) counter.inc(sweepLabel, 0);
    for (const status of trialCountStatuses) m.sweepTrials.set({ sweep: sweep.sweepId, status }, sweep.counts[status]);
    m.sweepPlannedTrials.set(sweepLabel, sweep.totalTrials);
    for (const state of sweepStates) m.sweepState.set({ sweep: sweep.sweepId, state }, state === sweep.state ? 1 : 0);
    m.sweepStartTime.set(sweepLabel, sweep.createdAtMs / 1000);
    if (sweep.best === null) m.sweepBestObjective.remove(sweepLabel);
    else m.sweepBestObjective.set(sweepLabel, sweep.best.objective);

    // Running trials as the store has them: adds trials this process has not seen a heartbeat
    // of (a restart), and drops any whose end was missed.
    const running = sweep.state === 'running' && sweep.counts.running > 0 ? this.source.progress(sweep.sweepId).running : [];
    const live = new Set<string>();
    for (const trial of running) {
      if (trial.valLoss === null || trial.lr === null) continue;
      live.add(trialKey(sweep.sweepId, trial.trialId));
      this.setRunning(sweep.sweepId, trial.trialId, trial.epoch, trial.valLoss, trial.lr);
    }
    for (const [key, labels] of [...this.running]) if (labels.sweep === sweep.sweepId && !live.has(key)) this.removeRunning(key);
  }

  private refreshAgents(): void {
    const nowMs = this.now();
    const busyByAgent = new Map<string, number>();
    for (const lease of this.leases.values()) busyByAgent.set(lease.agentId, (busyByAgent.get(lease.agentId) ?? 0) + 1);
    let connected = 0;
    let busy = 0;
    let free = 0;
    for (const [agentId, agent] of [...this.agents]) {
      if (nowMs - agent.lastSeenMs > this.livenessMs) {
        this.agents.delete(agentId);
        continue;
      }
      connected += 1;
      const held = busyByAgent.get(agentId) ?? 0;
      // An agent from before a restart: at least the slots it is using, and one if it is polling.
      const slots = agent.slots ?? Math.max(held, 1);
      busy += held;
      free += Math.max(0, slots - held);
    }
    this.metrics.agentsConnected.set(connected);
    this.metrics.slots.set({ state: 'busy' }, busy);
    this.metrics.slots.set({ state: 'free' }, free);
  }

  private refreshStoreSize(): void {
    const dataDir = this.options.dataDir;
    if (dataDir === undefined) return;
    let bytes = 0;
    for (const file of [storeFileName, `${storeFileName}-wal`]) {
      try {
        bytes += statSync(join(dataDir, file)).size;
      } catch {
        // No WAL between checkpoints: nothing to add.
      }
    }
    this.metrics.storeSize.set(bytes);
  }
}
