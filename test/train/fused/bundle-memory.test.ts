// How big a fused bundle may get under a memory budget, and how a bigger one is cut.
import { describe, expect, it } from 'vitest';
import { chunksOf, fusedMemberBytes, membersWithinBudget } from '../../../src/train/fused/bundle-memory.js';

describe('fusedMemberBytes', () => {
  it('counts weights with their gradients and optimizer slots, and three activations per unit of a batch', () => {
    // 16 → 64 → 64 → 1: 5,313 weights; adam keeps two slots; batch 64 × 129 units.
    expect(fusedMemberBytes([64, 64, 1], 16, 64, 'adam')).toBe(4 * (5313 * 4 + 3 * 64 * 129));
  });

  it('counts no optimizer slots for plain sgd', () => {
    expect(fusedMemberBytes([1], 2, 1, 'sgd')).toBe(4 * (3 * 2 + 3 * 1));
  });
});

describe('membersWithinBudget', () => {
  it('fits as many whole members as the budget holds', () => {
    expect(membersWithinBudget(100, 1050)).toBe(10);
  });

  it('lets one member train even when it alone exceeds the budget', () => {
    expect(membersWithinBudget(5000, 1000)).toBe(1);
  });
});

describe('chunksOf', () => {
  const rate = (item: string): string => item.slice(0, 1);

  it('keeps everything in one chunk when it fits', () => {
    expect(chunksOf(['a1', 'b1', 'a2'], rate, 8)).toEqual([['a1', 'a2', 'b1']]);
  });

  it('keeps each group in one chunk where it fits, starting a new chunk rather than splitting it', () => {
    expect(chunksOf(['a1', 'a2', 'b1', 'b2', 'c1'], rate, 3)).toEqual([['a1', 'a2'], ['b1', 'b2', 'c1']]);
  });

  it('splits a group larger than a chunk into full chunks', () => {
    expect(chunksOf(['a1', 'a2', 'a3', 'a4', 'a5', 'b1'], rate, 2)).toEqual([['a1', 'a2'], ['a3', 'a4'], ['a5', 'b1']]);
  });

  it('refuses a capacity below one', () => {
    expect(() => chunksOf(['a1'], rate, 0)).toThrow(RangeError);
  });
});
