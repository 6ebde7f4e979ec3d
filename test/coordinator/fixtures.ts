// Hand-built inputs for the coordinator's tests: tiny specs and results, a clock that
// moves only when told, temp data dirs, and a way to wait on an event instead of sleeping.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Coordinator } from '../../coordinator/coordinator.js';
import type { CoordinatorEventName, CoordinatorEvents } from '../../coordinator/coordinator-events.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import type { EpochRecord, TrialOutcome, TrialResult } from '../../src/trial/types.js';

export function tinySweepSpec(overrides: Partial<SweepSpec> = {}): SweepSpec {
  return {
    name: 'tiny',
    workload: {
      dataset: { kind: 'synthetic-regression', samples: 64, features: 2, noise: 0.1, seed: 1, validationSplit: 0.25 },
      model: { kind: 'layers', layers: [{ kind: 'dense', units: 1, activation: 'linear' }] },
      loss: 'meanSquaredError',
      metrics: [],
      optimizer: 'sgd',
      batchSize: 16,
      epochs: 3,
      seed: 7,
    },
    plateau: { monitor: 'val_loss', mode: 'auto', minDelta: 1e-4, cooldown: 0, minLr: 0 },
    grid: { learningRate: [0.01, 0.1], factor: [0.5], patience: [1] },
    repeats: 1,
    objective: { metric: 'val_loss', goal: 'minimize', use: 'final' },
    maxAttempts: 2,
    ...overrides,
  };
}

export function epoch(n: number, valLoss: number, lr = 0.01): EpochRecord {
  return { epoch: n, loss: valLoss * 1.1, val_loss: valLoss, lr };
}

export function resultFor(trialId: string, objective: number | null = 0.5, outcome: TrialOutcome = { status: 'succeeded' }): TrialResult {
  return {
    trialId,
    outcome,
    history: [epoch(1, 1), epoch(2, 0.7), epoch(3, objective ?? Number.NaN)],
    lrReductions: [2],
    objective,
    wallSeconds: 0.25,
    backend: 'cpu',
    seed: 7,
  };
}

/** Milliseconds that move only when a test says so. */
export class FakeClock {
  constructor(public nowMs = 1_700_000_000_000) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

const madeDirs: string[] = [];

export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plateau-coordinator-'));
  madeDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of madeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The next event of this name (matching `where`), as a promise. */
export function nextEvent<K extends CoordinatorEventName>(
  coordinator: Coordinator,
  name: K,
  where: (payload: CoordinatorEvents[K]) => boolean = () => true,
): Promise<CoordinatorEvents[K]> {
  return new Promise((resolve) => {
    const off = coordinator.events.on(name, (payload) => {
      if (!where(payload)) return;
      off();
      resolve(payload);
    });
  });
}
