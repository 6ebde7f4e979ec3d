// The agent's view of the coordinator, in domain types. The grpc-js adapter
// (src/rpc/grpc-agent-channel.ts) implements it over gen/; the agent never sees wire types.
import type { BackendName, CancelReason, EpochRecord, TrialErrorInfo, TrialResult, TrialSpec } from '../trial/types.js';

export interface AgentRegistration {
  readonly agentId: string;
  readonly heartbeatIntervalMs: number;
}

export interface TrialLease {
  readonly leaseId: string;
  /** Strictly increasing per trial; results carrying an older token are refused. */
  readonly fencingToken: number;
  readonly sweepId: string;
  readonly trialId: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  readonly heartbeatTimeoutMs: number;
  /** The sweep stops trials early: send each epoch at once instead of batching epochs. */
  readonly reportEveryEpoch: boolean;
  readonly trial: TrialSpec;
}

export type HeartbeatDirective =
  | { readonly kind: 'continue' }
  | { readonly kind: 'cancel'; readonly reason: CancelReason };

export interface LeaseRef {
  readonly leaseId: string;
  readonly fencingToken: number;
}

export interface AgentChannel {
  register(input: { hostname: string; slots: number; backend: BackendName; version: string }, signal?: AbortSignal): Promise<AgentRegistration>;
  /** Long-poll: resolves with a lease, or null when nothing came within waitMs. */
  poll(input: { agentId: string; waitMs: number }, signal?: AbortSignal): Promise<TrialLease | null>;
  /**
   * Long-poll for up to `maxBundle` trials to train together in one worker (a fused bundle of
   * one sweep's trials with equal fusionKey): resolves with 1…maxBundle leases, or none when
   * nothing came within waitMs. Each lease is heartbeated and reported on its own. Optional:
   * a channel without it is polled one trial at a time.
   */
  pollBundle?(input: { agentId: string; waitMs: number; maxBundle: number }, signal?: AbortSignal): Promise<readonly TrialLease[]>;
  /** Rejects with LeaseLostError when the lease is no longer current. */
  heartbeat(lease: LeaseRef, epochs: readonly EpochRecord[], signal?: AbortSignal): Promise<HeartbeatDirective>;
  /** Resolves `recorded: false` for an idempotent repeat; rejects with LeaseLostError on a stale token. */
  complete(lease: LeaseRef, result: TrialResult, signal?: AbortSignal): Promise<{ recorded: boolean }>;
  fail(lease: LeaseRef, error: TrialErrorInfo, signal?: AbortSignal): Promise<{ requeued: boolean }>;
  close(): void;
}

/** The coordinator no longer recognises this lease (expired, superseded, trial done). */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(
    readonly trialId: string,
    readonly fencingToken: number,
    message = `lease for trial ${trialId} (token ${fencingToken}) is no longer current`,
  ) {
    super(message);
  }
}
