// Hand-built sweeps for the ranking, results and render tests: domain records exactly as the
// coordinator's store would hand them over, with only the fields a test cares about varied.
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import type { StopRecord } from '../../src/stopping/stop-types.js';
import type { AttemptRecord, SweepSnapshot, TrialRecord, TrialState } from '../../src/trial/records.js';
import type { EpochRecord, ObjectiveSpec, TrialConfig, TrialOutcome } from '../../src/trial/types.js';

export const baseSpec: SweepSpec = {
  name: 'mlp-plateau',
  workload: {
    dataset: { kind: 'synthetic-regression', samples: 512, features: 4, noise: 0.1, seed: 7, validationSplit: 0.2 },
    model: { kind: 'layers', layers: [{ kind: 'dense', units: 8, activation: 'relu' }, { kind: 'dense', units: 1, activation: 'linear' }] },
    loss: 'meanSquaredError',
    metrics: [],
    optimizer: 'adam',
    batchSize: 64,
    epochs: 10,
    seed: 42,
  },
  plateau: { monitor: 'val_loss', mode: 'auto', minDelta: 1e-4, cooldown: 0, minLr: 0 },
  grid: { learningRate: [0.001, 0.01], factor: [0.5], patience: [2] },
  repeats: 1,
  objective: { metric: 'val_loss', goal: 'minimize', use: 'final' },
  maxAttempts: 3,
};

export const minimize: ObjectiveSpec = baseSpec.objective;
export const maximize: ObjectiveSpec = { ...baseSpec.objective, goal: 'maximize' };

export const baseConfig: TrialConfig = { learningRate: 0.01, factor: 0.5, patience: 2, minDelta: 1e-4, cooldown: 0, minLr: 0, batchSize: 64 };

export interface TrialFixture {
  readonly config?: Partial<TrialConfig>;
  readonly repeat?: number;
  readonly state?: TrialState;
  /** The trial's objective; with a succeeded state it defaults to 1. */
  readonly objective?: number | null;
  readonly lrReductions?: readonly number[];
  readonly history?: readonly EpochRecord[];
  readonly epochs?: number;
  readonly attempts?: number;
  readonly error?: { kind: string; message: string };
  /** A pruned trial's stop record; by default the median rule at its last epoch. */
  readonly stop?: StopRecord;
  readonly id?: string;
}

function outcomeFor(state: TrialState, fixture: TrialFixture, history: readonly EpochRecord[]): TrialOutcome | null {
  switch (state) {
    case 'succeeded':
      return { status: 'succeeded' };
    case 'diverged':
      return { status: 'diverged', atEpoch: history.length };
    case 'failed':
      return { status: 'failed', error: fixture.error ?? { kind: 'WorkerCrashedError', message: 'worker exited with code 1' } };
    case 'pruned':
      return { status: 'pruned', stop: fixture.stop ?? { epoch: history.length, rule: 'median', value: history.at(-1)?.val_loss ?? Number.NaN, threshold: 0 } };
    case 'cancelled':
      return { status: 'cancelled', reason: 'sweep-cancelled' };
    default:
      return null;
  }
}

/** A flat history of `epochs` epochs ending at `finalValLoss`. */
export function historyOf(epochs: number, finalValLoss: number): EpochRecord[] {
  return Array.from({ length: epochs }, (_, index) => ({
    epoch: index + 1,
    loss: finalValLoss * 1.1,
    val_loss: index === epochs - 1 ? finalValLoss : finalValLoss + 0.01 * (epochs - index),
    lr: 0.01,
  }));
}

let nextId = 0;

export function trial(fixture: TrialFixture = {}): TrialRecord {
  const state = fixture.state ?? 'succeeded';
  const config = { ...baseConfig, ...fixture.config };
  const repeat = fixture.repeat ?? 0;
  const epochs = fixture.epochs ?? baseSpec.workload.epochs;
  const objective = fixture.objective !== undefined ? fixture.objective : state === 'succeeded' ? 1 : null;
  const history = fixture.history ?? (state === 'succeeded' ? historyOf(epochs, objective ?? 1) : state === 'diverged' ? [...historyOf(2, 5).slice(0, 1), { epoch: 2, loss: Number.NaN, val_loss: Number.NaN, lr: 0.01 }] : []);
  const outcome = outcomeFor(state, fixture, history);
  nextId += 1;
  const id = fixture.id ?? `t${String(nextId).padStart(4, '0')}`;
  const attempts: AttemptRecord[] = Array.from({ length: fixture.attempts ?? (state === 'queued' ? 0 : 1) }, (_, index) => ({
    attempt: index + 1,
    agentId: 'agent-1',
    startedAtMs: 1_700_000_000_000 + index,
    endedAtMs: outcome === null ? null : 1_700_000_001_000 + index,
    ending: outcome === null ? null : outcome.status,
  }));
  return {
    spec: {
      id,
      workload: { ...baseSpec.workload, epochs, batchSize: config.batchSize },
      plateau: { monitor: baseSpec.plateau.monitor, mode: baseSpec.plateau.mode },
      config,
      repeat,
      seed: 1000 + repeat,
      objective: baseSpec.objective,
    },
    state,
    attempts,
    agentId: attempts.length > 0 ? 'agent-1' : null,
    result:
      outcome === null
        ? null
        : {
            trialId: id,
            outcome,
            history,
            lrReductions: fixture.lrReductions ?? (state === 'succeeded' ? [5] : []),
            objective,
            wallSeconds: 1.5,
            backend: 'cpu',
            seed: 1000 + repeat,
          },
  };
}

export function snapshot(trials: readonly TrialRecord[], overrides: Partial<SweepSnapshot> = {}): SweepSnapshot {
  return {
    sweepId: 'sw-0001',
    spec: baseSpec,
    specSource: 'name: mlp-plateau\n',
    createdAtMs: Date.UTC(2025, 0, 2, 3, 4, 5),
    finishedAtMs: Date.UTC(2025, 0, 2, 3, 9, 5),
    cancelled: false,
    error: null,
    environment: { backends: ['cpu'], hosts: ['host-a'], versions: { node: '20.19.0', 'plateau-sweep': '0.1.0' } },
    trials,
    ...overrides,
  };
}
