import { describe, expect, it } from 'vitest';
import { configCount, expandGrid, gridSize } from '../../src/spec/grid.js';
import { repeatSeed, sweepId, trialId } from '../../src/spec/ids.js';
import { parseSweepSpec, parseSweepSpecJson } from '../../src/spec/load.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';

function spec(grid: string, extra = ''): SweepSpec {
  return parseSweepSpec(
    `
name: grid-test
workload:
  dataset: { kind: two-spirals, samples: 400, seed: 5 }
  model: { layers: [ {dense: 8, activation: tanh}, {dense: 1, activation: sigmoid} ] }
  loss: binaryCrossentropy
  batchSize: 32
  epochs: 4
  seed: 11
grid:
${grid}
${extra}`,
    'grid.yaml',
  );
}

const SMALL = `  learningRate: [0.01, 0.1]
  factor: [0.2, 0.5]
  patience: [1, 3]`;

/** The ids the first two trials of SMALL had before trial ids were hashed with shared parts memoised. */
const PINNED_FIRST_IDS = ['fd412314c7d00f4d', '07497e8e45c950de'];

describe('expandGrid', () => {
  it('nests axes with learningRate outermost and keeps values in the order written', () => {
    const configs = expandGrid(spec(SMALL)).map((trial) => [trial.config.learningRate, trial.config.factor, trial.config.patience]);
    expect(configs).toEqual([
      [0.01, 0.2, 1],
      [0.01, 0.2, 3],
      [0.01, 0.5, 1],
      [0.01, 0.5, 3],
      [0.1, 0.2, 1],
      [0.1, 0.2, 3],
      [0.1, 0.5, 1],
      [0.1, 0.5, 3],
    ]);
  });

  it('runs every config of repeat 0 before any of repeat 1', () => {
    const trials = expandGrid(spec(SMALL, 'repeats: 3'));
    expect(trials.map((trial) => trial.repeat)).toEqual([...Array<number>(8).fill(0), ...Array<number>(8).fill(1), ...Array<number>(8).fill(2)]);
    expect(trials.slice(8, 16).map((trial) => trial.config)).toEqual(trials.slice(0, 8).map((trial) => trial.config));
  });

  it('fills axes that are not swept from plateau and workload', () => {
    const [trial] = expandGrid(spec(SMALL, 'plateau: { minDelta: 0.001, cooldown: 2, minLr: 1.0e-6 }'));
    expect(trial?.config).toEqual({ learningRate: 0.01, factor: 0.2, patience: 1, minDelta: 0.001, cooldown: 2, minLr: 1e-6, batchSize: 32 });
    expect(trial?.plateau).toEqual({ monitor: 'val_loss', mode: 'auto' });
  });

  it('sweeps the optional axes innermost, in the order minDelta, cooldown, minLr, batchSize', () => {
    const trials = expandGrid(
      spec(`  learningRate: [0.01]
  factor: [0.5]
  patience: [2]
  minDelta: [0, 0.01]
  cooldown: [0, 1]
  minLr: [0, 0.001]`),
    );
    expect(trials.map((t) => [t.config.minDelta, t.config.cooldown, t.config.minLr])).toEqual([
      [0, 0, 0],
      [0, 0, 0.001],
      [0, 1, 0],
      [0, 1, 0.001],
      [0.01, 0, 0],
      [0.01, 0, 0.001],
      [0.01, 1, 0],
      [0.01, 1, 0.001],
    ]);
  });

  it('gives each trial of a batchSize axis its own batch size in config and workload', () => {
    const text = `  learningRate: [0.01]
  factor: [0.5]
  patience: [2]
  batchSize: [16, 64]`;
    const trials = expandGrid(
      parseSweepSpec(
        `name: b
workload:
  dataset: { kind: two-spirals, samples: 400, seed: 5 }
  model: { layers: [ {dense: 1} ] }
  epochs: 4
  seed: 11
grid:
${text}
`,
        'b.yaml',
      ),
    );
    expect(trials.map((t) => [t.config.batchSize, t.workload.batchSize])).toEqual([
      [16, 16],
      [64, 64],
    ]);
  });

  it('has as many trials as gridSize says: configs × repeats', () => {
    const swept = spec(SMALL, 'repeats: 3');
    expect(configCount(swept)).toBe(8);
    expect(gridSize(swept)).toBe(24);
    expect(expandGrid(swept)).toHaveLength(24);
  });

  it('gives every repeat one seed shared by all its configs, the base seed for repeat 0', () => {
    const trials = expandGrid(spec(SMALL, 'repeats: 2'));
    expect(new Set(trials.slice(0, 8).map((t) => t.seed))).toEqual(new Set([11]));
    expect(new Set(trials.slice(8).map((t) => t.seed))).toEqual(new Set([repeatSeed(11, 1)]));
  });
});

