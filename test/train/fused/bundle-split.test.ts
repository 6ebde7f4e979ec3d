// The split rule: which physical members a bundle gives away when a part is wanted.
import { describe, expect, it } from 'vitest';
import { choosePartToHandOff } from '../../../src/train/fused/bundle-split.js';

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

  it('balances the trials of the two sides', () => {
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
