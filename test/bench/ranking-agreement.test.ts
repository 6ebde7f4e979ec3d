import { describe, expect, it } from 'vitest';
import { averageRanks, compareRankings, gridKey, spearman } from '../../bench/ranking-agreement.js';

const key = (learningRate: number, factor: number, patience: number): string => gridKey({ learningRate, factor, patience });

describe('averageRanks', () => {
  it('ranks ascending from 1 and gives tied values their average rank', () => {
    expect(averageRanks([0.3, 0.1, 0.3, 0.2])).toEqual([3.5, 1, 3.5, 2]);
  });

  it('ranks failed configurations (+Infinity) last, tied with each other', () => {
    expect(averageRanks([Infinity, 0.5, Infinity])).toEqual([2.5, 1, 2.5]);
  });
});

describe('spearman', () => {
  it('is 1 for the same order and -1 for the reverse order, whatever the scale', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 400])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
  });

  it('matches the textbook formula 1 - 6Σd²/(n(n²-1)) when there are no ties', () => {
    // ranks x: 1 2 3 4 5; ranks y: 2 1 4 3 5 → Σd² = 4 → 1 - 24/120 = 0.8
    expect(spearman([1, 2, 3, 4, 5], [0.2, 0.1, 0.4, 0.3, 0.5])).toBeCloseTo(0.8, 12);
  });

  it('is undefined (NaN) when one side has no spread', () => {
    expect(spearman([1, 2, 3], [5, 5, 5])).toBeNaN();
  });
});

describe('compareRankings', () => {
  it('reports whether the best config matches and how many of the best three both sides share', () => {
    const ours = new Map([
      [key(0.01, 0.1, 2), 0.1],
      [key(0.01, 0.5, 2), 0.2],
      [key(0.003, 0.1, 2), 0.3],
      [key(0.001, 0.1, 2), 0.4],
    ]);
    const peer = new Map([
      [key(0.01, 0.1, 2), 0.11],
      [key(0.01, 0.5, 2), 0.5],
      [key(0.003, 0.1, 2), 0.2],
      [key(0.001, 0.1, 2), 0.3],
    ]);
    const agreement = compareRankings(ours, peer);
    expect(agreement.top1Matches).toBe(true);
    expect(agreement.oursTop1).toBe(key(0.01, 0.1, 2));
    expect(agreement.top3Overlap).toBe(2);
    expect(agreement.compared).toBe(4);
  });

  it('compares only the configs both sides finished', () => {
    const ours = new Map([
      [key(0.01, 0.1, 2), 0.1],
      [key(0.01, 0.5, 2), 0.2],
      [key(0.003, 0.1, 2), 0.3],
    ]);
    const peer = new Map([
      [key(0.01, 0.1, 2), 0.1],
      [key(0.01, 0.5, 2), 0.2],
    ]);
    const agreement = compareRankings(ours, peer);
    expect(agreement.compared).toBe(2);
    expect(agreement.spearman).toBeCloseTo(1, 12);
  });
});
