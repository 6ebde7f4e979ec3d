import { describe, expect, it } from 'vitest';
import { deriveSeed, SeededRandom, toSeed32 } from '../../src/train/seeded-random.js';

describe('SeededRandom', () => {
  it('repeats the same sequence for the same seed', () => {
    const a = new SeededRandom(123);
    const b = new SeededRandom(123);
    const drawsA = Array.from({ length: 50 }, () => a.nextUint32());
    const drawsB = Array.from({ length: 50 }, () => b.nextUint32());
    expect(drawsA).toEqual(drawsB);
  });

  it('gives a different sequence for a different seed', () => {
    const a = Array.from({ length: 8 }, ((r) => () => r.next())(new SeededRandom(1)));
    const b = Array.from({ length: 8 }, ((r) => () => r.next())(new SeededRandom(2)));
    expect(a).not.toEqual(b);
  });

  it('matches the published mulberry32 sequence for seed 0', () => {
    // The reference JavaScript mulberry32 (seed 0) starts 0.26642920868471265 = 1144304738 / 2^32.
    const random = new SeededRandom(0);
    expect(random.nextUint32()).toBe(1144304738);
  });

  it('draws uniform numbers in [0, 1) with a mean near one half', () => {
    const random = new SeededRandom(9);
    const draws = Array.from({ length: 10_000 }, () => random.next());
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(draws.reduce((sum, x) => sum + x, 0) / draws.length).toBeCloseTo(0.5, 1);
  });

  it('draws standard normals with mean 0 and variance 1', () => {
    const random = new SeededRandom(11);
    const draws = Array.from({ length: 20_000 }, () => random.normal());
    const mean = draws.reduce((sum, x) => sum + x, 0) / draws.length;
    const variance = draws.reduce((sum, x) => sum + (x - mean) ** 2, 0) / draws.length;
    expect(mean).toBeCloseTo(0, 1);
    expect(variance).toBeCloseTo(1, 1);
  });

  it('returns a permutation of 0..n-1', () => {
    const permutation = new SeededRandom(5).permutation(100);
    expect([...permutation].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...permutation]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

describe('deriveSeed', () => {
  it('gives independent seeds per stream, stable across calls', () => {
    expect(deriveSeed(42, 1)).toBe(deriveSeed(42, 1));
    expect(deriveSeed(42, 1)).not.toBe(deriveSeed(42, 2));
    expect(deriveSeed(42, 1)).not.toBe(deriveSeed(43, 1));
  });

  it('folds seeds outside 32 bits into distinct 32-bit seeds', () => {
    expect(toSeed32(7)).toBe(7);
    const big = toSeed32(2 ** 40 + 3);
    expect(Number.isInteger(big) && big >= 0 && big < 2 ** 32).toBe(true);
    expect(toSeed32(-1)).not.toBe(toSeed32(1));
  });
});
