// A sweep's summary from what the store counts: pure, so the state rules are tested alone.
import type { BestSoFar, SweepState, SweepSummary, TrialCounts } from '../src/rpc/sweep-progress.js';
import type { SweepError } from '../src/trial/workload-error.js';
import type { StoredSweep } from './sweep-store.js';

/**
 * failed at once when a workload error stopped the whole sweep (no trial left can succeed where
 * it failed); else cancelled once asked; running while any trial can still run; failed if any
 * trial failed for good.
 */
export function sweepStateOf(cancelled: boolean, counts: TrialCounts, error: SweepError | null): SweepState {
  if (error?.scope === 'sweep') return 'failed';
  if (cancelled) return 'cancelled';
  if (counts.queued + counts.running > 0) return 'running';
  return counts.failed > 0 ? 'failed' : 'succeeded';
}

export function summarizeSweep(sweep: StoredSweep, counts: TrialCounts, best: BestSoFar | null, error: SweepError | null): SweepSummary {
  return {
    sweepId: sweep.sweepId,
    name: sweep.spec.name,
    state: sweepStateOf(sweep.cancelled, counts, error),
    totalTrials: sweep.totalTrials,
    counts,
    best,
    createdAtMs: sweep.createdAtMs,
    finishedAtMs: sweep.finishedAtMs,
    error,
  };
}
