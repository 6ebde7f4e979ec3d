// What people and scripts see of a sweep while it runs, in domain terms: the coordinator
// produces these, the gRPC adapters carry them, the CLI draws them.
import type { TrialConfig, TrialErrorInfo } from '../trial/types.js';
import type { SweepError } from '../trial/workload-error.js';

/** running: work is left; the others: every trial has ended (cancelled once the user asked). */
export type SweepState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface TrialCounts {
  readonly queued: number;
  /** Leased or running on an agent. */
  readonly running: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly diverged: number;
  readonly pruned: number;
  readonly cancelled: number;
}

export interface BestSoFar {
  /** The best objective of a single succeeded trial (per the sweep's objective goal). */
  readonly objective: number;
  readonly config: TrialConfig;
}

export interface SweepSummary {
  readonly sweepId: string;
  readonly name: string;
  readonly state: SweepState;
  readonly totalTrials: number;
  readonly counts: TrialCounts;
  readonly best: BestSoFar | null;
  readonly createdAtMs: number;
  readonly finishedAtMs: number | null;
  /** The first workload error (one no retry can fix) a trial met; null when none. */
  readonly error: SweepError | null;
}

export interface RunningTrialProgress {
  readonly trialId: string;
  readonly agentId: string;
  /** Last epoch reported (1-based), 0 before the first report. */
  readonly epoch: number;
  /** Epochs the trial will train. */
  readonly epochs: number;
  readonly valLoss: number | null;
  readonly lr: number | null;
  readonly config: TrialConfig;
}

/** The answer to a submit: resubmitting the same spec resumes instead of duplicating. */
export interface SubmittedSweep {
  readonly sweepId: string;
  /** True when the sweep already existed: nothing was duplicated, unfinished work goes on. */
  readonly resumed: boolean;
  readonly totalTrials: number;
}

/** A failed or diverged trial with its last error (what `status` and `watch` show). */
export interface FailedTrialProgress {
  readonly trialId: string;
  readonly status: 'failed' | 'diverged';
  readonly error: TrialErrorInfo;
}

/** At most this many failed trials travel with a progress event (the counts say how many in all). */
export const FAILURES_SHOWN = 10;

export interface SweepProgress {
  readonly summary: SweepSummary;
  readonly running: readonly RunningTrialProgress[];
  /** The first FAILURES_SHOWN failed or diverged trials, in grid order. */
  readonly failures: readonly FailedTrialProgress[];
}

export const emptyTrialCounts: TrialCounts = { queued: 0, running: 0, succeeded: 0, failed: 0, diverged: 0, pruned: 0, cancelled: 0 };

/** Trials that have ended, whatever their status. */
export function finishedCount(counts: TrialCounts): number {
  return counts.succeeded + counts.failed + counts.diverged + counts.pruned + counts.cancelled;
}
