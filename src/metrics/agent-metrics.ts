// Every agent metric, declared together with help text and label names; the registry is
// passed in. `agent` is the id the coordinator gave this agent (the same value the
// coordinator's plateau_epochs_total carries), so panels can join the two.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** How a trial ended on this agent: its result's status, or no-result when the worker gave none. */
export const agentTrialStatuses = ['succeeded', 'failed', 'diverged', 'pruned', 'cancelled', 'no-result'] as const;
export type AgentTrialStatus = (typeof agentTrialStatuses)[number];

export class AgentMetrics {
  readonly info: Gauge<'agent' | 'backend' | 'version'>;
  readonly epochs: Counter<'agent'>;
  readonly samples: Counter<'agent'>;
  readonly epochDuration: Histogram<'agent'>;
  readonly slots: Gauge<'agent' | 'state'>;
  readonly trialsFinished: Counter<'agent' | 'status'>;
  readonly workerCrashes: Counter<'agent'>;
  readonly partsMoved: Counter<'agent'>;
  readonly leaseLosses: Counter<'agent'>;
  readonly reconnects: Counter<'agent' | 'operation'>;
  readonly registrations: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.info = new Gauge({
      name: 'plateau_agent_info',
      help: 'Always 1: the agent id the coordinator assigned, the training backend its workers loaded, and its version.',
      labelNames: ['agent', 'backend', 'version'],
      registers,
    });
    this.epochs = new Counter({ name: 'plateau_agent_epochs_total', help: 'Training epochs finished by this agent’s workers.', labelNames: ['agent'], registers });
    this.samples = new Counter({
      name: 'plateau_agent_samples_total',
      help: 'Training samples processed (training-set size per epoch; built-in datasets only, CSV datasets are not counted).',
      labelNames: ['agent'],
      registers,
    });
    this.epochDuration = new Histogram({
      name: 'plateau_agent_epoch_duration_seconds',
      help: 'Wall time of one training epoch, seen by the agent (the first epoch of a trial includes building its model and data).',
      labelNames: ['agent'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.slots = new Gauge({ name: 'plateau_agent_slots', help: 'Worker slots of this agent, busy (running a trial) or free.', labelNames: ['agent', 'state'], registers });
    this.trialsFinished = new Counter({
      name: 'plateau_agent_trials_finished_total',
      help: 'Trials this agent finished running, by result status (no-result: the worker crashed or hung).',
      labelNames: ['agent', 'status'],
      registers,
    });
    this.workerCrashes = new Counter({ name: 'plateau_agent_worker_crashes_total', help: 'Worker processes that died or hung during a trial.', labelNames: ['agent'], registers });
    this.partsMoved = new Counter({
      name: 'plateau_agent_bundle_parts_moved_total',
      help: 'Parts of fused bundles an idle slot of this agent took over from a busy one (work stealing).',
      labelNames: ['agent'],
      registers,
    });
    this.leaseLosses = new Counter({
      name: 'plateau_agent_lease_losses_total',
      help: 'Trials whose lease the coordinator no longer honoured (expired or superseded) while this agent ran them.',
      labelNames: ['agent'],
      registers,
    });
    this.reconnects = new Counter({
      name: 'plateau_agent_reconnects_total',
      help: 'Calls to the coordinator that failed and were retried after a backoff, by operation.',
      labelNames: ['agent', 'operation'],
      registers,
    });
    this.registrations = new Counter({ name: 'plateau_agent_registrations_total', help: 'Times this agent registered with a coordinator.', registers });
  }
}
