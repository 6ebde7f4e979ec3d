// Early stopping end to end, all real: `plateau run` (coordinator, agent and worker processes in
// one command), then a `plateau coordinator` process with a `plateau agent`, driven by submit,
// watch, status and results, with the coordinator's /metrics scraped at the end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResultsJson } from '../../src/results/parse-results.js';
import type { ResultsDocument, ResultsTrial } from '../../src/results/results-document.js';
import { sampleValue } from '../metrics/exposition.js';
import { killAllPlateauProcesses, listeningAddress, runPlateau, spawnPlateau, type FinishedPlateau } from '../support/plateau-process.js';
import { removeTempDirs, tempDir, writeSpec } from './fixtures.js';

/**
 * 3 learning rates × 2 factors × 2 patiences, 20 epochs of sgd, one fused bundle. lr 0.05 learns,
 * 1e-4 and 1e-5 barely move, so the median rule stops slow trials from epoch 2 on. The good rate
 * comes first in the grid: a bundle's members report in grid order, and a trial is compared only
 * with the trials that reported the epoch before it. minDelta 0 keeps the slow trials' plateau
 * counters at zero (each epoch improves a little), so the plateau guard does not hold them.
 * Epochs reach the coordinator at most once a second per trial, so the bundle is sized to train
 * for seconds: a sweep that ends within its first flush would never be judged.
 */
const earlyStopSpec = `
name: early-stop-e2e
workload:
  dataset: { kind: synthetic-regression, samples: 8192, features: 8, noise: 0.05, seed: 3 }
  model: { layers: [ { dense: 16, activation: relu }, { dense: 1 } ] }
  loss: meanSquaredError
  optimizer: sgd
  batchSize: 32
  epochs: 20
  seed: 11
plateau: { monitor: val_loss, minDelta: 0 }
grid:
  learningRate: [0.05, 0.0001, 0.00001]
  factor: [0.1, 0.5]
  patience: [3, 4]
objective: { metric: val_loss, goal: minimize, use: final }
earlyStop: { rule: median, gracePeriod: 2, minTrials: 2 }
`;

afterAll(async () => {
  await killAllPlateauProcesses();
  removeTempDirs();
});

function readResults(dir: string): ResultsDocument {
  return parseResultsJson(readFileSync(join(dir, 'results.json'), 'utf8'), 'results.json');
}

const stoppedTrials = (doc: ResultsDocument): ResultsTrial[] => doc.trials.filter((trial) => trial.status === 'pruned');

