import { describe, expect, it } from 'vitest';
import { TrialQueue, type QueuedTrial } from '../../coordinator/trial-queue.js';

const trial = (sweepId: string, ordinal: number, repeat = 0): QueuedTrial => ({
  trialKey: `${sweepId}/${ordinal}-${repeat}`,
  sweepId,
  trialId: `${ordinal}-${repeat}`,
  repeat,
  ordinal,
});

function drain(queue: TrialQueue): string[] {
  const taken: string[] = [];
  for (let next = queue.take(); next !== undefined; next = queue.take()) taken.push(next.trialKey);
  return taken;
}

describe('TrialQueue', () => {
  it('is empty at first', () => {
    expect(new TrialQueue().take()).toBeUndefined();
  });

  it('hands out every config’s first repeat before any second repeat, then grid order', () => {
    const queue = new TrialQueue();
    for (const item of [trial('a', 4, 1), trial('a', 1, 1), trial('a', 3, 0), trial('a', 0, 0), trial('a', 2, 1)]) queue.add(item);
    expect(drain(queue)).toEqual(['a/0-0', 'a/3-0', 'a/1-1', 'a/2-1', 'a/4-1']);
  });

  it('takes turns between sweeps so a big sweep does not starve a small one', () => {
    const queue = new TrialQueue();
    for (let i = 0; i < 4; i++) queue.add(trial('big', i));
    queue.add(trial('small', 0));
    queue.add(trial('small', 1));
    expect(drain(queue)).toEqual(['big/0-0', 'small/0-0', 'big/1-0', 'small/1-0', 'big/2-0', 'big/3-0']);
  });

  it('gives a sweep queued later its turn right after the current one', () => {
    const queue = new TrialQueue();
    queue.add(trial('a', 0));
    queue.add(trial('a', 1));
    expect(queue.take()?.trialKey).toBe('a/0-0');
    queue.add(trial('b', 0));
    expect(drain(queue)).toEqual(['b/0-0', 'a/1-0']);
  });

  it('puts a requeued trial back in its place', () => {
    const queue = new TrialQueue();
    for (let i = 0; i < 3; i++) queue.add(trial('a', i));
    const first = queue.take();
    expect(first?.trialKey).toBe('a/0-0');
    if (first !== undefined) queue.add(first);
    expect(drain(queue)).toEqual(['a/0-0', 'a/1-0', 'a/2-0']);
  });

  it('ignores a trial added twice', () => {
    const queue = new TrialQueue();
    queue.add(trial('a', 0));
    queue.add(trial('a', 0));
    expect(queue.size).toBe(1);
  });

  it('removes one trial, or all of a sweep', () => {
    const queue = new TrialQueue();
    for (let i = 0; i < 3; i++) queue.add(trial('a', i));
    queue.add(trial('b', 0));
    expect(queue.remove('a/1-0')).toBe(true);
    expect(queue.remove('a/1-0')).toBe(false);
    expect(queue.removeSweep('b').map((item) => item.trialKey)).toEqual(['b/0-0']);
    expect(queue.has('b/0-0')).toBe(false);
    expect(drain(queue)).toEqual(['a/0-0', 'a/2-0']);
  });
});
