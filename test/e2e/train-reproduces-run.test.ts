// `plateau train SPEC --index N` reruns grid point N of a sweep: by default on the engine
// `plateau run` trained it on, so its history (loss, val_loss and lr of every epoch) and its LR
// reductions are the sweep's trial N bit for bit. Both through the built CLI, in real processes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseResultsJson } from '../../src/results/parse-results.js';
import type { ResultsDocument } from '../../src/results/results-document.js';
import type { TrialResult } from '../../src/trial/types.js';
import { killAllPlateauProcesses, runPlateau } from '../support/plateau-process.js';
import { removeTempDirs, tempDir, writeSpec } from './fixtures.js';

afterAll(() => {
  killAllPlateauProcesses();
  removeTempDirs();
});

const sweep27 = fileURLToPath(new URL('../../bench/specs/sweep27.yaml', import.meta.url));

/** A small grid that cuts its learning rates often (the cpu backend's fused engine is tfjs ops). */
const smallGrid = `
name: train-reproduces
workload:
  dataset: { kind: synthetic-regression, samples: 512, features: 4, noise: 0.1, seed: 5 }
  model: { layers: [ { dense: 16, activation: relu }, { dense: 8, activation: sigmoid }, { dense: 1 } ] }
  loss: meanSquaredError
  optimizer: adam
  batchSize: 32
  epochs: 12
  seed: 9
plateau: { monitor: val_loss, minDelta: 1.0e-3 }
grid:
  learningRate: [0.01, 0.1]
  factor: [0.5]
  patience: [0, 1]
objective: { metric: val_loss, goal: minimize, use: final }
`;

async function sweep(spec: string, backend: string): Promise<ResultsDocument> {
  const out = join(tempDir(), 'out');
  const run = await runPlateau(['run', spec, '--agents', '2', '--backend', backend, '--out', out, '--json']);
  if (run.code !== 0) throw new Error(`plateau run exited ${String(run.code)}\n${run.stderr}`);
  return parseResultsJson(readFileSync(join(out, 'results.json'), 'utf8'), 'results.json');
}

async function train(spec: string, index: number, backend: string, extra: readonly string[] = []): Promise<TrialResult> {
  const run = await runPlateau(['train', spec, '--index', String(index), '--backend', backend, '--json', ...extra]);
  if (run.code !== 0) throw new Error(`plateau train exited ${String(run.code)}\n${run.stderr}`);
  return JSON.parse(run.stdout) as TrialResult;
}

/** Every epoch's loss, val_loss and lr, as exact numbers (JSON round-trips doubles). */
function history(records: readonly { readonly loss: number | null; readonly val_loss?: number | null; readonly lr: number }[]): (number | null | undefined)[][] {
  return records.map((record) => [record.loss, record.val_loss, record.lr]);
}

describe('plateau train --index N reproduces trial N of plateau run', () => {
  it('equals sweep27\'s lr 0.01 / factor 0.1 / patience 2 trial bit for bit over 30 epochs on the wasm kernels', async () => {
    const results = await sweep(sweep27, 'wasm');
    // learningRate varies slowest: [0.001, 0.003, 0.01] × factor [0.1, 0.3, 0.5] × patience [2, 5, 10].
    const index = 2 * 9;
    const trial = results.trials[index];
    expect(trial?.config).toMatchObject({ learningRate: 0.01, factor: 0.1, patience: 2 });
    const trained = await train(sweep27, index, 'wasm');
    expect(trained.trialId).toBe(trial?.id);
    expect(trained.history).toHaveLength(30);
    expect(trial?.lrReductions.length).toBeGreaterThan(0);
    expect(trained.lrReductions).toEqual(trial?.lrReductions);
    expect(history(trained.history)).toEqual(history(trial?.history ?? []));
  }, 300_000);

  it('equals every trial of a small sweep bit for bit on the cpu backend', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, smallGrid);
    const results = await sweep(spec, 'cpu');
    let reductions = 0;
    const trainedAll = await Promise.all(results.trials.map((_, index) => train(spec, index, 'cpu')));
    for (const [index, trial] of results.trials.entries()) {
      const trained = trainedAll[index];
      expect(trained?.trialId).toBe(trial.id);
      expect(trained?.lrReductions).toEqual(trial.lrReductions);
      expect(history(trained?.history ?? [])).toEqual(history(trial.history));
      reductions += trial.lrReductions.length;
    }
    expect(reductions).toBeGreaterThan(0);
  }, 300_000);

  it('says which engine it trains on, and trains through model.fit with --engine fit', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, smallGrid);
    const byDefault = await runPlateau(['train', spec, '--index', '1', '--backend', 'wasm']);
    expect(byDefault.code).toBe(0);
    expect(byDefault.stdout).toMatch(/^Engine: the wasm kernels, as plateau run trains this trial/m);
    const fit = await runPlateau(['train', spec, '--index', '1', '--backend', 'wasm', '--engine', 'fit']);
    expect(fit.code).toBe(0);
    expect(fit.stdout).toMatch(/^Engine: tfjs model\.fit on wasm \(--engine fit\)$/m);
    expect(fit.stdout.split('\n').filter((line) => /^Epoch \d+\/12 - loss: /.test(line))).toHaveLength(12);
  }, 300_000);

  it('refuses an unknown engine with one line and exit code 2', async () => {
    const run = await runPlateau(['train', sweep27, '--index', '0', '--engine', 'fast']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('--engine: "fast" — expected run or fit');
  });
});
