import { describe, expect, it } from 'vitest';
import { RandomSampler } from '../../../src/spec/search/random-sampler.js';
import { MAX_SOBOL_DIMENSIONS, SobolSequence } from '../../../src/spec/search/sobol-sequence.js';

/**
 * The first points of the Sobol sequence in Gray-code order with Joe–Kuo's direction numbers, as
 * their sobol.cc prints them (point 0, all zeros, skipped). Worked by hand from the table rows
 * d=2 (s=1, a=0, m=1) and d=3 (s=2, a=1, m=1 3): v = (1/2, 3/4, 5/8) and (1/2, 3/4, 3/8).
 */
const JOE_KUO_FIRST_POINTS = [
  [0.5, 0.5, 0.5],
  [0.75, 0.25, 0.25],
  [0.25, 0.75, 0.75],
  [0.375, 0.375, 0.625],
  [0.875, 0.875, 0.125],
  [0.625, 0.125, 0.875],
  [0.125, 0.625, 0.375],
];

/** L2-star discrepancy (Warnock's formula): lower means the points fill the unit cube more evenly. */
function l2StarDiscrepancy(points: readonly (readonly number[])[]): number {
  const n = points.length;
  const d = points[0]?.length ?? 0;
  let pairs = 0;
  for (const a of points) for (const b of points) pairs += a.reduce((product, x, k) => product * (1 - Math.max(x, b[k] ?? 0)), 1);
  const singles = points.reduce((sum, p) => sum + p.reduce((product, x) => product * ((1 - x * x) / 2), 1), 0);
  return Math.sqrt(3 ** -d - (2 / n) * singles + pairs / (n * n));
}

describe('SobolSequence', () => {
  it('starts with the published Joe–Kuo points in its first three dimensions', () => {
    const sobol = new SobolSequence(3);
    expect(JOE_KUO_FIRST_POINTS.map(() => sobol.next())).toEqual(JOE_KUO_FIRST_POINTS);
  });

  it('gives every dimension each dyadic cell once in the first 2^k − 1 points plus the origin', () => {
    const sobol = new SobolSequence(MAX_SOBOL_DIMENSIONS);
    const points = [Array.from({ length: MAX_SOBOL_DIMENSIONS }, () => 0), ...Array.from({ length: 63 }, () => sobol.next())];
    for (let dimension = 0; dimension < MAX_SOBOL_DIMENSIONS; dimension++) {
      const cells = new Set(points.map((point) => Math.floor((point[dimension] ?? 0) * 64)));
      expect(cells.size).toBe(64);
    }
  });

  it('fills the unit square more evenly than random points of the same count', () => {
    const sobol = new SobolSequence(3);
    const random = new RandomSampler(7);
    const sobolPoints = Array.from({ length: 128 }, () => sobol.next());
    const randomPoints = Array.from({ length: 128 }, () => random.point(3));
    expect(l2StarDiscrepancy(sobolPoints)).toBeLessThan(l2StarDiscrepancy(randomPoints) / 2);
  });

  it('refuses more dimensions than its table holds', () => {
    expect(() => new SobolSequence(MAX_SOBOL_DIMENSIONS + 1)).toThrow(RangeError);
  });
});

describe('RandomSampler', () => {
  it('draws the same numbers from the same seed and different ones from another', () => {
    const draws = (seed: number): number[] => new RandomSampler(seed).point(8);
    expect(draws(42)).toEqual(draws(42));
    expect(draws(43)).not.toEqual(draws(42));
  });

  it('draws in [0, 1)', () => {
    const sampler = new RandomSampler(1);
    const draws = Array.from({ length: 10_000 }, () => sampler.next());
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });
});
