// `plateau run` on a random search: the sampled points train, rank and land in results.json
// like grid points (the built CLI, a real store, real worker processes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseResultsJson } from '../../src/results/parse-results.js';
import { expandGrid } from '../../src/spec/grid.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { killAllPlateauProcesses, spawnPlateau } from '../support/plateau-process.js';
import { knownAnswerSpec, removeTempDirs, tempDir, writeSpec } from './fixtures.js';

afterAll(() => {
  killAllPlateauProcesses();
  removeTempDirs();
});

const randomSpec = knownAnswerSpec
  .replace(/^grid:/m, 'method: random\ncount: 6\ngrid:')
  .replace(/learningRate: \[[^\]]*\]/, 'learningRate: { min: 0.005, max: 0.1, scale: log }')
  .replace(/factor: \[[^\]]*\]/, 'factor: { min: 0.1, max: 0.9 }');

describe('plateau run with method: random', () => {
  it('trains the sampled points, ranks them and records each point as validate listed it', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, randomSpec);
    const out = join(dir, 'out');
    const run = spawnPlateau(['run', spec, '--agents', '2', '--backend', 'cpu', '--out', out]);
    expect(await run.exited(), run.stderr()).toBe(0);
    expect(run.stdout()).toMatch(/rank\s+lr\s+factor\s+patience/);
    const doc = parseResultsJson(readFileSync(join(out, 'results.json'), 'utf8'), 'results.json');
    const planned = expandGrid(loadSweepSpecFile(spec)).map((trial) => trial.config.learningRate).sort();
    expect(doc.trials.map((trial) => trial.config.learningRate).sort()).toEqual(planned);
    expect(doc.trials.every((trial) => trial.status === 'succeeded')).toBe(true);
    expect(doc.best).not.toBeNull();
  });
});
