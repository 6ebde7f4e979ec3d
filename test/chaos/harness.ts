// Real processes on loopback for chaos tests: a `plateau coordinator` (restartable on the same
// port and data dir), `plateau agent`s that can be killed, stopped and replaced, a client that
// survives coordinator restarts, and the undisturbed baseline every chaotic run must equal.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';
import { parseResultsDocument } from '../../src/results/parse-results.js';
import type { ResultsDocument } from '../../src/results/results-document.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import type { SweepClient } from '../../src/rpc/sweep-client.js';
import { expandGrid } from '../../src/spec/grid.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import { runTrial } from '../../src/train/trial-runner.js';
import type { EpochRecord } from '../../src/trial/types.js';
import { killAllPlateauProcesses, listeningAddress, spawnPlateau, type PlateauProcess } from '../support/plateau-process.js';
import { removeTempDirs } from '../support/temp-dirs.js';

/** 8 tiny trials (~0.3–1 s each on cpu); attempts to spare, since chaos costs some. */
export const chaosSpecText = `
name: chaos
workload:
  dataset: { kind: synthetic-regression, samples: 384, features: 4, noise: 0.05, seed: 5 }
  model: { layers: [ { dense: 8, activation: relu }, { dense: 1 } ] }
  loss: meanSquaredError
  optimizer: sgd
  batchSize: 32
  epochs: 8
  seed: 21
plateau: { monitor: val_loss, minDelta: 1.0e-4 }
grid:
  learningRate: [0.03, 0.1]
  factor: [0.2, 0.5]
  patience: [1, 2]
objective: { metric: val_loss, goal: minimize, use: final }
maxAttempts: 20
`;

export interface ChaosFigures {
  readonly scenario: string;
  readonly faultsInjected: number;
  readonly trials: number;
  readonly trialsCompleted: number;
  readonly duplicates: number;
  readonly resultsLost: number;
  readonly resultsDifferingFromBaseline: number;
  readonly attemptsStarted: number;
  readonly staleReportsRejected: number;
  /** Longest time from a fault to the next trial result recorded. */
  readonly maxRecoveryMs: number | null;
  readonly wallMs: number;
}

export class ChaosCluster {
  readonly dir: string;
  readonly dataDir: string;
  readonly specFile: string;
  readonly spec: SweepSpec;
  coordinator: PlateauProcess | null = null;
  address = '';
  readonly agents: PlateauProcess[] = [];
  private readonly client: SweepClient[] = [];

  constructor(
    dir: string,
    readonly leaseTimeout = '2s',
  ) {
    this.dir = dir;
    this.dataDir = join(dir, 'store');
    mkdirSync(this.dataDir, { recursive: true });
    this.specFile = join(dir, 'chaos.yaml');
    writeFileSync(this.specFile, chaosSpecText);
    this.spec = loadSweepSpecFile(this.specFile);
  }

  /** Starts (or restarts, on the same port and data dir) the coordinator. */
  async startCoordinator(): Promise<void> {
    const port = this.address === '' ? '0' : (this.address.split(':').at(-1) ?? '0');
    const coordinator = spawnPlateau(['--log-format', 'json', 'coordinator', '--port', port, '--data-dir', this.dataDir, '--lease-timeout', this.leaseTimeout]);
    this.address = await listeningAddress(coordinator, 30_000);
    this.coordinator = coordinator;
  }

  /** `fuse` 1 gives per-trial leases (the SIGSTOP scenario follows one trial); default: the agent's fused bundles. */
  async startAgent(options: { fuse?: number } = {}): Promise<PlateauProcess> {
    const fuse = options.fuse === undefined ? [] : ['--fuse', String(options.fuse)];
    const agent = spawnPlateau(['--log-format', 'json', 'agent', '--coordinator', this.address, '--slots', '1', '--backend', 'cpu', '--drain', '0', ...fuse]);
    this.agents.push(agent);
    await agent.waitFor(/agent started/, 30_000);
    return agent;
  }

  liveAgents(): PlateauProcess[] {
    return this.agents.filter((agent) => agent.child.exitCode === null && agent.child.signalCode === null);
  }

  sweepClient(): SweepClient {
    const client = createGrpcSweepClient(this.address, { callTimeoutMs: 5_000 });
    this.client.push(client);
    return client;
  }

  async submit(): Promise<string> {
    const client = this.sweepClient();
    const submitted = await client.submit(this.spec, readFileSync(this.specFile, 'utf8'));
    return submitted.sweepId;
  }

  /**
   * Resolves once the sweep has finished. Each progress event goes to `onProgress`; a watch
   * cut by a coordinator restart is opened again (the channel reconnects on its own).
   */
  async waitForSweepEnd(sweepId: string, onProgress: (finished: number) => void = () => undefined, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const client = this.sweepClient();
    while (Date.now() < deadline) {
      try {
        for await (const progress of client.watch(sweepId)) {
          const { counts } = progress.summary;
          onProgress(counts.succeeded + counts.failed + counts.diverged + counts.pruned + counts.cancelled);
          if (progress.summary.finishedAtMs !== null) return;
        }
      } catch {
        // The coordinator is down (being restarted): watch again shortly.
        await sleep(200);
      }
    }
    throw new Error(`sweep ${sweepId} did not finish within ${timeoutMs} ms`);
  }

