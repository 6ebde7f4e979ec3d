// `plateau status` and `plateau watch` show a sweep's workload error where the user looks.
import { describe, expect, it } from 'vitest';
import { renderSweepList, renderSweepSummary, renderWatchFrame, renderWatchLine } from '../../src/cli/render/sweep-status.js';
import { emptyTrialCounts, type SweepSummary } from '../../src/rpc/sweep-progress.js';

const failed: SweepSummary = {
  sweepId: 'abc123',
  name: 'broken-data',
  state: 'failed',
  totalTrials: 4,
  counts: { ...emptyTrialCounts, failed: 1, cancelled: 3 },
  best: null,
  createdAtMs: Date.UTC(2025, 0, 2, 3, 4, 5),
  finishedAtMs: Date.UTC(2025, 0, 2, 3, 4, 9),
  error: { kind: 'workload', message: '/data/train.csv:1: the target column "y" is not in the header', trialId: 't-1', scope: 'sweep', atMs: Date.UTC(2025, 0, 2, 3, 4, 8) },
};

const line = 'workload error in trial t-1: /data/train.csv:1: the target column "y" is not in the header (the sweep was stopped; no retry can fix it)';

describe('a sweep error in status and watch', () => {
  it('is the last line of `plateau status SWEEP`', () => {
    expect(renderSweepSummary(failed).split('\n').at(-1)).toBe(`error: ${line}`);
  });

  it('follows the table of `plateau status`, by sweep id', () => {
    expect(renderSweepList([failed, { ...failed, sweepId: 'ok456', state: 'succeeded', error: null }]).split('\n').slice(-2)).toEqual(['', `abc123: ${line}`]);
  });

  it('shows under the progress line of `plateau watch` on a terminal, and in each logged line', () => {
    expect(renderWatchFrame({ summary: failed, running: [] }, failed.finishedAtMs ?? 0, 400)).toContain(`error: ${line}`);
    expect(renderWatchLine({ summary: failed, running: [] }, failed.finishedAtMs ?? 0)).toContain(` · error: ${line}`);
  });

  it('says when only one configuration was stopped', () => {
    const configOnly: SweepSummary = { ...failed, state: 'running', error: failed.error === null ? null : { ...failed.error, scope: 'config' } };
    expect(renderSweepSummary(configOnly)).toMatch(/the trials of its configuration were stopped; no retry can fix it\)$/);
  });

  it('is absent for a sweep without one', () => {
    expect(renderSweepSummary({ ...failed, error: null })).not.toMatch(/error/);
  });
});
