// The trial lifecycle as one pure transition function (BullMQ's job states, written down
// once): queued → leased → running → succeeded | failed | diverged | pruned | cancelled.
// The store persists whatever this function returns; it never decides a state itself.
import type { TrialState } from '../src/trial/records.js';
import type { TrialOutcome, TrialStatus } from '../src/trial/types.js';

export type TrialEvent =
  /** An agent slot took the trial. */
  | { readonly kind: 'lease' }
  /** A heartbeat on the current lease: the first one marks the trial running. */
  | { readonly kind: 'heartbeat' }
  /** The worker reported how the trial ended. */
  | { readonly kind: 'complete'; readonly outcome: TrialOutcome }
  /**
   * The attempt failed (crash, OOM, timeout); attemptsLeft counts attempts after this one. A
   * workload error (no retry can fix it) fails the trial whatever attempts are left.
   * `sweepCancelled` here and below: the sweep was cancelled, or stopped by a workload error
   * that this trial would meet too (its sweep's, or its configuration's).
   */
  | { readonly kind: 'fail'; readonly attemptsLeft: number; readonly sweepCancelled: boolean; readonly workload: boolean }
  /** The agent handed the trial back unfinished (it is draining): not a failed attempt. */
  | { readonly kind: 'release'; readonly sweepCancelled: boolean }
  /** Heartbeats stopped (or the coordinator restarted) before the trial ended. */
  | { readonly kind: 'lease-expired'; readonly attemptsLeft: number; readonly sweepCancelled: boolean }
  /** The user cancelled the sweep. */
  | { readonly kind: 'cancel-sweep' }
  /** Another trial met a workload error that this one would meet too (same sweep, or same configuration). */
  | { readonly kind: 'workload-stop' }
  /** The sweep was resubmitted after a cancel: cancelled trials run again. */
  | { readonly kind: 'resume' }
  /** The sweep was resubmitted after a workload error (its data fixed): the trial that met it runs again. */
  | { readonly kind: 'retry-workload' };

export type TrialEventKind = TrialEvent['kind'];

/** What the owner of the lease should be told, besides the state change. */
export type TransitionEffect = 'none' | 'signal-cancel';

export type TransitionResult =
  | { readonly ok: true; readonly state: TrialState; readonly effect: TransitionEffect }
  | { readonly ok: false; readonly rejection: TransitionRejection };

export interface TransitionRejection {
  readonly kind: 'illegal-transition';
  readonly from: TrialState;
  readonly event: TrialEventKind;
}

export const terminalStates: readonly TrialStatus[] = ['succeeded', 'failed', 'diverged', 'pruned', 'cancelled'];

export function isTerminal(state: TrialState): state is TrialStatus {
  return (terminalStates as readonly TrialState[]).includes(state);
}

/** Thrown by callers that cannot continue after a rejected transition (a bug, not a user error). */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly trialId: string,
    readonly rejection: TransitionRejection,
  ) {
    super(`trial ${trialId}: event "${rejection.event}" is not allowed in state "${rejection.from}"`);
  }
}

const moved = (state: TrialState, effect: TransitionEffect = 'none'): TransitionResult => ({ ok: true, state, effect });

function afterLostAttempt(attemptsLeft: number, sweepCancelled: boolean, workload: boolean): TrialState {
  if (sweepCancelled) return 'cancelled';
  if (workload) return 'failed';
  return attemptsLeft > 0 ? 'queued' : 'failed';
}

export function transition(from: TrialState, event: TrialEvent): TransitionResult {
  const reject = (): TransitionResult => ({ ok: false, rejection: { kind: 'illegal-transition', from, event: event.kind } });
  const holdsLease = from === 'leased' || from === 'running';
  switch (event.kind) {
    case 'lease':
      return from === 'queued' ? moved('leased') : reject();
    case 'heartbeat':
      return holdsLease ? moved('running') : reject();
    case 'complete':
      return holdsLease ? moved(event.outcome.status) : reject();
    case 'fail':
      return holdsLease ? moved(afterLostAttempt(event.attemptsLeft, event.sweepCancelled, event.workload)) : reject();
    case 'lease-expired':
      return holdsLease ? moved(afterLostAttempt(event.attemptsLeft, event.sweepCancelled, false)) : reject();
    case 'release':
      return holdsLease ? moved(event.sweepCancelled ? 'cancelled' : 'queued') : reject();
    case 'cancel-sweep':
    case 'workload-stop':
      if (from === 'queued') return moved('cancelled');
      // A trial that holds a lease finishes on its agent: the next heartbeat says cancel.
      return holdsLease ? moved(from, 'signal-cancel') : reject();
    case 'resume':
      return from === 'cancelled' ? moved('queued') : reject();
    case 'retry-workload':
      return from === 'failed' ? moved('queued') : reject();
  }
}
