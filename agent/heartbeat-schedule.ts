// When to heartbeat a running trial. Pure `(state, input) → (state, output)`; the agent's
// timer shell feeds it the clock and does the I/O.
//
// - Regular beat every `min(intervalMs, leaseTimeoutMs / 2)`: the coordinator's requested
//   interval, but never later than half the lease (BullMQ renews its locks at half their TTL),
//   so one lost beat does not lose the lease.
// - Early beat when epochs are buffered and `epochFlushMs` has passed since the last beat:
//   progress reaches the coordinator promptly, while fast epochs are still batched.
// - At most one beat in flight; the next one is decided when it is answered.

export interface HeartbeatPolicy {
  /** The interval the coordinator asked for at registration. */
  readonly intervalMs: number;
  /** The lease's heartbeat timeout: silence longer than this loses the lease. */
  readonly leaseTimeoutMs: number;
  /** Least time between beats that carry freshly buffered epochs. */
  readonly epochFlushMs: number;
}

export interface HeartbeatState {
  /** When the last beat was sent (or the lease granted): the lease was renewed no earlier. */
  readonly lastBeatAtMs: number;
  readonly bufferedEpochs: number;
  readonly inFlight: boolean;
}

export type HeartbeatInput =
  | { readonly kind: 'tick'; readonly nowMs: number }
  | { readonly kind: 'epoch'; readonly nowMs: number }
  /** The shell sent a beat carrying every buffered epoch. */
  | { readonly kind: 'sent'; readonly nowMs: number }
  /** The beat was answered; `delivered: false` means its epochs went back into the buffer. */
  | { readonly kind: 'answered'; readonly nowMs: number; readonly delivered: boolean; readonly returnedEpochs: number };

export type HeartbeatOutput =
  | { readonly kind: 'beat' }
  /** Nothing to do before `atMs` (null: wait for the in-flight beat's answer). */
  | { readonly kind: 'wait'; readonly atMs: number | null };

export function leaseStartState(nowMs: number): HeartbeatState {
  return { lastBeatAtMs: nowMs, bufferedEpochs: 0, inFlight: false };
}

/** The regular beat period: the requested interval, capped at half the lease. */
export function renewEveryMs(policy: HeartbeatPolicy): number {
  return Math.max(1, Math.min(policy.intervalMs, policy.leaseTimeoutMs / 2));
}

function decide(policy: HeartbeatPolicy, state: HeartbeatState, nowMs: number): HeartbeatOutput {
  if (state.inFlight) return { kind: 'wait', atMs: null };
  const regularAt = state.lastBeatAtMs + renewEveryMs(policy);
  const flushAt = state.lastBeatAtMs + Math.min(policy.epochFlushMs, renewEveryMs(policy));
  const dueAt = state.bufferedEpochs > 0 ? flushAt : regularAt;
  return nowMs >= dueAt ? { kind: 'beat' } : { kind: 'wait', atMs: dueAt };
}

export function nextHeartbeat(
  policy: HeartbeatPolicy,
  state: HeartbeatState,
  input: HeartbeatInput,
): { readonly state: HeartbeatState; readonly output: HeartbeatOutput } {
  let next: HeartbeatState;
  switch (input.kind) {
    case 'tick':
      next = state;
      break;
    case 'epoch':
      next = { ...state, bufferedEpochs: state.bufferedEpochs + 1 };
      break;
    case 'sent':
      next = { lastBeatAtMs: input.nowMs, bufferedEpochs: 0, inFlight: true };
      break;
    case 'answered':
      next = {
        ...state,
        inFlight: false,
        bufferedEpochs: state.bufferedEpochs + (input.delivered ? 0 : input.returnedEpochs),
      };
      break;
  }
  return { state: next, output: decide(policy, next, input.nowMs) };
}
