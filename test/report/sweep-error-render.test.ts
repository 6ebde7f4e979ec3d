// `plateau status` and `plateau watch` show a sweep's workload error where the user looks.
import { describe, expect, it } from 'vitest';
import { renderFailedTrials, renderSweepList, renderSweepSummary, renderWatchFrame, renderWatchLine } from '../../cli/render/sweep-status.js';
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
    expect(renderWatchFrame({ summary: failed, running: [], failures: [] }, failed.finishedAtMs ?? 0, 400)).toContain(`error: ${line}`);
    expect(renderWatchLine({ summary: failed, running: [], failures: [] }, failed.finishedAtMs ?? 0)).toContain(` · error: ${line}`);
  });

  it('says when only one configuration was stopped', () => {
    const configOnly: SweepSummary = { ...failed, state: 'running', error: failed.error === null ? null : { ...failed.error, scope: 'config' } };
    expect(renderSweepSummary(configOnly)).toMatch(/the trials of its configuration were stopped; no retry can fix it\)$/);
  });

  it('is absent for a sweep without one', () => {
    expect(renderSweepSummary({ ...failed, error: null })).not.toMatch(/error/);
  });
});

describe('failed trials in status and watch', () => {
  const crash = { trialId: 't-2', status: 'failed' as const, error: { kind: 'WorkerCrashedError', message: 'worker died during trial t-2 (signal SIGKILL)' } };
  const boom = { trialId: 't-3', status: 'diverged' as const, error: { kind: 'diverged', message: 'the loss was not a finite number at epoch 4' } };
  const running = { ...failed, state: 'running' as const, error: null, counts: { ...emptyTrialCounts, failed: 1, diverged: 1, running: 2 } };

  it('lists each failed or diverged trial with its last error', () => {
    expect(renderFailedTrials({ summary: running, running: [], failures: [crash, boom] }).split('\n')).toEqual([
      'Failed trials:',
      'TRIAL  STATUS    LAST ERROR',
      't-2    failed    WorkerCrashedError: worker died during trial t-2 (signal SIGKILL)',
      't-3    diverged  diverged: the loss was not a finite number at epoch 4',
    ]);
  });

  it('says how many more there are than it shows', () => {
    const many = { ...running, counts: { ...running.counts, failed: 30 } };
    expect(renderFailedTrials({ summary: many, running: [], failures: [crash] }).split('\n')[0]).toBe('Failed trials (the first 1 of 31; all in results.json):');
  });

  it('shows them under the running trials of a watch frame', () => {
    const frame = renderWatchFrame({ summary: running, running: [], failures: [crash, boom] }, 0, 200);
    expect(frame.slice(-4, -1)).toEqual(['Failed trials:', 'TRIAL  STATUS    LAST ERROR', `t-2    failed    WorkerCrashedError: ${crash.error.message}`]);
  });

  it('prints nothing when no trial failed', () => {
    expect(renderFailedTrials({ summary: { ...running, counts: emptyTrialCounts }, running: [], failures: [] })).toBe('');
  });
});

