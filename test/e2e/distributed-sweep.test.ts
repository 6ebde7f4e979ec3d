// The distributed product, all real: a `plateau coordinator` process with its SQLite file,
// two `plateau agent` processes with worker children, talking gRPC over loopback.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResultsDocument } from '../../src/results/parse-results.js';
import type { ResultsDocument } from '../../src/results/results-document.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import type { SweepClient } from '../../src/rpc/sweep-client.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { killAllPlateauProcesses, spawnPlateau, type PlateauProcess } from '../support/plateau-process.js';
import { knownAnswerSpec, removeTempDirs, tempDir, writeSpec } from './fixtures.js';

let coordinator: PlateauProcess;
let agents: PlateauProcess[];
let client: SweepClient;
let doc: ResultsDocument;
let crashedWorkerPid: number | null = null;

/** The worker processes (children) of an agent process. */
function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

beforeAll(async () => {
  const dir = tempDir();
  coordinator = spawnPlateau(['coordinator', '--port', '0', '--data-dir', `${dir}/store`, '--lease-timeout', '10s']);
  const [, address] = await coordinator.waitFor(/coordinator listening on (\S+)/);
  if (address === undefined) throw new Error('no address');
  // --fuse 1: this test is about one trial's crash costing only that trial (a fused bundle's crash costs all its members).
  agents = [0, 1].map(() => spawnPlateau(['--log-format', 'json', 'agent', '--coordinator', address, '--slots', '1', '--backend', 'cpu', '--fuse', '1']));
  await Promise.all(agents.map((agent) => agent.waitFor(/"event":"agent\.registration-accepted"/)));

  client = createGrpcSweepClient(address);
  const specFile = writeSpec(dir, knownAnswerSpec);
  const submitted = await client.submit(loadSweepSpecFile(specFile), readFileSync(specFile, 'utf8'));

  // Crash one agent's worker mid-trial: only that trial may suffer, and it is retried.
  const firstAgent = agents[0];
  const agentPid = firstAgent?.child.pid;
  if (firstAgent === undefined || agentPid === undefined) throw new Error('no agent');
  await firstAgent.waitFor(/"event":"trial\.started"/);
  crashedWorkerPid = childPids(agentPid)[0] ?? null;
  if (crashedWorkerPid !== null) process.kill(crashedWorkerPid, 'SIGKILL');

  for await (const progress of client.watch(submitted.sweepId)) if (progress.summary.finishedAtMs !== null) break;
  doc = parseResultsDocument(await client.results(submitted.sweepId));
}, 120_000);

afterAll(() => {
  client?.close();
  killAllPlateauProcesses();
  removeTempDirs();
});

describe('a sweep across a coordinator and two agent processes', () => {
  it('records every trial of the grid exactly once', () => {
    const ids = doc.trials.map((trial) => trial.id);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    expect(doc.trials.every((trial) => trial.status === 'succeeded' || trial.status === 'diverged')).toBe(true);
  });

  it('spreads the trials over both agents', () => {
    expect(new Set(doc.trials.map((trial) => trial.agent)).size).toBe(2);
  });

  it('ranks the learning rate that learns above the one that barely moves, and diverged configs last', () => {
    const lrs = doc.ranking.map((entry) => entry.config.learningRate);
    expect(lrs).toEqual([0.05, 0.05, 0.05, 0.05, 0.00001, 0.00001, 0.00001, 0.00001, 100, 100, 100, 100]);
    expect(doc.ranking.slice(-4).every((entry) => entry.flags.includes('diverged'))).toBe(true);
    expect(doc.best?.config.learningRate).toBe(0.05);
  });

  it('retries the trial whose worker was killed, and only that one', () => {
    expect(crashedWorkerPid).not.toBeNull();
    const retried = doc.trials.filter((trial) => trial.attempts > 1);
    expect(retried).toHaveLength(1);
    expect(retried[0]?.attempts).toBe(2);
  });

  it('keeps both agents up after the crash', () => {
    for (const agent of agents) expect(agent.child.exitCode).toBeNull();
  });

  it('drains each agent on SIGTERM and exits 0', async () => {
    const codes = agents.map((agent) => agent.exited());
    for (const agent of agents) agent.child.kill('SIGTERM');
    expect(await Promise.all(codes)).toEqual([0, 0]);
  });
});
