// results.json: everything a sweep produced, in one versioned document built from the
// store's snapshot. Pure: the same snapshot always gives the same document.
import { computeAxisEffects, type AxisEffect } from '../rank/axis-effects.js';
import type { ConfigFlag } from '../rank/schedule-flags.js';
import { rankConfigs } from '../rank/ranking.js';
import type { ObjectiveSummary } from '../rank/summary-stats.js';
import type { SweepSpec } from '../spec/sweep-spec.js';
import type { SweepEnvironment, SweepSnapshot, TrialRecord, TrialState } from '../trial/records.js';
import { lastTrialError } from '../trial/attempt-ending.js';
import type { BackendName, EpochRecord, TrialConfig, WorkloadErrorScope } from '../trial/types.js';
import type { SweepError } from '../trial/workload-error.js';
import type { StopRecord } from '../stopping/stop-types.js';
import { kerasSnippet, tfjsSnippet } from './snippets.js';

/** Bump on any change a reader of an older document would misread. */
export const RESULTS_SCHEMA_VERSION = 1;

/** A trial's status as a reader sees it: a lease is an implementation detail, so leased reads as running. */
export type ResultsTrialStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'diverged' | 'pruned' | 'cancelled';

export const RESULTS_TRIAL_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'diverged', 'pruned', 'cancelled'] as const satisfies readonly ResultsTrialStatus[];

export type SweepState = 'running' | 'finished' | 'cancelled';

export interface ResultsTrial {
  readonly id: string;
  readonly config: TrialConfig;
  readonly repeat: number;
  readonly seed: number;
  readonly status: ResultsTrialStatus;
  /** Attempts started (retries after crashes or lost leases included). */
  readonly attempts: number;
  /** The agent that produced the result, or holds the trial now. */
  readonly agent: string | null;
  readonly backend: BackendName | null;
  /** Per epoch: `lr` is the LR used during that epoch. NaN/Infinity are written as null. */
  readonly history: readonly EpochRecord[];
  /** 1-based epochs at whose end the LR was reduced. */
  readonly lrReductions: readonly number[];
  readonly objective: number | null;
  readonly wallSeconds: number | null;
  /** Present for diverged trials: the epoch whose loss was NaN/Inf. */
  readonly divergedAtEpoch?: number;
  /**
   * Present for failed and diverged trials: the last error, from the result or, for a trial that
   * failed without one (a crash, a lost lease, a workload error), its last failed attempt.
   */
  readonly error?: ResultsTrialError;
  /** Present for cancelled trials: why (`sweep-cancelled`, `workload-error`, …). */
  readonly cancelReason?: string;
  /** Present for trials stopped early (status `pruned`): at which epoch, by which rule, its value and the threshold it was worse than. */
  readonly stop?: StopRecord;
}

export interface ResultsTrialError {
  /** An error class (`WorkerCrashedError`), `workload` (no retry can fix it), `lease-expired` or `diverged`. */
  readonly kind: string;
  readonly message: string;
}

/** The error that failed the sweep (or one configuration), once: see src/trial/workload-error.ts. */
export interface ResultsSweepError {
  readonly kind: string;
  readonly message: string;
  readonly trialId: string;
  /** `sweep`: every trial was stopped; `config`: the trials of that trial's configuration. */
  readonly scope: WorkloadErrorScope;
  /** ISO 8601. */
  readonly at: string;
}

export interface ResultsRankingEntry {
  readonly rank: number;
  readonly key: string;
  readonly config: TrialConfig;
  readonly objective: ObjectiveSummary | null;
  readonly trialIds: readonly string[];
  readonly statuses: readonly ResultsTrialStatus[];
  readonly flags: readonly ConfigFlag[];
}

export interface ResultsBest {
  readonly config: TrialConfig;
  readonly objective: ObjectiveSummary;
  readonly snippets: { readonly keras: string; readonly tfjs: string };
}

export interface ResultsDocument {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly sweep: {
    readonly id: string;
    readonly name: string;
    readonly spec: SweepSpec;
    readonly specSource: string;
    /** ISO 8601. */
    readonly createdAt: string;
    readonly finishedAt: string | null;
    readonly state: SweepState;
    /** Present when a workload error failed the sweep or one of its configurations (the first one). */
    readonly error?: ResultsSweepError;
  };
  readonly environment: SweepEnvironment;
  readonly trials: readonly ResultsTrial[];
  /** Best first; diverged, then failed, then configs with no objective last. */
  readonly ranking: readonly ResultsRankingEntry[];
  /** Axes that vary, in grid order (learningRate, factor, patience, …). */
  readonly axisEffects: readonly AxisEffect[];
  /** The top-ranked healthy config; null when no config has a clean objective. */
  readonly best: ResultsBest | null;
}

