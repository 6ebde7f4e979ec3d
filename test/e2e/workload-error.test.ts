// Failing once, clearly, all real: a `plateau coordinator` process and a `plateau agent` process
// with its worker, over gRPC on loopback. The spec's CSV loses its target column after the spec
// was validated: the first attempt's DatasetError is a workload error, the sweep ends failed
// after that one attempt, the other trials are cancelled with the reason, the message shows in
// status, results.json, results.csv and report.html, and the agent goes on with a healthy sweep.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResultsJson } from '../../src/results/parse-results.js';
import type { ResultsDocument } from '../../src/results/results-document.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import type { SweepClient } from '../../src/rpc/sweep-client.js';
import type { SweepSummary } from '../../src/rpc/sweep-progress.js';
import { stageSpec } from '../../src/artifacts/stage.js';
import { createGrpcArtifactClient } from '../../src/rpc/grpc-artifact-client.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { killAllPlateauProcesses, listeningAddress, runPlateau, spawnPlateau, type FinishedPlateau, type PlateauProcess } from '../support/plateau-process.js';
import { knownAnswerSpec, removeTempDirs, tempDir, writeSpec } from './fixtures.js';

const fixtures = fileURLToPath(new URL('../fixtures/csv/', import.meta.url));

const csvSpec = `
name: missing-target
workload:
  dataset: { kind: csv, train: train.csv, validation: validation.csv, target: price }
  model: { layers: [ { dense: 4, activation: relu }, { dense: 1 } ] }
  loss: meanSquaredError
  optimizer: sgd
  batchSize: 8
  epochs: 2
  seed: 5
plateau: { monitor: val_loss }
grid:
  learningRate: [0.01, 0.05]
  factor: [0.5]
  patience: [1, 2]
maxAttempts: 3
objective: { metric: val_loss, goal: minimize, use: final }
`;

let dir: string;
let coordinator: PlateauProcess;
let agent: PlateauProcess;
let address: string;
let client: SweepClient;
let sweepId: string;
let failedSummary: SweepSummary;
let status: FinishedPlateau;
let results: FinishedPlateau;
let doc: ResultsDocument;
let csvText: string;
let reportHtml: string;
let healthy: SweepSummary;

async function finished(id: string): Promise<SweepSummary> {
  for await (const progress of client.watch(id)) if (progress.summary.finishedAtMs !== null) return progress.summary;
  return client.get(id);
}

/** Uploaded as `plateau submit` uploads it: a coordinator refuses client paths. */
async function staged(spec: SweepSpec): Promise<SweepSpec> {
  const artifacts = createGrpcArtifactClient(address);
  try {
    return (await stageSpec(spec, artifacts)).spec;
  } finally {
    artifacts.close();
  }
}

beforeAll(async () => {
  dir = tempDir();
  coordinator = spawnPlateau(['--log-format', 'json', 'coordinator', '--port', '0', '--data-dir', join(dir, 'store'), '--lease-timeout', '10s']);
  address = await listeningAddress(coordinator);
  // One slot, one trial per lease: any second attempt would be one more lease, which the test would see.
  agent = spawnPlateau(['--log-format', 'json', 'agent', '--coordinator', address, '--slots', '1', '--backend', 'cpu', '--fuse', '1']);
  await agent.waitFor(/"event":"agent\.registration-accepted"/);
  client = createGrpcSweepClient(address);

  copyFileSync(join(fixtures, 'tiny-train.csv'), join(dir, 'train.csv'));
  copyFileSync(join(fixtures, 'tiny-validation.csv'), join(dir, 'validation.csv'));
  const specFile = writeSpec(dir, csvSpec);
  const spec = loadSweepSpecFile(specFile);
  // After validation, the training file loses its target column (the data changed under the sweep).
  const rows = readFileSync(join(dir, 'train.csv'), 'utf8').trim().split('\n');
  writeFileSync(join(dir, 'train.csv'), `${rows.map((row) => row.split(',').filter((_, index) => index !== 2).join(',')).join('\n')}\n`);
  sweepId = (await client.submit(await staged(spec), readFileSync(specFile, 'utf8'))).sweepId;
  failedSummary = await finished(sweepId);

  status = await runPlateau(['status', sweepId, '--coordinator', address]);
  results = await runPlateau(['results', sweepId, '--coordinator', address, '--out', join(dir, 'out')]);
  doc = parseResultsJson(readFileSync(join(dir, 'out', 'results.json'), 'utf8'));
  csvText = readFileSync(join(dir, 'out', 'results.csv'), 'utf8');
  reportHtml = readFileSync(join(dir, 'out', 'report.html'), 'utf8');

  const healthySpec = writeSpec(dir, knownAnswerSpec.replace('learningRate: [0.00001, 0.05, 100]', 'learningRate: [0.05]'), 'healthy.yaml');
  const second = await client.submit(await staged(loadSweepSpecFile(healthySpec)), readFileSync(healthySpec, 'utf8'));
  healthy = await finished(second.sweepId);
}, 180_000);

