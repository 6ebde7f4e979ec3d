import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_SPEC_YAML } from '../../src/spec/example-spec.js';
import { loadSweepSpecFile, parseSweepSpec, parseSweepSpecJson } from '../../src/spec/load.js';
import { SpecError } from '../../src/spec/spec-error.js';
import { expandGrid } from '../../src/spec/grid.js';
import { notFusableReason } from '../../src/train/fused/fused-runner.js';

const fixtures = resolve(import.meta.dirname, 'fixtures');
const examples = resolve(import.meta.dirname, '../../examples');

const MINIMAL = `
name: minimal
workload:
  dataset: { kind: synthetic-regression, samples: 512, features: 4, seed: 1 }
  model: { layers: [ {dense: 8, activation: relu}, {dense: 1} ] }
  batchSize: 32
  epochs: 5
  seed: 3
grid:
  learningRate: [0.01]
  factor: [0.5]
  patience: [2]
`;

function specError(run: () => unknown): SpecError {
  try {
    run();
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected a SpecError');
}

describe('parseSweepSpec on a valid spec', () => {
  it('fills every default the spec leaves out', () => {
    const spec = parseSweepSpec(MINIMAL, 'minimal.yaml');
    expect(spec.plateau).toEqual({ monitor: 'val_loss', mode: 'auto', minDelta: 1e-4, cooldown: 0, minLr: 0 });
    expect(spec.repeats).toBe(1);
    expect(spec.maxAttempts).toBe(3);
    expect(spec.objective).toEqual({ metric: 'val_loss', goal: 'minimize', use: 'final' });
    expect(spec.workload.loss).toBe('meanSquaredError');
    expect(spec.workload.optimizer).toBe('adam');
    expect(spec.workload.metrics).toEqual([]);
    expect(spec.workload.dataset).toEqual({ kind: 'synthetic-regression', samples: 512, features: 4, noise: 0.1, seed: 1, validationSplit: 0.2 });
  });

  it('compiles layers to their internal form with a linear default activation', () => {
    const spec = parseSweepSpec(MINIMAL, 'minimal.yaml');
    expect(spec.workload.model).toEqual({
      kind: 'layers',
      layers: [
        { kind: 'dense', units: 8, activation: 'relu' },
        { kind: 'dense', units: 1, activation: 'linear' },
      ],
    });
  });

  it('accepts dropout, batchNorm as a mapping and batchNorm as a bare word', () => {
    const text = MINIMAL.replace('{dense: 8, activation: relu},', '{dense: 8, activation: relu}, {dropout: 0.2}, {batchNorm: {}}, batchNorm,');
    expect(parseSweepSpec(text, 'layers.yaml').workload.model).toEqual({
      kind: 'layers',
      layers: [
        { kind: 'dense', units: 8, activation: 'relu' },
        { kind: 'dropout', rate: 0.2 },
        { kind: 'batchNorm' },
        { kind: 'batchNorm' },
        { kind: 'dense', units: 1, activation: 'linear' },
      ],
    });
  });

  it('keeps an explicit zero (patience 0, cooldown 0, minDelta 0) rather than defaulting it', () => {
    const text = MINIMAL.replace('patience: [2]', 'patience: [0]') + 'plateau: { minDelta: 0, cooldown: 0 }\n';
    const spec = parseSweepSpec(text, 'zeros.yaml');
    expect(spec.grid.patience).toEqual([0]);
    expect(spec.plateau.minDelta).toBe(0);
  });

  it('maximizes an accuracy objective by default', () => {
    const text = MINIMAL.replace('seed: 3', 'seed: 3\n  metrics: [accuracy]') + 'plateau: { monitor: val_acc }\n';
    const spec = parseSweepSpec(text, 'acc.yaml');
    expect(spec.objective).toEqual({ metric: 'val_acc', goal: 'maximize', use: 'final' });
  });

  it('resolves CSV and model.json paths against the spec file directory', () => {
    const text = MINIMAL.replace(
      '{ kind: synthetic-regression, samples: 512, features: 4, seed: 1 }',
      '{ kind: csv, train: data/train.csv, validation: data/val.csv, target: y }',
    ).replace('{ layers: [ {dense: 8, activation: relu}, {dense: 1} ] }', '{ modelJson: model.json }');
    const spec = parseSweepSpec(text, join(fixtures, 'spec.yaml'));
    expect(spec.workload.dataset).toEqual({
      kind: 'csv',
      train: { kind: 'local', path: join(fixtures, 'data/train.csv') },
      validation: { kind: 'local', path: join(fixtures, 'data/val.csv') },
      target: 'y',
      standardize: true,
    });
    expect(spec.workload.model).toEqual({ kind: 'modelJson', file: { kind: 'local', path: join(fixtures, 'model.json') }, weights: {} });
  });

  it('skips file checks when asked to', () => {
    const text = MINIMAL.replace('{ kind: synthetic-regression, samples: 512, features: 4, seed: 1 }', '{ kind: csv, train: nowhere.csv, validation: nowhere.csv, target: y }');
    expect(parseSweepSpec(text, '/elsewhere/spec.yaml', { checkFiles: false }).workload.dataset).toMatchObject({ train: { kind: 'local', path: '/elsewhere/nowhere.csv' } });
  });

  it('takes the batch size from a grid axis when workload gives none', () => {
    const text = MINIMAL.replace('  batchSize: 32\n', '').replace('patience: [2]', 'patience: [2]\n  batchSize: [16, 32]');
    const spec = parseSweepSpec(text, 'batch.yaml');
    expect(spec.grid.batchSize).toEqual([16, 32]);
    expect(spec.workload.batchSize).toBe(16);
  });

  it('runs a grid over the trial limit when allowLarge is given', () => {
    const text = MINIMAL.replace('factor: [0.5]', 'factor: [0.1, 0.2, 0.3]');
    expect(() => parseSweepSpec(text, 'large.yaml', { maxTrials: 2 })).toThrow(SpecError);
    expect(parseSweepSpec(text, 'large.yaml', { maxTrials: 2, allowLarge: true }).grid.factor).toHaveLength(3);
  });
});

describe('the shipped specs', () => {
  it('the `plateau init` example validates', () => {
    expect(parseSweepSpec(EXAMPLE_SPEC_YAML, 'sweep.yaml').name).toBe('mlp-plateau');
  });

  it('examples/quick.yaml validates: 3 × 2 × 2 configurations of 20 epochs', () => {
    const spec = loadSweepSpecFile(join(examples, 'quick.yaml'));
    expect(spec.grid).toEqual({ learningRate: [0.003, 0.01, 0.03], factor: [0.2, 0.5], patience: [2, 4] });
    expect(spec.workload.epochs).toBe(20);
  });

  it('examples/early-stop.yaml validates with the median rule and the plateau guard on', () => {
    const spec = loadSweepSpecFile(join(examples, 'early-stop.yaml'));
    expect(spec.earlyStop).toEqual({ rule: 'median', gracePeriod: 5, minTrials: 3, reductionFactor: 3, plateauGuard: true, rankStopped: 'below' });
    expect(spec.grid.learningRate).toEqual([0.03, 0.01, 0.001, 0.0001]);
  });

  it('examples/classify.yaml validates, and every trial of it is fusable on the kernels', async () => {
    const spec = loadSweepSpecFile(join(examples, 'classify.yaml'));
    expect(spec.workload.dataset).toMatchObject({ kind: 'synthetic-classification', classes: 5, oneHot: false });
    expect(spec.workload.model).toMatchObject({ layers: expect.arrayContaining([{ kind: 'layerNorm' }, { kind: 'dense', units: 32, activation: 'relu', kernelRegularizer: { l1: 0, l2: 1e-4 } }]) });
    expect(await Promise.all(expandGrid(spec).map((trial) => notFusableReason(trial)))).toEqual(new Array(12).fill(undefined));
  });
});

describe('loadSweepSpecFile', () => {
  it('reports a missing spec file as a SpecError naming the file', () => {
    const error = specError(() => loadSweepSpecFile('does-not-exist.yaml'));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ file: 'does-not-exist.yaml', path: '', line: null, found: 'no such file' });
  });

  it('reads and validates a spec from disk', () => {
    const directory = mkdtempSync(join(tmpdir(), 'plateau-spec-'));
    const file = join(directory, 'sweep.yaml');
    writeFileSync(file, MINIMAL);
    expect(loadSweepSpecFile(file).name).toBe('minimal');
  });
});

