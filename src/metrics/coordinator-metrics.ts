// Every coordinator metric, declared together with help text and label names. The
// registry is passed in so tests get a fresh one. Labels stay bounded: sweep and status
// (and method/code for gRPC); a trial id appears only on gauges of trials running now,
// and those series are removed when the trial ends.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const TRIAL_STATES = ['queued', 'running', 'succeeded', 'failed', 'diverged', 'pruned', 'cancelled'] as const;
export type TrialStateLabel = (typeof TRIAL_STATES)[number];

export class CoordinatorMetrics {
  readonly trials: Gauge<'sweep' | 'status'>;
  readonly trialsFinished: Counter<'sweep' | 'status'>;
  readonly trialDuration: Histogram<'sweep' | 'status'>;
  readonly epochDuration: Histogram<'agent'>;
  readonly epochs: Counter<'agent'>;
  readonly samples: Counter<'agent'>;
  readonly bestObjective: Gauge<'sweep'>;
  readonly sweepStartTime: Gauge<'sweep'>;
  readonly runningValLoss: Gauge<'sweep' | 'trial'>;
  readonly runningLearningRate: Gauge<'sweep' | 'trial'>;
  readonly runningEpoch: Gauge<'sweep' | 'trial'>;
  readonly lrReductions: Counter<'sweep'>;
  readonly leaseExpiries: Counter<'sweep'>;
  readonly retries: Counter<'sweep'>;
  readonly staleResults: Counter<'sweep'>;
  readonly agentsConnected: Gauge;
  readonly slots: Gauge<'state'>;
  readonly dispatchLatency: Histogram;
  readonly grpcRequests: Counter<'method' | 'code'>;
  readonly storeSize: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.trials = new Gauge({ name: 'plateau_trials', help: 'Trials of each sweep by current status.', labelNames: ['sweep', 'status'], registers });
    this.trialsFinished = new Counter({ name: 'plateau_trials_finished_total', help: 'Trials that reached a final status.', labelNames: ['sweep', 'status'], registers });
    this.trialDuration = new Histogram({
      name: 'plateau_trial_duration_seconds',
      help: 'Wall time of finished trials, training only.',
      labelNames: ['sweep', 'status'],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.epochDuration = new Histogram({
      name: 'plateau_epoch_duration_seconds',
      help: 'Wall time of one training epoch, as reported by agents.',
      labelNames: ['agent'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.epochs = new Counter({ name: 'plateau_epochs_total', help: 'Training epochs finished, by agent.', labelNames: ['agent'], registers });
    this.samples = new Counter({ name: 'plateau_samples_total', help: 'Training samples processed, by agent.', labelNames: ['agent'], registers });
    this.bestObjective = new Gauge({ name: 'plateau_best_objective', help: 'Best objective of a finished trial so far, per sweep.', labelNames: ['sweep'], registers });
    this.sweepStartTime = new Gauge({ name: 'plateau_sweep_start_time_seconds', help: 'Unix time the sweep was submitted.', labelNames: ['sweep'], registers });
    this.runningValLoss = new Gauge({ name: 'plateau_running_trial_val_loss', help: 'Latest val_loss of each running trial (series removed when it ends).', labelNames: ['sweep', 'trial'], registers });
    this.runningLearningRate = new Gauge({ name: 'plateau_running_trial_learning_rate', help: 'Learning rate of the latest epoch of each running trial (series removed when it ends).', labelNames: ['sweep', 'trial'], registers });
    this.runningEpoch = new Gauge({ name: 'plateau_running_trial_epoch', help: 'Latest finished epoch of each running trial (series removed when it ends).', labelNames: ['sweep', 'trial'], registers });
    this.lrReductions = new Counter({ name: 'plateau_lr_reductions_total', help: 'Learning-rate reductions made by plateau schedules.', labelNames: ['sweep'], registers });
    this.leaseExpiries = new Counter({ name: 'plateau_lease_expiries_total', help: 'Leases that expired because their heartbeats stopped.', labelNames: ['sweep'], registers });
    this.retries = new Counter({ name: 'plateau_trial_retries_total', help: 'Trials requeued for another attempt.', labelNames: ['sweep'], registers });
    this.staleResults = new Counter({ name: 'plateau_stale_results_rejected_total', help: 'Results or heartbeats refused for a stale fencing token.', labelNames: ['sweep'], registers });
    this.agentsConnected = new Gauge({ name: 'plateau_agents_connected', help: 'Agents seen within the liveness window.', registers });
    this.slots = new Gauge({ name: 'plateau_slots', help: 'Worker slots of connected agents, busy or free.', labelNames: ['state'], registers });
    this.dispatchLatency = new Histogram({
      name: 'plateau_dispatch_latency_seconds',
      help: 'Time from a trial being queued (or polled for, if later) to its lease being handed out.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.grpcRequests = new Counter({ name: 'plateau_grpc_requests_total', help: 'gRPC requests handled, by method and status code.', labelNames: ['method', 'code'], registers });
    this.storeSize = new Gauge({ name: 'plateau_store_size_bytes', help: 'Size of the SQLite store on disk (database and WAL).', registers });
  }
}
