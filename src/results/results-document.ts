// results.json: everything a sweep produced, in one versioned document built from the
// store's snapshot. Pure: the same snapshot always gives the same document.
import { computeAxisEffects, type AxisEffect } from '../rank/axis-effects.js';
import type { ConfigFlag } from '../rank/schedule-flags.js';
import { rankConfigs } from '../rank/ranking.js';
import type { ObjectiveSummary } from '../rank/summary-stats.js';
import type { SweepSpec } from '../spec/sweep-spec.js';
import type { SweepEnvironment, SweepSnapshot, TrialRecord, TrialState } from '../trial/records.js';
import type { BackendName, EpochRecord, TrialConfig, TrialErrorInfo } from '../trial/types.js';
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
  /** Present for failed trials. */
  readonly error?: TrialErrorInfo;
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

function resultsTrial(record: TrialRecord): ResultsTrial {
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
  if (outcome?.status === 'diverged') return { ...trial, divergedAtEpoch: outcome.atEpoch };
  if (outcome?.status === 'failed') return { ...trial, error: { kind: outcome.error.kind, message: outcome.error.message } };
  return trial;
}

/** Builds results.json's content from the store's snapshot of one sweep. */
export function buildResultsDocument(snapshot: SweepSnapshot): ResultsDocument {
  const { spec } = snapshot;
  const ranked = rankConfigs(snapshot.trials, spec.objective);
  const ranking = ranked.map((entry) => ({ ...entry, statuses: entry.statuses.map(resultsTrialStatus) }));
  const top = ranked[0];
  const bestIsClean = top !== undefined && top.objective !== null && !top.flags.includes('diverged') && !top.flags.includes('failed');
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
    },
    environment: {
      backends: [...snapshot.environment.backends],
      hosts: [...snapshot.environment.hosts],
      versions: { ...snapshot.environment.versions },
    },
    trials: snapshot.trials.map(resultsTrial),
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
