import { describe, expect, it } from 'vitest';
import { configKey } from '../../src/rank/config-key.js';
import { ENGINE_NOISE_RELATIVE_TOLERANCE } from '../../src/rank/engine-noise.js';
import { rankConfigs } from '../../src/rank/ranking.js';
import { maximize, minimize, trial } from './sweep-fixtures.js';

// A grid with a known answer (val_loss per repeat):
//   C lr 0.003 f 0.1 p 5 : 0.05                → mean 0.05
//   A lr 0.01  f 0.5 p 2 : 0.10, 0.12          → mean 0.11, std √((0.01² + 0.01²)/1)
//   B lr 0.001 f 0.5 p 2 : 0.20, 0.22, 0.24    → mean 0.22, std 0.02
//   D lr 0.1   f 0.5 p 2 : 0.01, diverged      → last group despite the best single run
//   E lr 0.03  f 0.5 p 2 : failed
//   F lr 0.0001          : still queued
const A = { learningRate: 0.01, factor: 0.5, patience: 2 };
const B = { learningRate: 0.001, factor: 0.5, patience: 2 };
const C = { learningRate: 0.003, factor: 0.1, patience: 5 };
const D = { learningRate: 0.1, factor: 0.5, patience: 2 };
const E = { learningRate: 0.03, factor: 0.5, patience: 2 };
const F = { learningRate: 0.0001, factor: 0.5, patience: 2 };

function knownGrid() {
  return [
    trial({ config: F, state: 'queued' }),
    trial({ config: B, repeat: 2, objective: 0.24 }),
    trial({ config: A, repeat: 1, objective: 0.12 }),
    trial({ config: E, state: 'failed' }),
    trial({ config: D, repeat: 0, objective: 0.01 }),
    trial({ config: D, repeat: 1, state: 'diverged' }),
    trial({ config: B, repeat: 0, objective: 0.2 }),
    trial({ config: A, repeat: 0, objective: 0.1 }),
    trial({ config: C, objective: 0.05 }),
    trial({ config: B, repeat: 1, objective: 0.22 }),
  ];
}

