// A spec is data: the files it names must lie in its own directory unless --allow-paths.
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSweepSpecFile, parseSweepSpecJson } from '../../src/spec/load.js';
import { SpecError } from '../../src/spec/spec-error.js';
import { removeTempDirs, tempDir } from './fixtures.js';

const fixtures = resolve(import.meta.dirname, '../spec/fixtures');

function specWith(dataset: string, model = '{ layers: [ {dense: 8, activation: relu}, {dense: 1} ] }'): string {
  return `name: paths
workload:
  dataset: ${dataset}
  model: ${model}
  batchSize: 8
  epochs: 2
  seed: 3
grid: { learningRate: [0.01], factor: [0.5], patience: [2] }
`;
}

/** A spec folder with its own CSVs, plus a sibling folder holding "secret" files. */
function layout(): { specDir: string; outside: string } {
  const root = tempDir();
  const specDir = join(root, 'spec');
  const outside = join(root, 'elsewhere');
  mkdirSync(join(specDir, 'data'), { recursive: true });
  mkdirSync(outside);
  for (const name of ['train.csv', 'val.csv']) {
    copyFileSync(join(fixtures, 'data', name), join(specDir, 'data', name));
    copyFileSync(join(fixtures, 'data', name), join(outside, name));
  }
  copyFileSync(join(fixtures, 'model.json'), join(outside, 'model.json'));
  return { specDir, outside };
}

function issuesOf(run: () => unknown): SpecError {
  try {
    run();
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected a SpecError');
}

afterEach(() => removeTempDirs());

describe('data paths in a spec', () => {
  it('accepts files inside the spec directory', () => {
    const { specDir } = layout();
    const file = join(specDir, 'sweep.yaml');
    writeFileSync(file, specWith('{ kind: csv, train: data/train.csv, validation: ./data/val.csv, target: y }'));
    expect(loadSweepSpecFile(file).workload.dataset).toMatchObject({ kind: 'csv', train: { kind: 'local', path: join(specDir, 'data/train.csv') } });
  });

  it('refuses a path that climbs out, naming the field, file and line', () => {
    const { specDir } = layout();
    const file = join(specDir, 'sweep.yaml');
    writeFileSync(file, specWith('{ kind: csv, train: ../elsewhere/train.csv, validation: data/val.csv, target: y }'));
    const error = issuesOf(() => loadSweepSpecFile(file));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ file, path: 'workload.dataset.train', line: 3 });
    expect(error.issues[0]?.message).toMatch(/outside the spec's directory .* --allow-paths/);
  });

  it('refuses an absolute path and a model.json elsewhere', () => {
    const { specDir, outside } = layout();
    const file = join(specDir, 'sweep.yaml');
    writeFileSync(file, specWith(`{ kind: csv, train: ${join(outside, 'train.csv')}, validation: data/val.csv, target: y }`, `{ modelJson: ${join(outside, 'model.json')} }`));
    const error = issuesOf(() => loadSweepSpecFile(file));
    expect(error.issues.map((issue) => issue.path)).toEqual(['workload.dataset.train', 'workload.model.modelJson']);
  });

  it('follows symlinks: a link inside that points outside is refused', () => {
    const { specDir, outside } = layout();
    symlinkSync(join(outside, 'train.csv'), join(specDir, 'data', 'linked.csv'));
    const file = join(specDir, 'sweep.yaml');
    writeFileSync(file, specWith('{ kind: csv, train: data/linked.csv, validation: data/val.csv, target: y }'));
    expect(issuesOf(() => loadSweepSpecFile(file)).issues[0]?.path).toBe('workload.dataset.train');
  });

  it('accepts paths anywhere with allowPaths', () => {
    const { specDir, outside } = layout();
    const file = join(specDir, 'sweep.yaml');
    writeFileSync(file, specWith(`{ kind: csv, train: ${join(outside, 'train.csv')}, validation: ../elsewhere/val.csv, target: y }`));
    expect(loadSweepSpecFile(file, { allowPaths: true }).workload.dataset).toMatchObject({ train: { kind: 'local', path: join(outside, 'train.csv') } });
  });

  it('refuses a spec submitted as JSON that names a client path, whatever the client allowed', () => {
    const { specDir, outside } = layout();
    const file = join(specDir, 'sweep.yaml');
    writeFileSync(file, specWith(`{ kind: csv, train: ${join(outside, 'train.csv')}, validation: data/val.csv, target: y }`));
    const spec = loadSweepSpecFile(file, { allowPaths: true });
    const error = issuesOf(() => parseSweepSpecJson(JSON.parse(JSON.stringify(spec))));
    expect(error.issues.map((issue) => issue.path)).toEqual(['workload.dataset.train', 'workload.dataset.validation']);
  });

  it('passes a shared path on as written: only an agent that allows it reads it', () => {
    const { specDir, outside } = layout();
    const file = join(specDir, 'sweep.yaml');
    writeFileSync(file, specWith(`{ kind: csv, train: ${join(outside, 'train.csv')}, validation: ${join(outside, 'val.csv')}, target: y, location: shared }`));
    const spec = loadSweepSpecFile(file, { allowPaths: true });
    expect(spec.workload.dataset).toMatchObject({ train: { kind: 'shared', path: join(outside, 'train.csv') } });
    expect(parseSweepSpecJson(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
  });

  it('confines a shared path to the spec directory without allowPaths', () => {
    const { specDir, outside } = layout();
    const file = join(specDir, 'sweep.yaml');
    writeFileSync(file, specWith(`{ kind: csv, train: ${join(outside, 'train.csv')}, validation: data/val.csv, target: y, location: shared }`));
    const error = issuesOf(() => loadSweepSpecFile(file));
    expect(error.issues[0]).toMatchObject({ path: 'workload.dataset.train' });
  });
});
