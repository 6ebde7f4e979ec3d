import { describe, expect, it } from 'vitest';
import {
  leaseStartState,
  nextHeartbeat,
  renewEveryMs,
  type HeartbeatInput,
  type HeartbeatOutput,
  type HeartbeatPolicy,
  type HeartbeatState,
} from '../../agent/heartbeat-schedule.js';

const policy: HeartbeatPolicy = { intervalMs: 10_000, leaseTimeoutMs: 30_000, epochFlushMs: 1_000 };

/** Feeds inputs in order; returns the final state and every output. */
function run(p: HeartbeatPolicy, inputs: readonly HeartbeatInput[], start: HeartbeatState = leaseStartState(0)) {
  let state = start;
  const outputs: HeartbeatOutput[] = [];
  for (const input of inputs) {
    const step = nextHeartbeat(p, state, input);
    state = step.state;
    outputs.push(step.output);
  }
  return { state, outputs, last: outputs[outputs.length - 1] };
}

describe('heartbeat schedule', () => {
  it('waits one interval after the lease is granted before the first beat', () => {
    expect(run(policy, [{ kind: 'tick', nowMs: 0 }]).last).toEqual({ kind: 'wait', atMs: 10_000 });
    expect(run(policy, [{ kind: 'tick', nowMs: 9_999 }]).last).toEqual({ kind: 'wait', atMs: 10_000 });
    expect(run(policy, [{ kind: 'tick', nowMs: 10_000 }]).last).toEqual({ kind: 'beat' });
  });

  it('renews at half the lease time when the requested interval is longer', () => {
    const slow: HeartbeatPolicy = { intervalMs: 60_000, leaseTimeoutMs: 30_000, epochFlushMs: 1_000 };
    expect(renewEveryMs(slow)).toBe(15_000);
    expect(run(slow, [{ kind: 'tick', nowMs: 0 }]).last).toEqual({ kind: 'wait', atMs: 15_000 });
    expect(run(slow, [{ kind: 'tick', nowMs: 15_000 }]).last).toEqual({ kind: 'beat' });
  });

  it('with no flush time (an early-stopping sweep) beats for each epoch as it ends, one beat in flight', () => {
    const eager: HeartbeatPolicy = { ...policy, epochFlushMs: 0 };
    expect(run(eager, [{ kind: 'epoch', nowMs: 5 }]).last).toEqual({ kind: 'beat' });
    const inFlight = run(eager, [{ kind: 'epoch', nowMs: 5 }, { kind: 'sent', nowMs: 5 }, { kind: 'epoch', nowMs: 7 }]);
    expect(inFlight.last).toEqual({ kind: 'wait', atMs: null });
    expect(nextHeartbeat(eager, inFlight.state, { kind: 'answered', nowMs: 9, delivered: true, returnedEpochs: 0 }).output).toEqual({ kind: 'beat' });
  });

  it('beats early once epochs are buffered and the flush time has passed', () => {
    expect(run(policy, [{ kind: 'epoch', nowMs: 400 }]).last).toEqual({ kind: 'wait', atMs: 1_000 });
    expect(run(policy, [{ kind: 'epoch', nowMs: 400 }, { kind: 'tick', nowMs: 1_000 }]).last).toEqual({ kind: 'beat' });
    expect(run(policy, [{ kind: 'epoch', nowMs: 2_500 }]).last).toEqual({ kind: 'beat' });
  });

  it('batches epochs that finish faster than the flush time into one beat', () => {
    const { state, outputs } = run(policy, [
      { kind: 'epoch', nowMs: 100 },
      { kind: 'epoch', nowMs: 200 },
      { kind: 'epoch', nowMs: 300 },
    ]);
    expect(outputs.every((output) => output.kind === 'wait')).toBe(true);
    expect(state.bufferedEpochs).toBe(3);
    const sent = nextHeartbeat(policy, state, { kind: 'sent', nowMs: 1_000 });
    expect(sent.state.bufferedEpochs).toBe(0);
  });

  it('never has two beats in flight', () => {
    const { last } = run(policy, [
      { kind: 'tick', nowMs: 10_000 },
      { kind: 'sent', nowMs: 10_000 },
      { kind: 'epoch', nowMs: 12_000 },
      { kind: 'tick', nowMs: 25_000 },
    ]);
    expect(last).toEqual({ kind: 'wait', atMs: null });
  });

  it('sends epochs that arrived during a beat as soon as it is answered, if the flush time has passed', () => {
    const { last } = run(policy, [
      { kind: 'sent', nowMs: 10_000 },
      { kind: 'epoch', nowMs: 10_500 },
      { kind: 'answered', nowMs: 11_200, delivered: true, returnedEpochs: 0 },
    ]);
    expect(last).toEqual({ kind: 'beat' });
  });

  it('counts the next regular beat from when the last one was sent', () => {
    const { last } = run(policy, [
      { kind: 'sent', nowMs: 10_000 },
      { kind: 'answered', nowMs: 10_300, delivered: true, returnedEpochs: 0 },
    ]);
    expect(last).toEqual({ kind: 'wait', atMs: 20_000 });
  });

  it('keeps the epochs of an undelivered beat and retries them at the flush pace', () => {
    const { state, last } = run(policy, [
      { kind: 'epoch', nowMs: 9_000 },
      { kind: 'sent', nowMs: 10_000 },
      { kind: 'answered', nowMs: 10_100, delivered: false, returnedEpochs: 1 },
    ]);
    expect(state.bufferedEpochs).toBe(1);
    expect(last).toEqual({ kind: 'wait', atMs: 11_000 });
  });

  it('never schedules the flush later than the regular beat', () => {
    const tight: HeartbeatPolicy = { intervalMs: 500, leaseTimeoutMs: 30_000, epochFlushMs: 5_000 };
    expect(run(tight, [{ kind: 'epoch', nowMs: 100 }]).last).toEqual({ kind: 'wait', atMs: 500 });
  });
});