describe('rankConfigs', () => {
  it('ranks configs by mean objective, best first, with diverged, failed and unfinished configs last', () => {
    const ranking = rankConfigs(knownGrid(), minimize);
    expect(ranking.map((entry) => entry.config.learningRate)).toEqual([0.003, 0.01, 0.001, 0.1, 0.03, 0.0001]);
    expect(ranking.map((entry) => entry.rank)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('averages the objective over repeats with the sample standard deviation', () => {
    const [c, a, b] = rankConfigs(knownGrid(), minimize);
    expect(c?.objective).toEqual({ mean: 0.05, std: 0, n: 1 });
    expect(a?.objective?.mean).toBeCloseTo(0.11, 12);
    expect(a?.objective?.std).toBeCloseTo(Math.SQRT2 * 0.01, 12);
    expect(a?.objective?.n).toBe(2);
    expect(b?.objective?.mean).toBeCloseTo(0.22, 12);
    expect(b?.objective?.std).toBeCloseTo(0.02, 12);
    expect(b?.objective?.n).toBe(3);
  });

  it('lists each config’s trials by repeat with their states', () => {
    const trials = knownGrid();
    const b = rankConfigs(trials, minimize).find((entry) => entry.config.learningRate === 0.001);
    const expectedIds = [0, 1, 2].map((repeat) => trials.find((t) => t.spec.config.learningRate === 0.001 && t.spec.repeat === repeat)?.spec.id);
    expect(b?.trialIds).toEqual(expectedIds);
    expect(b?.statuses).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const d = rankConfigs(trials, minimize).find((entry) => entry.config.learningRate === 0.1);
    expect(d?.statuses).toEqual(['succeeded', 'diverged']);
  });

  it('flips the objective order for a maximize goal but still ranks diverged and failed configs last', () => {
    const ranking = rankConfigs(knownGrid(), maximize);
    expect(ranking.map((entry) => entry.config.learningRate)).toEqual([0.001, 0.01, 0.003, 0.1, 0.03, 0.0001]);
  });

  it('ranks a config with a diverged repeat before a config with a failed one', () => {
    const ranking = rankConfigs(
      [trial({ config: E, state: 'failed' }), trial({ config: D, state: 'diverged' }), trial({ config: A, objective: 9 })],
      minimize,
    );
    expect(ranking.map((entry) => entry.flags)).toEqual([[], ['diverged'], ['failed']]);
    expect(ranking.map((entry) => entry.config.learningRate)).toEqual([0.01, 0.1, 0.03]);
  });

  it('breaks ties in objective by the config, axis by axis ascending, in either goal', () => {
    const tied = [
      trial({ config: { learningRate: 0.003, factor: 0.5, patience: 2 }, objective: 0.3 }),
      trial({ config: { learningRate: 0.003, factor: 0.1, patience: 5 }, objective: 0.3 }),
      trial({ config: { learningRate: 0.003, factor: 0.1, patience: 2 }, objective: 0.3 }),
      trial({ config: { learningRate: 0.001, factor: 0.9, patience: 9 }, objective: 0.3 }),
    ];
    const expected = [
      [0.001, 0.9, 9],
      [0.003, 0.1, 2],
      [0.003, 0.1, 5],
      [0.003, 0.5, 2],
    ];
    for (const goal of [minimize, maximize]) {
      const order = rankConfigs(tied, goal).map(({ config }) => [config.learningRate, config.factor, config.patience]);
      expect(order).toEqual(expected);
    }
  });

  it('gives the same ranking whatever order the trials arrive in', () => {
    const trials = knownGrid();
    const forward = rankConfigs(trials, minimize).map((entry) => entry.key);
    const backward = rankConfigs([...trials].reverse(), minimize).map((entry) => entry.key);
    expect(backward).toEqual(forward);
  });

  it('counts succeeded trials and stopped ones (their value at the stop) toward the objective, never running ones', () => {
    const ranking = rankConfigs(
      [trial({ config: A, repeat: 0, objective: 0.5 }), trial({ config: A, repeat: 1, state: 'pruned', objective: 0.01 }), trial({ config: A, repeat: 2, state: 'running' })],
      minimize,
    );
    expect(ranking[0]?.objective).toMatchObject({ mean: 0.255, n: 2 });
  });

  it('treats configs that differ only in an extra axis as different configs', () => {
    const ranking = rankConfigs([trial({ config: { minDelta: 0 }, objective: 0.2 }), trial({ config: { minDelta: 0.01 }, objective: 0.1 })], minimize);
    expect(ranking.map((entry) => entry.config.minDelta)).toEqual([0.01, 0]);
    expect(ranking[0]?.key).toBe(configKey({ learningRate: 0.01, factor: 0.5, patience: 2, minDelta: 0.01, cooldown: 0, minLr: 0, batchSize: 64 }));
  });

  it('gives a config with no finished repeat a null objective', () => {
    const [only] = rankConfigs([trial({ config: F, state: 'queued' })], minimize);
    expect(only?.objective).toBeNull();
    expect(only?.rank).toBe(1);
  });
});

describe('configKey', () => {
  it('prints every axis in grid order with its shortest round-trip number', () => {
    expect(configKey({ learningRate: 0.003, factor: 0.5, patience: 5, minDelta: 1e-4, cooldown: 0, minLr: 1e-7, batchSize: 32 })).toBe(
      'learningRate=0.003,factor=0.5,patience=5,minDelta=0.0001,cooldown=0,minLr=1e-7,batchSize=32',
    );
  });
});

describe('rankConfigs: configs within engine noise', () => {
  // ENGINE_NOISE_RELATIVE_TOLERANCE is the relative gap below which the order of two neighbours
  // could flip on another engine; these objectives sit just inside and just outside it.
  const inside = 0.1 * (1 + ENGINE_NOISE_RELATIVE_TOLERANCE / 2);
  const outside = inside * (1 + ENGINE_NOISE_RELATIVE_TOLERANCE * 2);

  it('flags a config within-noise when its objective is within the tolerance of the config ranked just above it', () => {
    const ranking = rankConfigs([trial({ config: A, objective: 0.1 }), trial({ config: B, objective: inside }), trial({ config: C, objective: outside })], minimize);
    expect(ranking.map((entry) => entry.config)).toMatchObject([A, B, C]);
    expect(ranking.map((entry) => entry.flags.includes('within-noise'))).toEqual([false, true, false]);
  });

  it('never flags the best config, nor a diverged or failed one next to a healthy one', () => {
    const ranking = rankConfigs([trial({ config: A, objective: 0.1 }), trial({ config: D, repeat: 0, objective: 0.1 }), trial({ config: D, repeat: 1, state: 'diverged' })], minimize);
    expect(ranking.map((entry) => entry.flags.includes('within-noise'))).toEqual([false, false]);
  });

  it('compares relative gaps, so it holds for objectives of any scale and for maximize', () => {
    const big = rankConfigs([trial({ config: A, objective: 1000 }), trial({ config: B, objective: 1000 * (1 + ENGINE_NOISE_RELATIVE_TOLERANCE / 2) })], minimize);
    expect(big[1]?.flags).toContain('within-noise');
    const max = rankConfigs([trial({ config: A, objective: 0.9 }), trial({ config: B, objective: 0.9 * (1 - ENGINE_NOISE_RELATIVE_TOLERANCE / 2) })], maximize);
    expect(max[1]?.flags).toContain('within-noise');
  });
});
