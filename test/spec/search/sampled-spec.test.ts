import { describe, expect, it } from 'vitest';
import { describeSweepPlan } from '../../../cli/commands/validate.js';
import { configCount, expandGrid } from '../../../src/spec/grid.js';
import { parseSweepSpec, parseSweepSpecJson } from '../../../src/spec/load.js';
import { SpecError } from '../../../src/spec/spec-error.js';
import type { SweepSpec } from '../../../src/spec/sweep-spec.js';

function specText(search: string, grid: string, extra = ''): string {
  return `name: sampled
workload:
  dataset: { kind: two-spirals, samples: 400, seed: 5 }
  model: { layers: [ {dense: 8, activation: tanh}, {dense: 1, activation: sigmoid} ] }
  loss: binaryCrossentropy
  batchSize: 32
  epochs: 4
  seed: 11
${search}
grid:
${grid}
${extra}`;
}

const RANGES = `  learningRate: { min: 0.0001, max: 0.3, scale: log }
  factor: { min: 0.1, max: 0.9 }
  patience: { min: 1, max: 12 }`;

function spec(search: string, grid = RANGES, extra = ''): SweepSpec {
  return parseSweepSpec(specText(search, grid, extra), 'sampled.yaml');
}

function issuesOf(text: string): string[] {
  try {
    parseSweepSpec(text, 'sampled.yaml');
  } catch (error) {
    if (error instanceof SpecError) return error.issues.map((issue) => `${issue.line ?? '?'} ${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

/** Kolmogorov–Smirnov statistic of `values` against uniform on [0, 1]. */
function ksAgainstUniform(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.reduce((d, x, i) => Math.max(d, (i + 1) / sorted.length - x, x - i / sorted.length), 0);
}

describe.each(['random', 'sobol'])('method %s', (method) => {
  it('samples the same points from the same spec, and other points from another searchSeed', () => {
    const points = (search: string): unknown[] => expandGrid(spec(search)).map((trial) => trial.config);
    expect(points(`method: ${method}\ncount: 12`)).toEqual(points(`method: ${method}\ncount: 12`));
    expect(points(`method: ${method}\ncount: 12\nsearchSeed: 5`)).not.toEqual(points(`method: ${method}\ncount: 12`));
  });

  it('keeps every point inside its ranges, whole numbers on integer axes and float32 learning rates', () => {
    const trials = expandGrid(spec(`method: ${method}\ncount: 500`));
    expect(trials).toHaveLength(500);
    for (const { config } of trials) {
      expect(config.learningRate).toBeGreaterThanOrEqual(0.0001);
      expect(config.learningRate).toBeLessThanOrEqual(0.3);
      expect(Math.fround(config.learningRate)).toBe(config.learningRate);
      expect(config.factor).toBeGreaterThanOrEqual(0.1);
      expect(config.factor).toBeLessThanOrEqual(0.9);
      expect(Number.isInteger(config.patience)).toBe(true);
      expect(config.patience).toBeGreaterThanOrEqual(1);
      expect(config.patience).toBeLessThanOrEqual(12);
    }
    // Both ends of an integer range are drawn.
    expect(new Set(trials.map((trial) => trial.config.patience))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
  });

  it('spreads a log-scale range evenly in log space (Kolmogorov–Smirnov at α = 0.01)', () => {
    const n = 1000;
    const trials = expandGrid(spec(`method: ${method}\ncount: ${n}`, '  learningRate: { min: 0.0001, max: 0.1, scale: log }\n  factor: [0.5]\n  patience: [2]'));
    const unit = trials.map((trial) => (Math.log10(trial.config.learningRate) + 4) / 3);
    const critical = 1.628 / Math.sqrt(n);
    expect(ksAgainstUniform(unit)).toBeLessThan(critical);
    // The same draws on a linear scale are far from even in log space: the test can tell.
    const linear = expandGrid(spec(`method: ${method}\ncount: ${n}`, '  learningRate: { min: 0.0001, max: 0.1 }\n  factor: [0.5]\n  patience: [2]'));
    expect(ksAgainstUniform(linear.map((trial) => (Math.log10(trial.config.learningRate) + 4) / 3))).toBeGreaterThan(critical);
  });

  it('picks a listed axis uniformly among its values', () => {
    const trials = expandGrid(spec(`method: ${method}\ncount: 400`, '  learningRate: [0.001, 0.01]\n  factor: { min: 0.1, max: 0.9 }\n  patience: [2, 4]'));
    const lrs = trials.map((trial) => trial.config.learningRate);
    expect(new Set(lrs)).toEqual(new Set([0.001, 0.01]));
    expect(lrs.filter((lr) => lr === 0.001).length).toBeGreaterThan(150);
    expect(lrs.filter((lr) => lr === 0.001).length).toBeLessThan(250);
  });

  it('runs every point once per repeat, repeat 0 first, with the same points each repeat', () => {
    const swept = spec(`method: ${method}\ncount: 5`, RANGES, 'repeats: 3');
    const trials = expandGrid(swept);
    expect(configCount(swept)).toBe(5);
    expect(trials).toHaveLength(15);
    expect(trials.map((trial) => trial.repeat)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    expect(trials.slice(5, 10).map((trial) => trial.config)).toEqual(trials.slice(0, 5).map((trial) => trial.config));
    expect(new Set(trials.map((trial) => trial.id)).size).toBe(15);
  });

  it('survives the trip as JSON to the coordinator with the same trials', () => {
    const swept = spec(`method: ${method}\ncount: 7`);
    const received = parseSweepSpecJson(JSON.parse(JSON.stringify(swept)));
    expect(expandGrid(received).map((trial) => trial.id)).toEqual(expandGrid(swept).map((trial) => trial.id));
  });
});

describe('sampled search spec errors', () => {
  it('refuses a range under method grid, naming the axis and its line', () => {
    expect(issuesOf(specText('', RANGES))).toEqual([
      expect.stringMatching(/^11 grid\.learningRate: .*a range, but method is grid/),
      expect.stringMatching(/^12 grid\.factor: .*a range, but method is grid/),
      expect.stringMatching(/^13 grid\.patience: .*a range, but method is grid/),
    ]);
  });

  it('refuses a range sent as JSON without a search', () => {
    const grid = spec('method: random\ncount: 3');
    const { search: _search, ...withoutSearch } = grid;
    expect(() => parseSweepSpecJson(JSON.parse(JSON.stringify(withoutSearch)))).toThrow(/a range, but method is grid/);
  });

  it('asks for count with method random', () => {
    expect(issuesOf(specText('method: random', RANGES))).toEqual([expect.stringMatching(/^9 method: .*needs count: N/)]);
  });

  it('refuses count and searchSeed on a grid', () => {
    const issues = issuesOf(specText('count: 5\nsearchSeed: 3', '  learningRate: [0.01]\n  factor: [0.5]\n  patience: [2]'));
    expect(issues).toEqual([expect.stringMatching(/^9 count: count applies to method random or sobol/), expect.stringMatching(/^10 searchSeed: searchSeed applies/)]);
  });

  it('refuses min above max, a log scale from zero and a factor outside (0, 1)', () => {
    const issues = issuesOf(
      specText('method: sobol\ncount: 4', '  learningRate: { min: 0.3, max: 0.001 }\n  factor: { min: 0.1, max: 1.5 }\n  patience: { min: 0, max: 4, scale: log }'),
    );
    expect(issues).toEqual([
      expect.stringMatching(/^12 grid\.learningRate\.max: .*must be ≥ min \(0\.3\)/),
      expect.stringMatching(/^13 grid\.factor\.max: .*decay factor must be in \(0, 1\)/),
      expect.stringMatching(/^14 grid\.patience\.min: .*must be > 0 with scale: log/),
    ]);
  });

  it('says which range key was meant for a misspelt one', () => {
    expect(issuesOf(specText('method: random\ncount: 4', '  learningRate: { min: 0.001, mx: 0.1 }\n  factor: [0.5]\n  patience: [2]'))).toEqual([
      expect.stringMatching(/^12 grid\.learningRate\.mx: .*unknown key "mx" in a range — did you mean "max"\?/),
    ]);
  });

  it('refuses a count whose trials exceed the limit, pointing at count', () => {
    expect(issuesOf(specText('method: random\ncount: 6000', RANGES, 'repeats: 2'))).toEqual([expect.stringMatching(/^10 count: 6,000 random points × 2 repeats = 12,000 trials, over the limit/)]);
  });
});

describe('plateau validate on a sampled search', () => {
  it('lists every point (index, then one column per axis) for a small count', () => {
    const swept = spec('method: sobol\ncount: 6', RANGES, 'repeats: 2');
    const text = describeSweepPlan(swept);
    expect(text).toContain('sobol search (seed 11): 6 points × 2 repeats = 12 trials');
    expect(text).toMatch(/learningRate\s+0\.0001 … 0\.3 \(log scale\)/);
    expect(text).toMatch(/index\s+learningRate\s+factor\s+patience/);
    const rows = text.split('\n').filter((line) => /^\s+\d+\s+\d/.test(line));
    expect(rows).toHaveLength(6);
    const first = expandGrid(swept)[0];
    expect(rows[0]).toMatch(new RegExp(`^\\s+0\\s+${String(Number(first?.config.learningRate.toPrecision(6)))}\\s`));
  });

  it('shows the first and last points and a count for more than 20', () => {
    const text = describeSweepPlan(spec('method: random\ncount: 50'));
    const rows = text.split('\n').filter((line) => /^\s+\d+\s+\d/.test(line));
    expect(rows.map((row) => row.trim().split(/\s+/)[0])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '45', '46', '47', '48', '49']);
    expect(text).toContain('50 points in all');
  });
});