describe('SpecError', () => {
  it('formats one line per issue and serializes every field for machines', () => {
    const error = specError(() => parseSweepSpec(MINIMAL.replace('factor: [0.5]', 'factor: [0.5, 1.5]'), 'sweep.yaml'));
    expect(error.format()).toBe('sweep.yaml:11:17 grid.factor[1]: 1.5 — a decay factor must be in (0, 1)');
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'SpecError',
      file: 'sweep.yaml',
      issues: [
        {
          file: 'sweep.yaml',
          path: 'grid.factor[1]',
          line: 11,
          column: 17,
          expected: 'a number in (0, 1)',
          found: '1.5',
          message: '1.5 — a decay factor must be in (0, 1)',
        },
      ],
    });
  });

  it('reports every problem at once, in source order', () => {
    const text = MINIMAL.replace('epochs: 5', 'epochs: 0').replace('factor: [0.5]', 'factor: [0]');
    const error = specError(() => parseSweepSpec(text, 'sweep.yaml'));
    expect(error.issues.map((issue) => issue.path)).toEqual(['workload.epochs', 'grid.factor[0]']);
  });
});

describe('parseSweepSpecJson', () => {
  it('accepts a compiled spec that went through JSON unchanged', () => {
    const spec = parseSweepSpec(MINIMAL, 'minimal.yaml');
    expect(parseSweepSpecJson(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
  });

  it('refuses a tampered spec with issues on <submitted> and no line numbers', () => {
    const spec = JSON.parse(JSON.stringify(parseSweepSpec(MINIMAL, 'minimal.yaml'))) as Record<string, unknown>;
    const error = specError(() => parseSweepSpecJson({ ...spec, grid: { learningRate: [0.01], factor: [2], patience: [1] } }));
    expect(error.issues).toEqual([
      {
        file: '<submitted>',
        path: 'grid.factor[0]',
        line: null,
        column: null,
        expected: 'a number in (0, 1)',
        found: '2',
        message: '2 — a decay factor must be in (0, 1)',
      },
    ]);
    expect(error.format()).toBe('<submitted> grid.factor[0]: 2 — a decay factor must be in (0, 1)');
  });

  it('refuses the user-facing form (defaults not applied, model not compiled)', () => {
    expect(() => parseSweepSpecJson({ name: 'x' })).toThrow(SpecError);
  });

  it('refuses relative shared paths, which only mean something next to the spec file', () => {
    const spec = JSON.parse(JSON.stringify(parseSweepSpec(MINIMAL, 'minimal.yaml'))) as { workload: Record<string, unknown> };
    const tampered = { ...spec, workload: { ...spec.workload, model: { kind: 'modelJson', file: { kind: 'shared', path: 'model.json' }, weights: {} } } };
    const error = specError(() => parseSweepSpecJson(tampered));
    expect(error.issues[0]?.path).toBe('workload.model.file.path');
  });

  it('refuses a client path, naming the field: a coordinator never reads a path a client chose', () => {
    const spec = JSON.parse(JSON.stringify(parseSweepSpec(MINIMAL, 'minimal.yaml'))) as { workload: Record<string, unknown> };
    const local = { kind: 'local', path: '/proc/self/environ' };
    const tampered = { ...spec, workload: { ...spec.workload, dataset: { kind: 'csv', train: local, validation: local, target: 'y', standardize: false } } };
    const error = specError(() => parseSweepSpecJson(tampered));
    expect(error.issues.map((issue) => issue.path)).toEqual(['workload.dataset.train', 'workload.dataset.validation']);
    expect(error.issues[0]?.message).toContain('a coordinator never reads a path a client chose');
  });

  it('refuses an artifact whose hash is not a sha256', () => {
    const spec = JSON.parse(JSON.stringify(parseSweepSpec(MINIMAL, 'minimal.yaml'))) as { workload: Record<string, unknown> };
    const artifact = { kind: 'artifact', sha256: '../../etc/passwd', size: 3, name: 'train.csv' };
    const good = { kind: 'artifact', sha256: 'a'.repeat(64), size: 3, name: 'validation.csv' };
    const tampered = { ...spec, workload: { ...spec.workload, dataset: { kind: 'csv', train: artifact, validation: good, target: 'y', standardize: false } } };
    const error = specError(() => parseSweepSpecJson(tampered));
    expect(error.issues.map((issue) => issue.path)).toEqual(['workload.dataset.train.sha256']);
  });
});

describe('earlyStop in a spec', () => {
  it('is absent from the compiled spec when the YAML has none', () => {
    expect(parseSweepSpec(MINIMAL, 'minimal.yaml').earlyStop).toBeUndefined();
  });

  it('fills every default the YAML leaves out', () => {
    const spec = parseSweepSpec(`${MINIMAL}earlyStop: { rule: median }\n`, 'minimal.yaml');
    expect(spec.earlyStop).toEqual({ rule: 'median', gracePeriod: 5, minTrials: 5, reductionFactor: 3, plateauGuard: true, rankStopped: 'below' });
  });

  it('keeps what the YAML sets', () => {
    const spec = parseSweepSpec(`${MINIMAL}earlyStop: { rule: asha, gracePeriod: 1, reductionFactor: 2, plateauGuard: false, rankStopped: together }\n`, 'minimal.yaml');
    expect(spec.earlyStop).toEqual({ rule: 'asha', gracePeriod: 1, minTrials: 5, reductionFactor: 2, plateauGuard: false, rankStopped: 'together' });
  });

  it('survives the trip to the coordinator as JSON', () => {
    const spec = parseSweepSpec(`${MINIMAL}earlyStop: { rule: asha, gracePeriod: 2 }\n`, 'minimal.yaml');
    expect(parseSweepSpecJson(JSON.parse(JSON.stringify(spec))).earlyStop).toEqual(spec.earlyStop);
  });
});