describe('plateau run with earlyStop', () => {
  let run: FinishedPlateau;
  let doc: ResultsDocument;
  let out: string;

  beforeAll(async () => {
    const dir = tempDir();
    out = join(dir, 'out');
    run = await runPlateau(['run', writeSpec(dir, earlyStopSpec), '--agents', '1', '--backend', 'cpu', '--out', out]);
    doc = readResults(out);
  }, 120_000);

  it('exits 0 with every trial ended, some of them stopped early', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(doc.trials).toHaveLength(12);
    expect(doc.trials.every((trial) => trial.status === 'succeeded' || trial.status === 'pruned')).toBe(true);
    expect(stoppedTrials(doc).length).toBeGreaterThan(0);
    expect(doc.trials.some((trial) => trial.status === 'succeeded')).toBe(true);
  });

  it('records each stopped trial once, with its stop record and its history cut at the stop', () => {
    for (const trial of stoppedTrials(doc)) {
      expect(trial.attempts).toBe(1);
      expect(trial.stop?.rule).toBe('median');
      const stop = trial.stop;
      if (stop === undefined) throw new Error(`trial ${trial.id} is pruned without a stop record`);
      expect(stop.epoch).toBeGreaterThanOrEqual(2);
      expect(stop.epoch).toBeLessThan(20);
      expect(stop.value).toBeGreaterThan(stop.threshold);
      expect(trial.history.map((record) => record.epoch)).toEqual(Array.from({ length: stop.epoch }, (_, index) => index + 1));
      expect(trial.objective).toBe(stop.value);
    }
    for (const trial of doc.trials.filter((candidate) => candidate.status === 'succeeded')) expect(trial.stop).toBeUndefined();
  });

  it('ranks every stopped config below every finished one, and recommends a finished one', () => {
    const stopped = doc.ranking.map((entry) => entry.statuses.includes('pruned'));
    const firstStopped = stopped.indexOf(true);
    expect(firstStopped).toBeGreaterThan(0);
    expect(stopped.slice(firstStopped).every(Boolean)).toBe(true);
    expect(doc.best?.config.learningRate).toBe(0.05);
  });

  it('prints the stopped configs with their stop epoch and rule, and counts them on the progress line', () => {
    const first = stoppedTrials(doc)
      .map((trial) => trial.stop?.epoch ?? 0)
      .sort((a, b) => a - b)[0];
    expect(run.stdout).toContain(`stopped@${first ?? 0} (median)`);
    expect(run.stdout).toMatch(new RegExp(`early stopping: median from epoch 2, at least 2 others, plateau guard on, .* ${stoppedTrials(doc).length} of 12 trials stopped`));
    expect(run.stderr).toContain(`12/12 done (100%), 0 running, 0 failed, ${stoppedTrials(doc).length} stopped`);
  });

  it('writes the stop record into results.csv for the stopped trials only', () => {
    const [header, ...rows] = readFileSync(join(out, 'results.csv'), 'utf8').trimEnd().split('\r\n');
    expect(header?.split(',').at(-1)).toBe('stop');
    const stopCells = rows.map((row) => row.split(',').at(-1) ?? '');
    expect(stopCells.filter((cell) => cell.startsWith('median at epoch ')).length).toBe(stoppedTrials(doc).length);
    expect(stopCells.filter((cell) => cell === '').length).toBe(12 - stoppedTrials(doc).length);
  });
});

describe('early stopping on a coordinator process, seen through the client commands and /metrics', () => {
  let doc: ResultsDocument;
  let status: FinishedPlateau;
  let results: FinishedPlateau;
  let watch: FinishedPlateau;
  let metrics: string;

  beforeAll(async () => {
    const dir = tempDir();
    const coordinator = spawnPlateau(['coordinator', '--port', '0', '--metrics-port', '0', '--data-dir', join(dir, 'store')]);
    const address = await listeningAddress(coordinator);
    const [, metricsUrl] = await coordinator.waitFor(/coordinator metrics on (http:\S+)/);
    spawnPlateau(['agent', '--coordinator', address, '--slots', '1', '--backend', 'cpu']);
    const submitted = await runPlateau(['submit', writeSpec(dir, earlyStopSpec), '--coordinator', address, '--json']);
    const { sweepId } = JSON.parse(submitted.stdout) as { sweepId: string };
    watch = await runPlateau(['watch', sweepId, '--coordinator', address]);
    status = await runPlateau(['status', sweepId, '--coordinator', address]);
    results = await runPlateau(['results', sweepId, '--coordinator', address, '--out', join(dir, 'results')]);
    doc = readResults(join(dir, 'results'));
    metrics = await (await fetch(metricsUrl ?? '')).text();
  }, 120_000);

  it('counts the stopped trials in watch and status', () => {
    const stopped = stoppedTrials(doc).length;
    expect(stopped).toBeGreaterThan(0);
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stdout).toContain(`${stopped} stopped early`);
    expect(status.stdout).toContain(`12/12 trials done: ${12 - stopped} succeeded, 0 running, 0 queued, ${stopped} stopped early`);
  });

  it('marks the stopped configs in the ranking that results prints', () => {
    expect(results.code, results.stderr).toBe(0);
    expect(results.stdout).toMatch(/stopped@\d+ \(median\)/);
    expect(results.stdout).toContain('stopped@E (rule): stopped early at the end of epoch E, ranked below every finished config');
  });

  it('counts every stop in plateau_trials_stopped_total by rule', () => {
    expect(sampleValue(metrics, 'plateau_trials_stopped_total', { rule: 'median' })).toBe(stoppedTrials(doc).length);
  });
});
