import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, initialBackoffState, nextBackoff, type BackoffPolicy, type BackoffState } from '../../agent/backoff.js';

const policy: BackoffPolicy = { baseMs: 100, capMs: 5_000 };

function failTimes(times: number, random: number): { state: BackoffState; delays: number[] } {
  let state = initialBackoffState;
  const delays: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const step = nextBackoff(policy, state, { kind: 'failure', random });
    state = step.state;
    if (step.output.kind === 'retry-after') delays.push(step.output.delayMs);
  }
  return { state, delays };
}

describe('reconnect backoff', () => {
  it('doubles the jitter window after each consecutive failure', () => {
    expect([0, 1, 2, 3].map((n) => backoffCeilingMs(policy, n))).toEqual([100, 200, 400, 800]);
  });

  it('never lets the window exceed the cap, however many failures', () => {
    expect(backoffCeilingMs(policy, 6)).toBe(5_000);
    expect(backoffCeilingMs(policy, 10_000)).toBe(5_000);
    expect(Math.max(...failTimes(200, 0.999999).delays)).toBeLessThanOrEqual(5_000);
  });

  it('draws each delay uniformly below the window (full jitter)', () => {
    expect(failTimes(4, 0).delays).toEqual([0, 0, 0, 0]);
    expect(failTimes(4, 0.5).delays).toEqual([50, 100, 200, 400]);
    failTimes(4, 0.999).delays.forEach((delay, failures) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(backoffCeilingMs(policy, failures));
    });
  });

  it('starts over from the base window after a success', () => {
    const { state } = failTimes(5, 0.5);
    expect(state.failures).toBe(5);
    const reset = nextBackoff(policy, state, { kind: 'success' });
    expect(reset.output).toEqual({ kind: 'reset' });
    const next = nextBackoff(policy, reset.state, { kind: 'failure', random: 0.5 });
    expect(next.output).toEqual({ kind: 'retry-after', delayMs: 50 });
  });

  it('keeps delays in bounds even for a random source outside [0, 1)', () => {
    expect(nextBackoff(policy, initialBackoffState, { kind: 'failure', random: -3 }).output).toEqual({ kind: 'retry-after', delayMs: 0 });
    expect(nextBackoff(policy, initialBackoffState, { kind: 'failure', random: 7 }).output).toEqual({ kind: 'retry-after', delayMs: 100 });
  });
});