export function resultsTrialStatus(state: TrialState): ResultsTrialStatus {
  return state === 'leased' ? 'running' : state;
}

function sweepState(snapshot: SweepSnapshot): SweepState {
  if (snapshot.cancelled) return 'cancelled';
  return snapshot.finishedAtMs === null ? 'running' : 'finished';
}

/** The last error of a failed or diverged trial: its result's, else its last failed attempt's. */
function lastError(record: TrialRecord): ResultsTrialError | undefined {
  const failed = record.state === 'failed' || record.state === 'diverged';
  const error = lastTrialError(failed, record.result?.outcome ?? null, record.attempts.map((attempt) => attempt.ending));
  return error === null ? undefined : { kind: error.kind, message: error.message };
}

/** Why a cancelled trial was: its result says; without one, the sweep's workload error or the user's cancel. */
function cancelReasonOf(record: TrialRecord, snapshot: SweepSnapshot): string | undefined {
  if (record.state !== 'cancelled') return undefined;
  const outcome = record.result?.outcome;
  if (outcome?.status === 'cancelled') return outcome.reason;
  const ending = record.attempts[record.attempts.length - 1]?.ending ?? null;
  if (ending === 'cancelled: workload-error') return 'workload-error';
  if (snapshot.cancelled) return 'sweep-cancelled';
  return snapshot.error === null ? undefined : 'workload-error';
}

function resultsTrial(record: TrialRecord, snapshot: SweepSnapshot): ResultsTrial {
  const { spec, result } = record;
  const trial: ResultsTrial = {
    id: spec.id,
    config: { ...spec.config },
    repeat: spec.repeat,
    seed: result?.seed ?? spec.seed,
    status: resultsTrialStatus(record.state),
    attempts: record.attempts.length,
    agent: record.agentId,
    backend: result?.backend ?? null,
    history: result?.history.map((epoch) => ({ ...epoch })) ?? [],
    lrReductions: [...(result?.lrReductions ?? [])],
    objective: result?.objective ?? null,
    wallSeconds: result?.wallSeconds ?? null,
  };
  const outcome = result?.outcome;
  const error = lastError(record);
  const cancelReason = cancelReasonOf(record, snapshot);
  return {
    ...trial,
    ...(outcome?.status === 'diverged' ? { divergedAtEpoch: outcome.atEpoch } : {}),
    ...(error === undefined ? {} : { error }),
    ...(cancelReason === undefined ? {} : { cancelReason }),
    ...(outcome?.status === 'pruned' ? { stop: { ...outcome.stop } } : {}),
  };
}

function resultsSweepError(error: SweepError | null): { readonly error?: ResultsSweepError } {
  if (error === null) return {};
  return { error: { kind: error.kind, message: error.message, trialId: error.trialId, scope: error.scope, at: new Date(error.atMs).toISOString() } };
}

/** Builds results.json's content from the store's snapshot of one sweep. */
export function buildResultsDocument(snapshot: SweepSnapshot): ResultsDocument {
  const { spec } = snapshot;
  const ranked = rankConfigs(snapshot.trials, spec.objective, spec.earlyStop?.rankStopped);
  const ranking = ranked.map((entry) => ({ ...entry, statuses: entry.statuses.map(resultsTrialStatus) }));
  const top = ranked[0];
  const bestIsClean = top !== undefined && top.objective !== null && !top.flags.includes('diverged') && !top.flags.includes('failed') && !top.statuses.includes('pruned');
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    sweep: {
      id: snapshot.sweepId,
      name: spec.name,
      spec,
      specSource: snapshot.specSource,
      createdAt: new Date(snapshot.createdAtMs).toISOString(),
      finishedAt: snapshot.finishedAtMs === null ? null : new Date(snapshot.finishedAtMs).toISOString(),
      state: sweepState(snapshot),
      ...resultsSweepError(snapshot.error),
    },
    environment: {
      backends: [...snapshot.environment.backends],
      hosts: [...snapshot.environment.hosts],
      versions: { ...snapshot.environment.versions },
    },
    trials: snapshot.trials.map((record) => resultsTrial(record, snapshot)),
    ranking,
    axisEffects: computeAxisEffects(snapshot.trials, spec.objective),
    best:
      bestIsClean && top.objective !== null
        ? {
            config: top.config,
            objective: top.objective,
            snippets: { keras: kerasSnippet(spec, top.config), tfjs: tfjsSnippet(spec, top.config) },
          }
        : null,
  };
}

/** results.json's text. JSON has no NaN/Infinity: JSON.stringify writes them as null. */
export function serializeResultsDocument(doc: ResultsDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
