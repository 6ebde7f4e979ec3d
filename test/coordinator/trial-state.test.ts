import { describe, expect, it } from 'vitest';
import { transition, type TrialEvent, type TrialEventKind } from '../../coordinator/trial-state.js';
import type { TrialState } from '../../src/trial/records.js';

const events: Readonly<Record<string, TrialEvent>> = {
  lease: { kind: 'lease' },
  heartbeat: { kind: 'heartbeat' },
  'complete(succeeded)': { kind: 'complete', outcome: { status: 'succeeded' } },
  'complete(diverged)': { kind: 'complete', outcome: { status: 'diverged', atEpoch: 3 } },
  'complete(failed)': { kind: 'complete', outcome: { status: 'failed', error: { kind: 'DatasetError', message: 'bad row' } } },
  'complete(pruned)': { kind: 'complete', outcome: { status: 'pruned', stop: { epoch: 5, rule: 'median', value: 0.9, threshold: 0.7 } } },
  'complete(cancelled)': { kind: 'complete', outcome: { status: 'cancelled', reason: 'sweep-cancelled' } },
  'fail(attempts left)': { kind: 'fail', attemptsLeft: 1, sweepCancelled: false, workload: false },
  'fail(none left)': { kind: 'fail', attemptsLeft: 0, sweepCancelled: false, workload: false },
  'fail(sweep cancelled)': { kind: 'fail', attemptsLeft: 1, sweepCancelled: true, workload: false },
  'fail(workload, attempts left)': { kind: 'fail', attemptsLeft: 2, sweepCancelled: false, workload: true },
  'fail(workload, already stopped)': { kind: 'fail', attemptsLeft: 2, sweepCancelled: true, workload: true },
  'lease-expired(attempts left)': { kind: 'lease-expired', attemptsLeft: 2, sweepCancelled: false },
  'lease-expired(none left)': { kind: 'lease-expired', attemptsLeft: 0, sweepCancelled: false },
  'lease-expired(sweep cancelled)': { kind: 'lease-expired', attemptsLeft: 2, sweepCancelled: true },
  release: { kind: 'release', sweepCancelled: false },
  'release(sweep cancelled)': { kind: 'release', sweepCancelled: true },
  'cancel-sweep': { kind: 'cancel-sweep' },
  'workload-stop': { kind: 'workload-stop' },
  resume: { kind: 'resume' },
  'retry-workload': { kind: 'retry-workload' },
};

type Expected = TrialState | `${TrialState} + signal-cancel` | 'rejected';

const holdingLease: Readonly<Record<string, Expected>> = {
  lease: 'rejected',
  heartbeat: 'running',
  'complete(succeeded)': 'succeeded',
  'complete(diverged)': 'diverged',
  'complete(failed)': 'failed',
  'complete(pruned)': 'pruned',
  'complete(cancelled)': 'cancelled',
  'fail(attempts left)': 'queued',
  'fail(none left)': 'failed',
  'fail(sweep cancelled)': 'cancelled',
  // A workload error is never retried; once its sweep (or configuration) is stopped, the others that met it are cancelled.
  'fail(workload, attempts left)': 'failed',
  'fail(workload, already stopped)': 'cancelled',
  'lease-expired(attempts left)': 'queued',
  'lease-expired(none left)': 'failed',
  'lease-expired(sweep cancelled)': 'cancelled',
  release: 'queued',
  'release(sweep cancelled)': 'cancelled',
  resume: 'rejected',
  'retry-workload': 'rejected',
};

const allRejected = (overrides: Readonly<Record<string, Expected>>): Readonly<Record<string, Expected>> =>
  Object.fromEntries(Object.keys(events).map((name) => [name, overrides[name] ?? 'rejected']));

// Every (state, event) pair and its result: the whole lifecycle on one page.
const table: Readonly<Record<TrialState, Readonly<Record<string, Expected>>>> = {
  queued: allRejected({ lease: 'leased', 'cancel-sweep': 'cancelled', 'workload-stop': 'cancelled' }),
  leased: { ...holdingLease, 'cancel-sweep': 'leased + signal-cancel', 'workload-stop': 'leased + signal-cancel' },
  running: { ...holdingLease, 'cancel-sweep': 'running + signal-cancel', 'workload-stop': 'running + signal-cancel' },
  succeeded: allRejected({}),
  failed: allRejected({ 'retry-workload': 'queued' }),
  diverged: allRejected({}),
  pruned: allRejected({}),
  cancelled: allRejected({ resume: 'queued' }),
};

const cases = Object.entries(table).flatMap(([from, row]) =>
  Object.entries(row).map(([eventName, expected]) => ({ from: from as TrialState, eventName, expected })),
);

describe('the trial state machine', () => {
  it('has a row for every state and a column for every event', () => {
    expect(Object.keys(table)).toHaveLength(8);
    for (const row of Object.values(table)) expect(Object.keys(row).sort()).toEqual(Object.keys(events).sort());
  });

  it.each(cases)('$from + $eventName → $expected', ({ from, eventName, expected }) => {
    const event = events[eventName];
    if (event === undefined) throw new Error(`no event ${eventName}`);
    const result = transition(from, event);
    if (expected === 'rejected') {
      expect(result).toEqual({ ok: false, rejection: { kind: 'illegal-transition', from, event: event.kind satisfies TrialEventKind } });
      return;
    }
    const [state, effect] = expected.split(' + ');
    expect(result).toEqual({ ok: true, state, effect: effect ?? 'none' });
  });
});