describe('trial and sweep ids', () => {
  it('are the same when the same spec is expanded again', () => {
    expect(expandGrid(spec(SMALL, 'repeats: 2')).map((t) => t.id)).toEqual(expandGrid(spec(SMALL, 'repeats: 2')).map((t) => t.id));
    expect(sweepId(spec(SMALL))).toBe(sweepId(spec(SMALL)));
  });

  it('survive the trip to the coordinator as JSON', () => {
    const original = spec(SMALL, 'repeats: 2');
    const arrived = parseSweepSpecJson(JSON.parse(JSON.stringify(original)));
    expect(expandGrid(arrived).map((t) => t.id)).toEqual(expandGrid(original).map((t) => t.id));
    expect(sweepId(arrived)).toBe(sweepId(original));
  });

  it('are 16 hex chars per trial, distinct across configs and repeats', () => {
    const ids = expandGrid(spec(SMALL, 'repeats: 2')).map((t) => t.id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(ids).size).toBe(16);
  });

  it('keep a trial its id when other configs join the grid', () => {
    const before = expandGrid(spec(SMALL));
    const after = expandGrid(spec(SMALL.replace('[0.01, 0.1]', '[0.01, 0.1, 0.3]')));
    expect(after.map((t) => t.id)).toEqual(expect.arrayContaining(before.map((t) => t.id)));
  });

  it('do not depend on how the YAML is written (key order, number spelling)', () => {
    const reordered = `  patience: [1, 3]
  factor: [0.2, 0.5]
  learningRate: [1.0e-2, 0.1]`;
    expect(expandGrid(spec(reordered)).map((t) => t.id)).toEqual(expandGrid(spec(SMALL)).map((t) => t.id));
    expect(sweepId(spec(reordered))).toBe(sweepId(spec(SMALL)));
  });

  it('change when the workload or objective changes', () => {
    const base = expandGrid(spec(SMALL))[0]?.id;
    expect(expandGrid(spec(SMALL, 'objective: { use: best }'))[0]?.id).not.toBe(base);
    const identity = expandGrid(spec(SMALL))[0];
    if (identity === undefined) throw new Error('no trial');
    expect(trialId({ ...identity, workload: { ...identity.workload, epochs: 5 } })).not.toBe(base);
  });

  it('are the same whether a trial is hashed alone or among a sweep sharing its workload', () => {
    for (const trial of expandGrid(spec(SMALL, 'repeats: 2'))) {
      // Fresh copies: nothing shared with the other trials of the sweep.
      const alone = structuredClone({ workload: trial.workload, plateau: trial.plateau, config: trial.config, repeat: trial.repeat, objective: trial.objective });
      expect(trialId(alone)).toBe(trial.id);
    }
  });

  it('stay what earlier versions named them, so a resubmitted spec resumes its trials', () => {
    expect(expandGrid(spec(SMALL)).map((t) => t.id).slice(0, 2)).toEqual(PINNED_FIRST_IDS);
  });

  it('a sweep id is 12 hex chars and changes with the grid', () => {
    expect(sweepId(spec(SMALL))).toMatch(/^[0-9a-f]{12}$/);
    expect(sweepId(spec(SMALL.replace('[1, 3]', '[1, 4]')))).not.toBe(sweepId(spec(SMALL)));
  });
});

describe('repeatSeed', () => {
  it('keeps the base seed for repeat 0', () => {
    expect(repeatSeed(42, 0)).toBe(42);
  });

  it('gives later repeats distinct unsigned 32-bit seeds, the same on every call', () => {
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8].map((repeat) => repeatSeed(42, repeat));
    expect(new Set([42, ...seeds]).size).toBe(9);
    for (const seed of seeds) expect(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff).toBe(true);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((repeat) => repeatSeed(42, repeat))).toEqual(seeds);
  });

  it('mixes well: neighbouring base seeds give unrelated repeat seeds', () => {
    expect(Math.abs(repeatSeed(42, 1) - repeatSeed(43, 1))).toBeGreaterThan(1000);
  });
});
