// Every coordinator metric, declared together with help text and label names. The
// registry is passed in so tests get a fresh one. Labels stay bounded: sweep, status,
// agent, call, state (and method/code for gRPC); a trial id appears only on gauges of
// trials running now, and those series are removed when the trial ends. Series labelled with
// a sweep live while it runs and are removed a while after it ends (1,000 finished sweeps
// left 21,260 lines in every scrape); what stays of ended sweeps is sweepsFinished, without a sweep label.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every status a trial of a sweep can be counted under (queued and running included). */
export const trialCountStatuses = ['queued', 'running', 'succeeded', 'failed', 'diverged', 'pruned', 'cancelled'] as const;
export type TrialCountStatus = (typeof trialCountStatuses)[number];

export const sweepStates = ['running', 'succeeded', 'failed', 'cancelled'] as const;

export const slotStates = ['busy', 'free'] as const;

export class CoordinatorMetrics {
  readonly sweepTrials: Gauge<'sweep' | 'status'>;
  readonly sweepPlannedTrials: Gauge<'sweep'>;
  readonly sweepState: Gauge<'sweep' | 'state'>;
  readonly sweepBestObjective: Gauge<'sweep'>;
  readonly sweepStartTime: Gauge<'sweep'>;
  readonly trialsFinished: Counter<'sweep' | 'status'>;
  readonly trialDuration: Histogram<'sweep' | 'status'>;
  readonly epochs: Counter<'sweep' | 'agent'>;
  readonly runningValLoss: Gauge<'sweep' | 'trial'>;
  readonly runningLearningRate: Gauge<'sweep' | 'trial'>;
  readonly runningEpoch: Gauge<'sweep' | 'trial'>;
  readonly lrReductions: Counter<'sweep'>;
  readonly leaseExpiries: Counter<'sweep'>;
  readonly retries: Counter<'sweep'>;
  readonly trialsStopped: Counter<'rule'>;
  readonly staleReports: Counter<'call'>;
  readonly agentsConnected: Gauge;
  readonly slots: Gauge<'state'>;
  readonly dispatchLatency: Histogram;
  readonly grpcRequests: Counter<'method' | 'code'>;
  readonly storeSize: Gauge;
  readonly sweepsFinished: Counter<'state'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.sweepTrials = new Gauge({
      name: 'plateau_sweep_trials',
      help: 'Trials of each sweep by current status (queued, running, succeeded, failed, diverged, pruned, cancelled).',
      labelNames: ['sweep', 'status'],
      registers,
    });
    this.sweepPlannedTrials = new Gauge({ name: 'plateau_sweep_planned_trials', help: 'Trials in the grid of each sweep (configs times repeats).', labelNames: ['sweep'], registers });
    this.sweepState = new Gauge({
      name: 'plateau_sweep_state',
      help: 'State of each sweep: 1 for its current state (running, succeeded, failed, cancelled), 0 for the others.',
      labelNames: ['sweep', 'state'],
      registers,
    });
    this.sweepBestObjective = new Gauge({
      name: 'plateau_sweep_best_objective',
      help: "Best objective of a succeeded trial so far, per sweep (per the sweep's goal); absent until one succeeds.",
      labelNames: ['sweep'],
      registers,
    });
    this.sweepStartTime = new Gauge({ name: 'plateau_sweep_start_time_seconds', help: 'Unix time each sweep was submitted.', labelNames: ['sweep'], registers });
    this.trialsFinished = new Counter({
      name: 'plateau_trials_finished_total',
      help: 'Trials that reached a final status in this process (failed counts trials that ran out of attempts too).',
      labelNames: ['sweep', 'status'],
      registers,
    });
    this.trialsStopped = new Counter({
      name: 'plateau_trials_stopped_total',
      help: "Trials stopped early by their sweep's earlyStop rule (median or asha), recorded as pruned.",
      labelNames: ['rule'],
      registers,
    });
    this.trialDuration = new Histogram({
      name: 'plateau_trial_duration_seconds',
      help: 'Time from the lease of a trial to its recorded result, by final status.',
      labelNames: ['sweep', 'status'],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers,
    });
    this.epochs = new Counter({ name: 'plateau_epochs_total', help: 'Training epochs reported in heartbeats, by sweep and agent.', labelNames: ['sweep', 'agent'], registers });
    this.runningValLoss = new Gauge({
      name: 'plateau_running_trial_val_loss',
      help: 'Latest val_loss of each running trial (the series is removed when the trial ends).',
      labelNames: ['sweep', 'trial'],
      registers,
    });
    this.runningLearningRate = new Gauge({
      name: 'plateau_running_trial_learning_rate',
      help: 'Learning rate the latest epoch of each running trial trained with (the series is removed when the trial ends).',
      labelNames: ['sweep', 'trial'],
      registers,
    });
    this.runningEpoch = new Gauge({
      name: 'plateau_running_trial_epoch',
      help: 'Latest finished epoch (1-based) of each running trial (the series is removed when the trial ends).',
      labelNames: ['sweep', 'trial'],
      registers,
    });
    this.lrReductions = new Counter({
      name: 'plateau_lr_reductions_total',
      help: 'Learning-rate reductions by plateau schedules, counted when an epoch trains at a lower rate than the one before it.',
      labelNames: ['sweep'],
      registers,
    });
    this.leaseExpiries = new Counter({ name: 'plateau_lease_expiries_total', help: 'Leases that expired because their heartbeats stopped.', labelNames: ['sweep'], registers });
    this.retries = new Counter({ name: 'plateau_trial_retries_total', help: 'Trials requeued for another attempt (worker crash, lease expiry, agent failure).', labelNames: ['sweep'], registers });
    this.staleReports = new Counter({
      name: 'plateau_stale_reports_rejected_total',
      help: 'Heartbeats and results refused for a stale fencing token, by call (heartbeat, complete, fail).',
      labelNames: ['call'],
      registers,
    });
    this.agentsConnected = new Gauge({ name: 'plateau_agents_connected', help: 'Agents heard from (poll, heartbeat, result) within the liveness window.', registers });
    this.slots = new Gauge({ name: 'plateau_slots', help: 'Worker slots of connected agents, busy (holding a lease) or free.', labelNames: ['state'], registers });
    this.dispatchLatency = new Histogram({
      name: 'plateau_dispatch_latency_seconds',
      help: 'Schedule-to-start latency: time from a trial being queued (submitted, requeued, or found queued at start-up) to its lease.',
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400],
      registers,
    });
    this.grpcRequests = new Counter({ name: 'plateau_grpc_requests_total', help: 'gRPC requests handled, by method and status code.', labelNames: ['method', 'code'], registers });
    this.sweepsFinished = new Counter({
      name: 'plateau_sweeps_finished_total',
      help: 'Sweeps that ended, by final state (their per-sweep series are removed when they end).',
      labelNames: ['state'],
      registers,
    });
    this.storeSize = new Gauge({ name: 'plateau_store_size_bytes', help: 'Size of the SQLite store on disk (database file and its write-ahead log).', registers });
  }
}
