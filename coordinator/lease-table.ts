// Who holds which trial, until when. Pure bookkeeping: time comes in as an argument, so
// expiry is tested without timers; the Coordinator owns the timer that asks `expired`, and
// extends every lease by the time its own event loop stalled (loopStallMs, extendAll).
// Fencing tokens are strictly increasing per trial (the store keeps the last one, and
// `restoreToken` raises the floor after a restart), so a late result from an older lease
// can always be told apart from the current one.
import { randomUUID } from 'node:crypto';

export interface Lease {
  readonly leaseId: string;
  /** The coordinator's key for the trial (sweep and trial id together). */
  readonly trialKey: string;
  readonly agentId: string;
  readonly fencingToken: number;
  readonly timeoutMs: number;
  readonly expiresAtMs: number;
}

export type LeaseCheck =
  | { readonly status: 'current'; readonly lease: Lease }
  /** Unknown lease id, or a token that is not the lease's own. */
  | { readonly status: 'stale' };

export interface GrantInput {
  readonly trialKey: string;
  readonly agentId: string;
  readonly nowMs: number;
  readonly timeoutMs: number;
}

export class LeaseTable {
  private readonly byId = new Map<string, Lease>();
  private readonly byTrial = new Map<string, Lease>();
  private readonly lastToken = new Map<string, number>();

  constructor(private readonly newLeaseId: () => string = randomUUID) {}

  /** Raises the token floor of a trial (after loading it from the store). */
  restoreToken(trialKey: string, token: number): void {
    this.lastToken.set(trialKey, Math.max(token, this.lastToken.get(trialKey) ?? 0));
  }

  /** The last token handed out for this trial, 0 if none. */
  tokenOf(trialKey: string): number {
    return this.lastToken.get(trialKey) ?? 0;
  }

  /** A new lease; any older lease of the same trial stops being current. */
  grant(input: GrantInput): Lease {
    const previous = this.byTrial.get(input.trialKey);
    if (previous !== undefined) this.byId.delete(previous.leaseId);
    const fencingToken = this.tokenOf(input.trialKey) + 1;
    const lease: Lease = {
      leaseId: this.newLeaseId(),
      trialKey: input.trialKey,
      agentId: input.agentId,
      fencingToken,
      timeoutMs: input.timeoutMs,
      expiresAtMs: input.nowMs + input.timeoutMs,
    };
    this.lastToken.set(input.trialKey, fencingToken);
    this.byId.set(lease.leaseId, lease);
    this.byTrial.set(input.trialKey, lease);
    return lease;
  }

  validate(leaseId: string, fencingToken: number): LeaseCheck {
    const lease = this.byId.get(leaseId);
    if (lease === undefined || lease.fencingToken !== fencingToken) return { status: 'stale' };
    return { status: 'current', lease };
  }

  /** Extends a current lease by its timeout from `nowMs`. */
  renew(leaseId: string, fencingToken: number, nowMs: number): LeaseCheck {
    const check = this.validate(leaseId, fencingToken);
    if (check.status === 'stale') return check;
    const renewed: Lease = { ...check.lease, expiresAtMs: nowMs + check.lease.timeoutMs };
    this.byId.set(leaseId, renewed);
    this.byTrial.set(renewed.trialKey, renewed);
    return { status: 'current', lease: renewed };
  }

  /**
   * Moves every lease's expiry `ms` later: time the coordinator itself was not answering (its
   * event loop blocked, see loopStallMs) is no agent's fault, and must not expire its lease.
   */
  extendAll(ms: number): void {
    if (!(ms > 0)) return;
    for (const lease of this.byId.values()) {
      const extended: Lease = { ...lease, expiresAtMs: lease.expiresAtMs + ms };
      this.byId.set(lease.leaseId, extended);
      this.byTrial.set(lease.trialKey, extended);
    }
  }

  /** Forgets a lease (its trial ended, or the lease expired). Unknown ids are ignored. */
  release(leaseId: string): void {
    const lease = this.byId.get(leaseId);
    if (lease === undefined) return;
    this.byId.delete(leaseId);
    if (this.byTrial.get(lease.trialKey)?.leaseId === leaseId) this.byTrial.delete(lease.trialKey);
  }

  currentFor(trialKey: string): Lease | undefined {
    return this.byTrial.get(trialKey);
  }

  /** Leases whose expiry is at or before `nowMs`, oldest expiry first. They stay until released. */
  expired(nowMs: number): readonly Lease[] {
    return [...this.byId.values()].filter((lease) => lease.expiresAtMs <= nowMs).sort((a, b) => a.expiresAtMs - b.expiresAtMs);
  }

  get size(): number {
    return this.byId.size;
  }
}

/**
 * How long the event loop was stalled between two runs of a check meant to run every
 * `intervalMs`: the time past the interval (0 when on time, or when the clock went backwards).
 */
export function loopStallMs(previousCheckMs: number, nowMs: number, intervalMs: number): number {
  return Math.max(0, nowMs - previousCheckMs - intervalMs);
}
