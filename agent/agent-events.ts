// The agent's lifecycle events, typed (after BullMQ's WorkerListener): metrics and the CLI
// hook in here without the agent knowing about them.
import type { Logger } from '../src/log/logger.js';
import type { TrialLease } from '../src/rpc/agent-channel.js';
import type { BackendName, CancelReason, EpochRecord, TrialResult } from '../src/trial/types.js';
import type { WorkerRunError } from './worker-errors.js';

/** What the agent told the coordinator about a trial when it ended. */
export type TrialReport =
  /** CompleteTrial with the result (succeeded, diverged, failed in training, cancelled by directive). */
  | { readonly kind: 'completed'; readonly recorded: boolean }
  /** FailTrial: the attempt did not produce a result (worker crash, hang, agent shutdown); the coordinator may retry. */
  | { readonly kind: 'failed'; readonly requeued: boolean }
  /** Nothing: the lease was lost, so the trial is no longer ours to report. */
  | { readonly kind: 'none'; readonly why: 'lease-lost' | 'gave-up' };

export interface AgentEventMap {
  readonly registered: { readonly agentId: string; readonly backend: BackendName; readonly heartbeatIntervalMs: number };
  readonly 'trial-started': { readonly slot: number; readonly lease: TrialLease };
  readonly 'trial-epoch': { readonly slot: number; readonly trialId: string; readonly record: EpochRecord };
  /** A heartbeat answered `cancel`: the trial is being stopped. */
  readonly 'trial-cancel-requested': { readonly slot: number; readonly trialId: string; readonly reason: CancelReason };
  readonly 'trial-finished': {
    readonly slot: number;
    readonly trialId: string;
    /** Null when the worker could not deliver a result (see worker-crashed). */
    readonly result: TrialResult | null;
    readonly report: TrialReport;
  };
  readonly 'worker-crashed': { readonly slot: number; readonly trialId: string; readonly error: WorkerRunError };
  readonly 'lease-lost': { readonly slot: number; readonly trialId: string };
  /** An idle slot took over part of another slot's bundle (work stealing); its trials report from `slot` now. */
  readonly 'bundle-part-taken': { readonly slot: number; readonly fromSlot: number; readonly trialIds: readonly string[]; readonly epochsDone: number; readonly batchesDone: number };
  /** A call to the coordinator failed; the agent retries after `retryInMs`. */
  readonly 'connection-lost': { readonly operation: string; readonly error: unknown; readonly retryInMs: number };
  readonly stopped: Record<string, never>;
}

export type AgentEventName = keyof AgentEventMap;
export type AgentListener<K extends AgentEventName> = (payload: AgentEventMap[K]) => void;

type ListenerSets = { readonly [K in AgentEventName]: Set<AgentListener<K>> };

/** A minimal typed emitter; a throwing listener is logged and never breaks the agent. */
export class AgentEvents {
  private readonly listeners: ListenerSets = {
    registered: new Set(),
    'trial-started': new Set(),
    'trial-epoch': new Set(),
    'trial-cancel-requested': new Set(),
    'trial-finished': new Set(),
    'worker-crashed': new Set(),
    'lease-lost': new Set(),
    'bundle-part-taken': new Set(),
    'connection-lost': new Set(),
    stopped: new Set(),
  };

  constructor(private readonly logger: Logger) {}

  /** Subscribes; returns the unsubscribe function. */
  on<K extends AgentEventName>(event: K, listener: AgentListener<K>): () => void {
    const set: Set<AgentListener<K>> = this.listeners[event];
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit<K extends AgentEventName>(event: K, payload: AgentEventMap[K]): void {
    const set: Set<AgentListener<K>> = this.listeners[event];
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        // `busEvent`, not `event`: a field named `event` would overwrite the log line's own event name.
        this.logger.error('agent.listener-failed', { busEvent: event, error });
      }
    }
  }
}
