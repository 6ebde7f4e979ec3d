// `plateau run` trains compatible trials fused by default; every trial's history must be
// exactly what it is when each trial trains on its own (`--fuse 1`), on the cpu backend.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseResultsJson } from '../../src/results/parse-results.js';
import type { ResultsDocument } from '../../src/results/results-document.js';
import { killAllPlateauProcesses, spawnPlateau, type PlateauProcess } from '../support/plateau-process.js';
import { removeTempDirs, tempDir, writeSpec } from './fixtures.js';

afterAll(() => {
  killAllPlateauProcesses();
  removeTempDirs();
});

/** 8 configs, 4 epochs: a patience of 1 with a large lr makes the plateau schedule fire. */
function gridSpec(optimizer: 'sgd' | 'adam'): string {
  return `
name: fused-${optimizer}
workload:
  dataset: { kind: synthetic-regression, samples: 256, features: 4, noise: 0.1, seed: 5 }
  model: { layers: [ { dense: 16, activation: relu }, { dense: 8, activation: tanh }, { dense: 1 } ] }
  loss: meanSquaredError
  optimizer: ${optimizer}
  batchSize: 32
  epochs: 4
  seed: 9
plateau: { monitor: val_loss, minDelta: 1.0e-3 }
grid:
  learningRate: [0.001, 0.01, 0.1, 0.5]
  factor: [0.5]
  patience: [0, 1]
objective: { metric: val_loss, goal: minimize, use: final }
`;
}

async function results(run: PlateauProcess, out: string): Promise<ResultsDocument> {
  const code = await run.exited();
  if (code !== 0) throw new Error(`plateau run exited ${String(code)}\n${run.stderr()}`);
  return parseResultsJson(readFileSync(join(out, 'results.json'), 'utf8'), 'results.json');
}

describe('plateau run with fused trials', () => {
  it.each(['sgd', 'adam'] as const)('gives every trial the same history fused as alone (%s)', async (optimizer) => {
    const dir = tempDir();
    const spec = writeSpec(dir, gridSpec(optimizer));
    const common = ['--log-format', 'json', '--log-level', 'info', 'run', spec, '--agents', '1', '--backend', 'cpu', '--json'];
    const fusedOut = join(dir, 'fused');
    const aloneOut = join(dir, 'alone');
    const fusedRun = spawnPlateau([...common, '--out', fusedOut]);
    const aloneRun = spawnPlateau([...common, '--out', aloneOut, '--fuse', '1']);
    const [fused, alone] = await Promise.all([results(fusedRun, fusedOut), results(aloneRun, aloneOut)]);

    expect(fusedRun.stderr()).toContain('"event":"bundle.started"');
    expect(aloneRun.stderr()).not.toContain('"event":"bundle.started"');
    expect(fused.trials).toHaveLength(8);
    const byId = (doc: ResultsDocument): Map<string, ResultsDocument['trials'][number]> => new Map(doc.trials.map((trial) => [trial.id, trial]));
    const aloneById = byId(alone);
    for (const trial of fused.trials) {
      const other = aloneById.get(trial.id);
      expect(other, trial.id).toBeDefined();
      expect(trial.status, trial.id).toBe(other?.status);
      expect(trial.history, trial.id).toEqual(other?.history);
      expect(trial.lrReductions, trial.id).toEqual(other?.lrReductions);
    }
    // The grid is chosen so that the schedule matters: some trial's learning rate was reduced.
    expect(fused.trials.some((trial) => trial.lrReductions.length > 0)).toBe(true);
  });

  it('gives every trial the same history on 2 slots as on 1 (wasm), parts of bundles moving between slots or not', async () => {
    const dir = tempDir();
    // Two rate groups whose schedules part early: near the end one slot often goes idle while the
    // other still trains several physical members, and takes part of them over. Whether it does
    // depends on timing (test/agent/agent-steal.test.ts makes it happen every time); the histories
    // must not depend on it.
    const spec = writeSpec(
      dir,
      `
name: stealing
workload:
  dataset: { kind: synthetic-regression, samples: 2048, features: 4, noise: 0.1, seed: 5 }
  model: { layers: [ { dense: 16, activation: relu }, { dense: 1 } ] }
  loss: meanSquaredError
  optimizer: adam
  batchSize: 32
  epochs: 40
  seed: 9
plateau: { monitor: val_loss, minDelta: 0.5 }
grid:
  learningRate: [0.00001, 0.03]
  factor: [0.1, 0.5, 0.7]
  patience: [0, 1]
objective: { metric: val_loss, goal: minimize, use: final }
`,
    );
    const common = ['--log-format', 'json', '--log-level', 'info', 'run', spec, '--backend', 'wasm', '--json'];
    const oneOut = join(dir, 'one');
    const twoOut = join(dir, 'two');
    const oneRun = spawnPlateau([...common, '--agents', '1', '--out', oneOut]);
    const one = await results(oneRun, oneOut);
    const twoRun = spawnPlateau([...common, '--agents', '2', '--out', twoOut]);
    const two = await results(twoRun, twoOut);

    const oneById = new Map(one.trials.map((trial) => [trial.id, trial]));
    expect(two.trials).toHaveLength(12);
    for (const trial of two.trials) {
      const alone = oneById.get(trial.id);
      expect(trial.status, trial.id).toBe(alone?.status);
      // The moved part carries its float32 state: bit for bit what one slot trained.
      expect(trial.history, trial.id).toEqual(alone?.history);
      expect(trial.lrReductions, trial.id).toEqual(alone?.lrReductions);
    }
  });
});
