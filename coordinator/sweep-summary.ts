// A sweep's summary from what the store counts: pure, so the state rules are tested alone.
import type { BestSoFar, SweepState, SweepSummary, TrialCounts } from '../src/rpc/sweep-progress.js';
import type { StoredSweep } from './sweep-store.js';

/** cancelled once asked; running while any trial can still run; failed if any trial failed for good. */
export function sweepStateOf(cancelled: boolean, counts: TrialCounts): SweepState {
  if (cancelled) return 'cancelled';
  if (counts.queued + counts.running > 0) return 'running';
  return counts.failed > 0 ? 'failed' : 'succeeded';
}

export function summarizeSweep(sweep: StoredSweep, counts: TrialCounts, best: BestSoFar | null): SweepSummary {
  return {
    sweepId: sweep.sweepId,
    name: sweep.spec.name,
    state: sweepStateOf(sweep.cancelled, counts),
    totalTrials: sweep.totalTrials,
    counts,
    best,
    createdAtMs: sweep.createdAtMs,
    finishedAtMs: sweep.finishedAtMs,
  };
}