afterAll(async () => {
  client?.close();
  await killAllPlateauProcesses();
  removeTempDirs();
});

const expectedMessage = /train\.csv:1: the target column "price" \(named by the spec\) is not among the header/;

describe('a sweep whose data cannot be read', () => {
  it('ends failed after exactly one attempt in total', () => {
    expect(failedSummary.state).toBe('failed');
    expect(doc.trials.reduce((sum, trial) => sum + trial.attempts, 0)).toBe(1);
    expect(doc.trials.filter((trial) => trial.status === 'failed')).toHaveLength(1);
  });

  it('cancels the other trials with the reason workload-error', () => {
    const others = doc.trials.filter((trial) => trial.status !== 'failed');
    expect(others).toHaveLength(3);
    expect(others.every((trial) => trial.status === 'cancelled' && trial.cancelReason === 'workload-error')).toBe(true);
  });

  it('keeps the error once at the sweep level, naming the trial, the file, the line and what was expected', () => {
    const failedTrial = doc.trials.find((trial) => trial.status === 'failed');
    expect(failedSummary.error).toMatchObject({ kind: 'workload', scope: 'sweep', trialId: failedTrial?.id });
    expect(failedSummary.error?.message).toMatch(expectedMessage);
    expect(doc.sweep.error).toMatchObject({ kind: 'workload', scope: 'sweep', trialId: failedTrial?.id });
    expect(failedTrial?.error).toMatchObject({ kind: 'workload', message: expect.stringMatching(expectedMessage) });
  });

  it('shows the message in `plateau status`', () => {
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/— failed/);
    expect(status.stdout).toMatch(expectedMessage);
    expect(status.stdout).toMatch(/^Failed trials:\n.*\n\S+\s+failed\s+workload: .*train\.csv:1: the target column "price" \(named by the spec\) is not among the header/m);
  });

  it('makes `plateau results` exit 1 with the one message, and writes it to results.csv and report.html', () => {
    expect(results.code).toBe(1);
    expect(results.stderr).toMatch(/^Sweep failed: workload error in trial \S+: .*train\.csv:1: the target column "price" \(named by the spec\) is not among the header/m);
    expect(csvText).toMatch(/,failed,1,.*workload: .*train\.csv:1: the target column ""price"" \(named by the spec\) is not among the header/);
    expect(reportHtml).toContain('class="sweep-error"');
    expect(reportHtml).toMatch(/train\.csv:1: the target column &quot;price&quot; \(named by the spec\) is not among the header/);
  });

  it('is logged once by the coordinator, not once per trial', () => {
    expect(coordinator.stderr().match(/"event":"sweep\.failed-workload"/g)).toHaveLength(1);
  });

  it('leaves the agent healthy: it runs the next sweep to success', () => {
    expect(healthy).toMatchObject({ state: 'succeeded', error: null });
    expect(healthy.counts.succeeded).toBe(healthy.totalTrials);
    expect(agent.child.exitCode).toBeNull();
  });
});
