// `plateau run` on data that cannot be trained: it ends with exit 1 and the one message, after the
// first failed attempt, with fused bundles on two slots (every member of a bundle meets the error at
// once: one trial fails, the others are cancelled).
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResultsJson } from '../../src/results/parse-results.js';
import type { ResultsDocument } from '../../src/results/results-document.js';
import { killAllPlateauProcesses, runPlateau, type FinishedPlateau } from '../support/plateau-process.js';
import { removeTempDirs, tempDir, writeSpec } from './fixtures.js';

const fixtures = fileURLToPath(new URL('../fixtures/csv/', import.meta.url));

const spec = `
name: wrong-target
workload:
  dataset: { kind: csv, train: train.csv, validation: validation.csv, target: y }
  model: { layers: [ { dense: 4, activation: relu }, { dense: 1 } ] }
  loss: meanSquaredError
  optimizer: sgd
  batchSize: 8
  epochs: 2
  seed: 5
plateau: { monitor: val_loss }
grid:
  learningRate: [0.01, 0.05, 0.1]
  factor: [0.5]
  patience: [1, 2]
maxAttempts: 3
objective: { metric: val_loss, goal: minimize, use: final }
`;

let run: FinishedPlateau;
let doc: ResultsDocument;

beforeAll(async () => {
  const dir = tempDir();
  copyFileSync(join(fixtures, 'tiny-train.csv'), join(dir, 'train.csv'));
  copyFileSync(join(fixtures, 'tiny-validation.csv'), join(dir, 'validation.csv'));
  const specFile = writeSpec(dir, spec);
  run = await runPlateau(['run', specFile, '--agents', '2', '--backend', 'cpu', '--out', join(dir, 'out')]);
  doc = parseResultsJson(readFileSync(join(dir, 'out', 'results.json'), 'utf8'));
}, 120_000);

afterAll(async () => {
  await killAllPlateauProcesses();
  removeTempDirs();
});

describe('plateau run on a CSV without its target column', () => {
  it('exits 1 with one line naming the file, the line and what was expected, as its last word', () => {
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^Sweep failed: workload error in trial \S+: .*train\.csv:1: the target column "y" \(named by the spec\) is not among the header/);
    expect(run.stderr.match(/Sweep failed:/g)).toHaveLength(1);
  });

  it('fails one trial, cancels the others with the reason, and retries none', () => {
    expect(doc.trials.filter((trial) => trial.status === 'failed')).toHaveLength(1);
    expect(doc.trials.filter((trial) => trial.status === 'cancelled').every((trial) => trial.cancelReason === 'workload-error')).toBe(true);
    expect(doc.trials.filter((trial) => trial.status === 'cancelled')).toHaveLength(5);
    expect(Math.max(...doc.trials.map((trial) => trial.attempts))).toBeLessThanOrEqual(1);
  });
});
