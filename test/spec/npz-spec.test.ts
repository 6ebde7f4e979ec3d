// The npz dataset kind from YAML to a trained trial: compiled with its defaults, checked on the
// wire, its files listed for staging, and loaded through a FileResolver.
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileRef } from '../../src/artifacts/file-ref.js';
import { resolvedFileResolver } from '../../src/artifacts/file-resolver.js';
import { workloadFiles } from '../../src/artifacts/workload-files.js';
import { trialSpecSchema } from '../../src/rpc/trial-spec-schema.js';
import { parseSweepSpec, parseSweepSpecJson } from '../../src/spec/load.js';
import { SpecError } from '../../src/spec/spec-error.js';
import { DatasetError } from '../../src/train/datasets/dataset-error.js';
import { clearDatasetCache, loadDataset } from '../../src/train/datasets/load-dataset.js';
import { runTrial } from '../../src/train/trial-runner.js';
import { trialSpec } from '../train/trial-fixtures.js';

const numpy = resolve(import.meta.dirname, '../fixtures/numpy');
const specFile = join(numpy, 'sweep.yaml');

function specWith(dataset: string): string {
  return `name: npz
workload:
  dataset: ${dataset}
  model: { layers: [ {dense: 8, activation: relu}, {dense: 1} ] }
  batchSize: 4
  epochs: 2
  seed: 3
grid: { learningRate: [0.01], factor: [0.5], patience: [2] }
`;
}

function specError(run: () => unknown): SpecError {
  try {
    run();
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected a SpecError');
}

const artifact = (name: string, digit: string): FileRef => ({ kind: 'artifact', sha256: digit.repeat(64), size: 1332, name });

describe('an npz dataset in a spec', () => {
  it('compiles with x and y defaulting to "x" and "y", and validationSplit instead of a validation file', () => {
    const spec = parseSweepSpec(specWith('{ kind: npz, train: train.npz }'), specFile);
    expect(spec.workload.dataset).toEqual({
      kind: 'npz',
      train: { kind: 'local', path: join(numpy, 'train.npz') },
      x: 'x',
      y: 'y',
      validationSplit: 0.2,
      standardize: true,
    });
  });

  it('resolves a validation archive and the array keys the spec names', () => {
    const spec = parseSweepSpec(specWith('{ kind: npz, train: named.npz, validation: ./validation.npz, x: features, y: target, standardize: false }'), specFile);
    expect(spec.workload.dataset).toMatchObject({
      validation: { kind: 'local', path: join(numpy, 'validation.npz') },
      x: 'features',
      y: 'target',
      standardize: false,
    });
  });

  it('refuses an array name that is a path inside the archive, naming the field', () => {
    const error = specError(() => parseSweepSpec(specWith('{ kind: npz, train: train.npz, x: ../x }'), specFile));
    expect(error.issues[0]?.path).toBe('workload.dataset.x');
  });

  it('refuses a training archive that does not exist, naming the field', () => {
    const error = specError(() => parseSweepSpec(specWith('{ kind: npz, train: missing.npz }'), specFile));
    expect(error.issues[0]?.path).toBe('workload.dataset.train');
  });

  it('lists the training and validation archives as the files the workload needs', () => {
    const spec = parseSweepSpec(specWith('{ kind: npz, train: train.npz, validation: validation.npz }'), specFile);
    expect(workloadFiles(spec.workload).map((file) => file.field)).toEqual(['workload.dataset.train', 'workload.dataset.validation']);
  });

  it('travels to the coordinator as artifacts, and a client path in it is refused by name', () => {
    const compiled = JSON.parse(JSON.stringify(parseSweepSpec(specWith('{ kind: npz, train: train.npz }'), specFile))) as { workload: Record<string, unknown> };
    const staged = { ...compiled, workload: { ...compiled.workload, dataset: { kind: 'npz', train: artifact('train.npz', 'a'), x: 'x', y: 'y', validationSplit: 0.2, standardize: true } } };
    expect(parseSweepSpecJson(staged).workload.dataset).toMatchObject({ kind: 'npz', train: { kind: 'artifact', name: 'train.npz' } });
    const unstaged = { ...staged, workload: { ...staged.workload, dataset: { ...staged.workload.dataset, train: { kind: 'local', path: '/proc/self/environ' } } } };
    expect(specError(() => parseSweepSpecJson(unstaged)).issues[0]?.path).toBe('workload.dataset.train');
  });

  it('is accepted in a leased trial spec only with bounded array names', () => {
    const dataset = { kind: 'npz', train: artifact('train.npz', 'a'), validation: artifact('validation.npz', 'b'), x: 'x', y: 'y', validationSplit: 0.2, standardize: true };
    const good = JSON.parse(JSON.stringify(trialSpec())) as { workload: Record<string, unknown> };
    expect(trialSpecSchema.safeParse({ ...good, workload: { ...good.workload, dataset } }).success).toBe(true);
    const long = { ...dataset, y: 'y'.repeat(256) };
    expect(trialSpecSchema.safeParse({ ...good, workload: { ...good.workload, dataset: long } }).success).toBe(false);
  });
});

describe('loading an npz dataset', () => {
  it('reads the archives where the resolver says and names them by their original names', async () => {
    clearDatasetCache();
    const train = artifact('train.npz', 'c');
    const validation = artifact('validation.npz', 'd');
    const files = resolvedFileResolver({ [`sha256:${'c'.repeat(64)}`]: join(numpy, 'train.npz'), [`sha256:${'d'.repeat(64)}`]: join(numpy, 'images.npz') });
    const error: unknown = await loadDataset({ kind: 'npz', train, validation, x: 'x', y: 'y', validationSplit: 0.2, standardize: false }, files).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).message).toBe(`validation.npz: array "x": each sample has shape [4, 3, 2] but the training x's samples have [3]`);
  });

  it('trains a trial on it', async () => {
    clearDatasetCache();
    const dataset = { kind: 'npz', train: { kind: 'local', path: join(numpy, 'train.npz') }, validation: { kind: 'local', path: join(numpy, 'validation.npz') }, x: 'x', y: 'y', validationSplit: 0.2, standardize: true } as const;
    const result = await runTrial(trialSpec({ workload: { dataset, batchSize: 4 } }), { backend: 'cpu' });
    expect(result.outcome.status).toBe('succeeded');
    expect(result.history).toHaveLength(3);
  });
});
