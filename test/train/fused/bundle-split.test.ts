// The split rule: which physical members a bundle gives away when a part is wanted, and when it may.
import { describe, expect, it } from 'vitest';
import { batchesLeft, choosePartToHandOff, expectedMemberCost, mayHandOffBefore } from '../../../src/train/fused/bundle-split.js';

describe('choosePartToHandOff', () => {
  it('gives nothing away from fewer than two physical members', () => {
    expect(choosePartToHandOff([])).toEqual([]);
    expect(choosePartToHandOff([5])).toEqual([]);
  });

  it('gives the second of two away, whichever holds more trials', () => {
    expect(choosePartToHandOff([1, 1])).toEqual([1]);
    expect(choosePartToHandOff([4, 1])).toEqual([1]);
    expect(choosePartToHandOff([1, 4])).toEqual([1]);
  });

  it('splits equal members alternately, largest first, into the lighter side', () => {
    expect(choosePartToHandOff([1, 1, 1, 1])).toEqual([1, 3]);
    expect(choosePartToHandOff([1, 1, 1])).toEqual([1]);
  });

  it('balances the trials of the two sides at the start of a run', () => {
    // 3 → one side, 2 and 1 → the other: 3 against 3.
    expect(choosePartToHandOff([2, 3, 1])).toEqual([1]);
    // 2 | 1 1 → 2 + 1 against 1 + 1.
    expect(choosePartToHandOff([2, 1, 1, 1])).toEqual([1, 2]);
  });

  it('always leaves both sides a member and the giver its first', () => {
    for (const counts of [[1, 9], [9, 1, 1], [3, 3, 3], [1, 2, 3, 4, 5], [7, 1, 1, 1, 1, 1, 1, 1]]) {
      const given = choosePartToHandOff(counts);
      expect(given.length, String(counts)).toBeGreaterThan(0);
      expect(given.length, String(counts)).toBeLessThan(counts.length);
      expect(given, String(counts)).not.toContain(0);
    }
  });
});

describe('choosePartToHandOff late in a run', () => {
  it('balances physical members, not trials, with nothing of the run left: trials sharing a member cost one member', () => {
    // 9 trials in member 0, one in each of 1-3: at the start 9 against 3; at the end 1 + 1 against 1 + 1.
    expect(choosePartToHandOff([9, 1, 1, 1], 1)).toEqual([1, 2, 3]);
    expect(choosePartToHandOff([9, 1, 1, 1], 0)).toEqual([1, 3]);
  });

  it('weighs a shared member between one member and its trial count as the run goes on', () => {
    expect(expectedMemberCost(9, 1)).toBe(9);
    expect(expectedMemberCost(9, 0.5)).toBe(5);
    expect(expectedMemberCost(9, 0)).toBe(1);
    expect(expectedMemberCost(1, 0.7)).toBe(1);
  });
});

describe('mayHandOffBefore', () => {
  it('counts the batches left to the last epoch', () => {
    expect(batchesLeft(30, 128, 0, 0)).toBe(3840);
    expect(batchesLeft(30, 128, 29, 127)).toBe(1);
  });

  it('lets a part leave while at least half an epoch of batches remains, mid-epoch too', () => {
    expect(mayHandOffBefore(30, 128, 12, 77)).toBe(true);
    expect(mayHandOffBefore(30, 128, 29, 64)).toBe(true);
    expect(mayHandOffBefore(30, 128, 29, 65)).toBe(false);
  });
});
