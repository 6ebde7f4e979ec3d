// Capped exponential backoff with full jitter (AWS "Exponential Backoff And Jitter"):
// the delay before retry n is uniform in [0, min(cap, base · 2^n)). Pure: the caller
// injects the random number, so the bounds are testable without timers.

export interface BackoffPolicy {
  /** Upper bound of the first delay. */
  readonly baseMs: number;
  /** No delay ever exceeds this. */
  readonly capMs: number;
}

export const defaultReconnectBackoff: BackoffPolicy = { baseMs: 200, capMs: 15_000 };

export interface BackoffState {
  /** Consecutive failures so far; 0 after a success. */
  readonly failures: number;
}

export type BackoffInput =
  | { readonly kind: 'failure'; /** In [0, 1), e.g. Math.random(). */ readonly random: number }
  | { readonly kind: 'success' };

export type BackoffOutput = { readonly kind: 'retry-after'; readonly delayMs: number } | { readonly kind: 'reset' };

export const initialBackoffState: BackoffState = { failures: 0 };

/** The ceiling of the jitter window for the nth consecutive failure (0-based). */
export function backoffCeilingMs(policy: BackoffPolicy, failureIndex: number): number {
  // 2^n overflows to Infinity for large n, and Math.min keeps the cap: no special case needed.
  return Math.min(policy.capMs, policy.baseMs * 2 ** failureIndex);
}

export function nextBackoff(
  policy: BackoffPolicy,
  state: BackoffState,
  input: BackoffInput,
): { readonly state: BackoffState; readonly output: BackoffOutput } {
  if (input.kind === 'success') return { state: initialBackoffState, output: { kind: 'reset' } };
  const random = Math.min(Math.max(input.random, 0), 1);
  const delayMs = Math.floor(random * backoffCeilingMs(policy, state.failures));
  return { state: { failures: state.failures + 1 }, output: { kind: 'retry-after', delayMs } };
}
