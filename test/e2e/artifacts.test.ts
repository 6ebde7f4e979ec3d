// Data travels with the sweep, all real: a `plateau coordinator` process in one folder, `plateau
// submit` from a second folder that is deleted right after, a `plateau agent` in a third with
// its own cache. Every trial succeeds and the results equal a local `plateau run` of the same spec.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseResultsDocument } from '../../src/results/parse-results.js';
import type { ResultsDocument } from '../../src/results/results-document.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import { killAllPlateauProcesses, listeningAddress, runPlateau, spawnPlateau } from '../support/plateau-process.js';
import { removeTempDirs, tempDir } from './fixtures.js';

const fixtures = fileURLToPath(new URL('../fixtures/csv/', import.meta.url));

const csvSpec = `
name: csv-artifacts
workload:
  dataset: { kind: csv, train: data/train.csv, validation: data/validation.csv, target: price }
  model: { layers: [ { dense: 8, activation: relu }, { dense: 1 } ] }
  batchSize: 16
  epochs: 3
  seed: 7
grid:
  learningRate: [0.01, 0.05]
  factor: [0.5]
  patience: [1]
`;

/** A client folder: the spec and its data next to it. */
function clientFolder(): string {
  const dir = tempDir('plateau-client-');
  mkdirSync(join(dir, 'data'));
  copyFileSync(join(fixtures, 'tiny-train.csv'), join(dir, 'data', 'train.csv'));
  copyFileSync(join(fixtures, 'tiny-validation.csv'), join(dir, 'data', 'validation.csv'));
  writeFileSync(join(dir, 'sweep.yaml'), csvSpec);
  return dir;
}

interface SubmitAnswer {
  readonly sweepId: string;
  readonly uploadedBytes: number;
  readonly resumedBytes: number;
  readonly totalTrials: number;
}

async function submit(address: string, cwd: string, spec = 'sweep.yaml'): Promise<SubmitAnswer> {
  const done = await runPlateau(['submit', spec, '--coordinator', address, '--json'], { cwd });
  if (done.code !== 0) throw new Error(`submit exited ${done.code}: ${done.stderr}`);
  return JSON.parse(done.stdout) as SubmitAnswer;
}

function objectives(doc: ResultsDocument): Record<string, number | null> {
  return Object.fromEntries(doc.ranking.map((entry) => [entry.key, entry.objective?.mean ?? null]));
}

afterAll(async () => {
  await killAllPlateauProcesses();
  removeTempDirs();
});

describe('a sweep whose data lives only on the client', () => {
  it('runs every trial on an agent that never saw the client folder, with the results of a local run', async () => {
    const coordinatorDir = tempDir('plateau-coordinator-');
    const coordinator = spawnPlateau(['coordinator', '--port', '0', '--data-dir', 'data', '--metrics-port', '0'], { cwd: coordinatorDir });
    const address = await listeningAddress(coordinator);

    const client = clientFolder();
    const first = await submit(address, client);
    const again = await submit(address, client);
    rmSync(client, { recursive: true, force: true });
    expect(first.uploadedBytes).toBe(statSync(join(fixtures, 'tiny-train.csv')).size + statSync(join(fixtures, 'tiny-validation.csv')).size);
    // The second submit of the same data uploads nothing, and names the same sweep.
    expect(again).toMatchObject({ sweepId: first.sweepId, uploadedBytes: 0 });

    const agentDir = tempDir('plateau-agent-');
    const agent = spawnPlateau(['agent', '--coordinator', address, '--backend', 'cpu', '--slots', '1', '--cache-dir', 'cache', '--metrics-port', '0'], { cwd: agentDir });
    const sweeps = createGrpcSweepClient(address);
    let distributed: ResultsDocument;
    try {
      for await (const progress of sweeps.watch(first.sweepId)) if (progress.summary.finishedAtMs !== null) break;
      distributed = parseResultsDocument(await sweeps.results(first.sweepId));
    } finally {
      sweeps.close();
    }
    expect(distributed.trials.map((trial) => trial.status)).toEqual(['succeeded', 'succeeded']);
    expect(readdirSync(join(agentDir, 'cache', 'sha256'))).toHaveLength(2);
    agent.child.kill('SIGTERM');
    await agent.exited();

    const localDir = clientFolder();
    const local = await runPlateau(['run', 'sweep.yaml', '--agents', '1', '--backend', 'cpu', '--json', '--out', 'out'], { cwd: localDir });
    expect(local.code).toBe(0);
    const localDoc = parseResultsDocument(JSON.parse(readFileSync(join(localDir, 'out', 'results.json'), 'utf8')) as unknown);
    expect(localDoc.sweep.id).toBe(first.sweepId);
    expect(objectives(distributed)).toEqual(objectives(localDoc));
  }, 240_000);

  it('resumes an upload cut by a kill -9 of the coordinator, sending only the rest', async () => {
    const coordinatorDir = tempDir('plateau-coordinator-');
    const start = (): ReturnType<typeof spawnPlateau> => spawnPlateau(['coordinator', '--port', '0', '--data-dir', 'data', '--metrics-port', '0'], { cwd: coordinatorDir });
    let coordinator = start();
    let address = await listeningAddress(coordinator);

    const client = clientFolder();
    // 64 MiB of valid CSV: long enough to be caught mid-upload.
    const row = '0.5,0.25,0.125,1\n';
    const big = `a,b,c,price\n${row.repeat(Math.ceil((64 * 1024 * 1024) / row.length))}`;
    writeFileSync(join(client, 'data', 'train.csv'), big);
    const bigSha = createHash('sha256').update(big).digest('hex');
    const partial = join(coordinatorDir, 'data', 'blobs', 'partial', bigSha);

    const cut = spawnPlateau(['submit', 'sweep.yaml', '--coordinator', address, '--json'], { cwd: client });
    await cut.waitFor(/Uploading train\.csv/);
    // Wait for bytes to land in the partial file, then kill the coordinator without a chance to clean up.
    for (;;) {
      let held = 0;
      try {
        held = statSync(partial).size;
      } catch {
        held = 0;
      }
      if (held > 0) break;
      // A poll of the file, not a wait for time: the coordinator needs the CPU to receive.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    coordinator.child.kill('SIGKILL');
    await coordinator.exited();
    expect(await cut.exited()).not.toBe(0);

    coordinator = start();
    address = await listeningAddress(coordinator);
    const resumed = await submit(address, client);
    expect(resumed.resumedBytes).toBeGreaterThan(0);
    expect(resumed.uploadedBytes).toBeLessThan(Buffer.byteLength(big));
    expect(resumed.totalTrials).toBe(2);
    const stored = join(coordinatorDir, 'data', 'blobs', 'sha256', bigSha.slice(0, 2), bigSha);
    expect(statSync(stored).size).toBe(Buffer.byteLength(big));
  }, 240_000);
});