  async results(sweepId: string): Promise<ResultsDocument> {
    return parseResultsDocument(await this.sweepClient().results(sweepId));
  }

  /** Coordinator log events of one name (json log format). */
  coordinatorEvents(name: string, process: PlateauProcess | null = this.coordinator): Record<string, unknown>[] {
    if (process === null) return [];
    return process
      .stderr()
      .split('\n')
      .filter((line) => line.includes(`"event":"${name}"`))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  close(): void {
    for (const client of this.client.splice(0)) client.close();
  }
}

/** What a chaos scenario leaves to check: the sweep's results, the undisturbed run's, and the wall time. */
export interface ChaosOutcome {
  readonly doc: ResultsDocument;
  readonly baseline: Map<string, BaselineTrial>;
  readonly wallMs: number;
}

/**
 * Starts what every chaos scenario measures against: the undisturbed baseline (trained in this
 * process while the cluster runs) and the wall clock. `finish` fetches the ended sweep's results.
 */
export function beginChaosRun(cluster: ChaosCluster): { finish(sweepId: string): Promise<ChaosOutcome> } {
  const started = Date.now();
  const baselineDone = undisturbedBaseline(cluster.spec);
  return {
    async finish(sweepId) {
      const doc = await cluster.results(sweepId);
      const baseline = await baselineDone;
      return { doc, baseline, wallMs: Date.now() - started };
    },
  };
}

/** afterAll of a chaos file: closes the cluster's clients, kills every plateau process, removes the temp folders. */
export async function tearDownChaos(cluster: ChaosCluster | undefined): Promise<void> {
  cluster?.close();
  await killAllPlateauProcesses();
  removeTempDirs();
}

/** The worker processes (children) of an agent process. */
export function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export interface BaselineTrial {
  readonly history: readonly EpochRecord[];
  readonly objective: number | null;
  readonly status: string;
}

/** Every trial of the spec trained once, undisturbed, on the cpu backend in this process. */
export async function undisturbedBaseline(spec: SweepSpec): Promise<Map<string, BaselineTrial>> {
  const baseline = new Map<string, BaselineTrial>();
  for (const trial of expandGrid(spec)) {
    const result = await runTrial(trial, { backend: 'cpu' });
    baseline.set(trial.id, { history: result.history, objective: result.objective, status: result.outcome.status });
  }
  return baseline;
}

/**
 * The end state every chaos run must reach: every trial of the grid recorded once, none lost,
 * and each one's history and objective exactly those of the undisturbed run.
 */
export function checkAgainstBaseline(doc: ResultsDocument, spec: SweepSpec, baseline: ReadonlyMap<string, BaselineTrial>): Omit<ChaosFigures, 'scenario' | 'faultsInjected' | 'maxRecoveryMs' | 'wallMs' | 'staleReportsRejected'> {
  const expected = expandGrid(spec).map((trial) => trial.id);
  const ids = doc.trials.map((trial) => trial.id);
  const duplicates = ids.length - new Set(ids).size;
  const recorded = doc.trials.filter((trial) => trial.status !== 'failed' && trial.status !== 'cancelled' && trial.history.length > 0);
  const lost = expected.filter((id) => !recorded.some((trial) => trial.id === id)).length;
  let differing = 0;
  for (const trial of doc.trials) {
    const want = baseline.get(trial.id);
    // results.json writes NaN as null; the chaos spec never diverges, so the histories compare as they are.
    if (want === undefined || !isDeepStrictEqual(trial.history, want.history) || trial.objective !== want.objective || trial.status !== want.status) differing += 1;
  }
  const figures = {
    trials: expected.length,
    trialsCompleted: recorded.length,
    duplicates,
    resultsLost: lost,
    resultsDifferingFromBaseline: differing,
    attemptsStarted: doc.trials.reduce((sum, trial) => sum + trial.attempts, 0),
  };
  expect(figures.duplicates).toBe(0);
  expect(figures.resultsLost).toBe(0);
  expect(new Set(ids)).toEqual(new Set(expected));
  for (const trial of doc.trials) {
    const want = baseline.get(trial.id);
    expect(trial.history, `history of ${trial.id}`).toEqual(want?.history);
    expect(trial.objective, `objective of ${trial.id}`).toBe(want?.objective);
  }
  return figures;
}

/** Appends one scenario's figures to the JSON file RELIABILITY.md quotes (when CHAOS_REPORT names one). */
export function reportFigures(figures: ChaosFigures): void {
  const file = process.env['CHAOS_REPORT'];
  if (file === undefined || file === '') return;
  let existing: ChaosFigures[] = [];
  try {
    existing = JSON.parse(readFileSync(file, 'utf8')) as ChaosFigures[];
  } catch {
    existing = [];
  }
  writeFileSync(file, `${JSON.stringify([...existing.filter((entry) => entry.scenario !== figures.scenario), figures], null, 2)}\n`);
}
