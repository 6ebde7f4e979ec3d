// `plateau run` on NumPy data: the archives are staged as artifacts, fetched by the agent and
// loaded by its workers, exactly as a CSV is — from a spec a Keras user would write.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseResultsJson } from '../../src/results/parse-results.js';
import { killAllPlateauProcesses, spawnPlateau } from '../support/plateau-process.js';
import { removeTempDirs, tempDir, writeSpec } from './fixtures.js';

const numpy = resolve(import.meta.dirname, '../fixtures/numpy');

afterAll(() => {
  killAllPlateauProcesses();
  removeTempDirs();
});

const npzSpec = (dataset: string): string => `name: npz-run
workload:
  dataset: ${dataset}
  model: { layers: [ {dense: 4, activation: relu}, {dense: 1} ] }
  batchSize: 4
  epochs: 3
  seed: 5
grid: { learningRate: [0.01, 0.05], factor: [0.5], patience: [1] }
`;

describe('plateau run on an npz dataset', () => {
  it('trains every trial on the arrays of np.savez and np.savez_compressed archives', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'));
    copyFileSync(join(numpy, 'train.npz'), join(dir, 'data', 'train.npz'));
    copyFileSync(join(numpy, 'validation.npz'), join(dir, 'data', 'val.npz'));
    const spec = writeSpec(dir, npzSpec('{ kind: npz, train: data/train.npz, validation: data/val.npz, x: x, y: y }'));
    const out = join(dir, 'out');
    const run = spawnPlateau(['run', spec, '--agents', '1', '--backend', 'cpu', '--out', out]);
    expect(await run.exited()).toBe(0);
    const doc = parseResultsJson(readFileSync(join(out, 'results.json'), 'utf8'), 'results.json');
    expect(doc.trials.map((trial) => trial.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('fails its trials with a DatasetError naming the archive and the missing array', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'));
    copyFileSync(join(numpy, 'train.npz'), join(dir, 'data', 'train.npz'));
    const spec = writeSpec(dir, npzSpec('{ kind: npz, train: data/train.npz, y: labels }'));
    const run = spawnPlateau(['run', spec, '--agents', '1', '--backend', 'cpu', '--out', join(dir, 'out')]);
    await run.exited();
    expect(run.stdout() + run.stderr()).toMatch(/train\.npz: no array named \\?"labels\\?" in the archive/);
  });
});
