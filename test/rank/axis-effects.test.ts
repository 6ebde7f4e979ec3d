import { describe, expect, it } from 'vitest';
import { axesBySpread, computeAxisEffects } from '../../src/rank/axis-effects.js';
import { maximize, minimize, trial } from './sweep-fixtures.js';

// learningRate moves val_loss by 0.4, factor by 0.1; patience is a single value.
const grid = [
  trial({ config: { learningRate: 0.01, factor: 0.1 }, objective: 0.1 }),
  trial({ config: { learningRate: 0.01, factor: 0.5 }, objective: 0.2 }),
  trial({ config: { learningRate: 0.001, factor: 0.1 }, objective: 0.5 }),
  trial({ config: { learningRate: 0.001, factor: 0.5 }, objective: 0.6 }),
  trial({ config: { learningRate: 0.1, factor: 0.1 }, state: 'diverged' }),
  trial({ config: { learningRate: 0.1, factor: 0.5 }, state: 'diverged' }),
];

describe('computeAxisEffects', () => {
  it('reports the mean objective of each value of each varying axis, values ascending', () => {
    const effects = computeAxisEffects(grid, minimize);
    expect(effects.map((effect) => effect.axis)).toEqual(['learningRate', 'factor']);
    const lr = effects[0];
    expect(lr?.values.map((value) => value.value)).toEqual([0.001, 0.01, 0.1]);
    expect(lr?.values[0]?.mean).toBeCloseTo(0.55, 12);
    expect(lr?.values[1]?.mean).toBeCloseTo(0.15, 12);
    expect(lr?.values[2]).toEqual({ value: 0.1, mean: null, n: 0, trials: 2, diverged: 2, failed: 0 });
  });

  it('measures each axis by the spread of its means and names the best value', () => {
    const [lr, factor] = computeAxisEffects(grid, minimize);
    expect(lr?.spread).toBeCloseTo(0.4, 12);
    expect(lr?.bestValue).toBe(0.01);
    expect(factor?.spread).toBeCloseTo(0.1, 12);
    expect(factor?.bestValue).toBe(0.1);
  });

  it('picks the value with the highest mean as best for a maximize goal', () => {
    const [lr] = computeAxisEffects(grid, maximize);
    expect(lr?.bestValue).toBe(0.001);
  });

  it('orders axes by spread, the knob that matters most first', () => {
    const swapped = grid.map((record) => ({
      ...record,
      spec: { ...record.spec, config: { ...record.spec.config, learningRate: record.spec.config.factor, factor: record.spec.config.learningRate } },
    }));
    expect(axesBySpread(computeAxisEffects(swapped, minimize)).map((effect) => effect.axis)).toEqual(['factor', 'learningRate']);
  });

  it('leaves the spread null when fewer than two values have a mean', () => {
    const [lr] = computeAxisEffects([trial({ config: { learningRate: 0.1 }, state: 'failed' }), trial({ config: { learningRate: 0.01 }, objective: 0.3 })], minimize);
    expect(lr?.spread).toBeNull();
    expect(lr?.bestValue).toBe(0.01);
  });
});
