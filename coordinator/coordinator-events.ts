// The coordinator's lifecycle events (BullMQ's WorkerListener idea): typed names and
// payloads, for logs, metrics and tests that wait on an event instead of sleeping.
import type { Logger } from '../src/log/logger.js';
import type { SweepState } from '../src/rpc/sweep-progress.js';
import type { EpochRecord, TrialStatus } from '../src/trial/types.js';
import type { StoreHealth } from './store-health.js';

export type ReportCall = 'heartbeat' | 'complete' | 'fail';

export interface CoordinatorEvents {
  'agent-registered': { readonly agentId: string; readonly hostname: string; readonly slots: number; readonly backend: string };
  /** A poll found nothing queued and now waits (long-poll held open). */
  'poll-waiting': { readonly agentId: string; readonly waitMs: number };
  'sweep-submitted': { readonly sweepId: string; readonly resumed: boolean; readonly totalTrials: number };
  /** Anything a watcher would see changed (counts, progress, state). */
  'sweep-changed': { readonly sweepId: string };
  'sweep-cancelled': { readonly sweepId: string };
  'sweep-finished': { readonly sweepId: string; readonly state: SweepState };
  /** A heartbeat was accepted; `epochs` are the epochs it carried (possibly none). */
  'trial-heartbeat': { readonly sweepId: string; readonly trialId: string; readonly agentId: string; readonly epochs: readonly EpochRecord[] };
  'trial-leased': { readonly sweepId: string; readonly trialId: string; readonly agentId: string; readonly attempt: number; readonly fencingToken: number };
  /** A trial stopped early by the sweep's earlyStop rule (also emitted as trial-completed, status pruned). */
  'trial-stopped': { readonly sweepId: string; readonly trialId: string; readonly agentId: string; readonly rule: 'median' | 'asha' };
  'trial-completed': { readonly sweepId: string; readonly trialId: string; readonly agentId: string; readonly status: TrialStatus };
  'trial-requeued': { readonly sweepId: string; readonly trialId: string; readonly attempt: number; readonly reason: string };
  /** Failed for good: no attempts left. `reasons` holds every attempt's ending. */
  'trial-failed': { readonly sweepId: string; readonly trialId: string; readonly reasons: readonly string[] };
  'lease-expired': { readonly sweepId: string; readonly trialId: string; readonly agentId: string; readonly leaseId: string; readonly fencingToken: number };
  /** The store turned unwritable (disk full, I/O error) or healthy again. */
  'store-health-changed': { readonly health: StoreHealth };
  'stale-report-rejected': {
    readonly call: ReportCall;
    readonly sweepId: string | null;
    readonly trialId: string | null;
    readonly leaseId: string;
    readonly fencingToken: number;
  };
}

export type CoordinatorEventName = keyof CoordinatorEvents;
export type CoordinatorListener<K extends CoordinatorEventName> = (payload: CoordinatorEvents[K]) => void;

export class CoordinatorEventBus {
  private readonly listeners = new Map<CoordinatorEventName, Set<(payload: never) => void>>();

  constructor(private readonly logger: Logger) {}

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends CoordinatorEventName>(name: K, listener: CoordinatorListener<K>): () => void {
    const set = this.listeners.get(name) ?? new Set();
    set.add(listener);
    this.listeners.set(name, set);
    return () => set.delete(listener);
  }

  emit<K extends CoordinatorEventName>(name: K, payload: CoordinatorEvents[K]): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        (listener as CoordinatorListener<K>)(payload);
      } catch (error) {
        // A broken listener (metrics, logging) must never break a lease or a result. `busEvent`,
        // not `event`: a field named `event` would overwrite the log line's own event name.
        this.logger.error('coordinator.listener-failed', { busEvent: name, error });
      }
    }
  }
}
