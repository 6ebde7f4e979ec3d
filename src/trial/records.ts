// What the coordinator's store knows about a trial and a sweep, in domain terms: the
// input of the results document, the ranking and the report.
import type { SweepSpec } from '../spec/sweep-spec.js';
import type { BackendName, TrialResult, TrialSpec, TrialStatus } from './types.js';
import type { SweepError } from './workload-error.js';

/** queued → leased → running → one of TrialStatus (see coordinator/trial-state.ts). */
export type TrialState = 'queued' | 'leased' | 'running' | TrialStatus;

export interface AttemptRecord {
  /** 1-based. */
  readonly attempt: number;
  readonly agentId: string;
  readonly startedAtMs: number;
  readonly endedAtMs: number | null;
  /** How the attempt ended: 'succeeded', 'lease-expired', 'failed: <kind>: <message>'… null while running. */
  readonly ending: string | null;
}

export interface TrialRecord {
  readonly spec: TrialSpec;
  readonly state: TrialState;
  readonly attempts: readonly AttemptRecord[];
  /** The agent that produced the result (or holds the lease now). */
  readonly agentId: string | null;
  readonly result: TrialResult | null;
}

export interface SweepEnvironment {
  readonly backends: readonly BackendName[];
  readonly hosts: readonly string[];
  readonly versions: Readonly<Record<string, string>>;
}

export interface SweepSnapshot {
  readonly sweepId: string;
  readonly spec: SweepSpec;
  /** The spec file's text as submitted. */
  readonly specSource: string;
  readonly createdAtMs: number;
  readonly finishedAtMs: number | null;
  readonly cancelled: boolean;
  /** The first workload error (one no retry can fix) a trial met; null when none. */
  readonly error: SweepError | null;
  readonly environment: SweepEnvironment;
  readonly trials: readonly TrialRecord[];
}
