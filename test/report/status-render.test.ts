// What `plateau status` and `plateau watch` print, from progress values.
import { describe, expect, it } from 'vitest';
import { LiveFrame } from '../../cli/render/live-frame.js';
import { renderRunningTrials, renderSweepList, renderSweepSummary, renderWatchFrame, renderWatchLine, watchLineKey } from '../../cli/render/sweep-status.js';
import { emptyTrialCounts, type SweepProgress, type SweepSummary } from '../../src/rpc/sweep-progress.js';
import { baseConfig } from '../rank/sweep-fixtures.js';

const summary: SweepSummary = {
  sweepId: 'abc123',
  name: 'quick',
  state: 'running',
  totalTrials: 12,
  counts: { ...emptyTrialCounts, succeeded: 5, running: 2, queued: 4, failed: 1 },
  best: { objective: 0.123456, config: baseConfig },
  createdAtMs: Date.UTC(2025, 0, 2, 3, 4, 5),
  finishedAtMs: null,
  error: null,
};

const progress: SweepProgress = {
  summary,
  running: [
    { trialId: 't-early', agentId: 'host-a-1', epoch: 2, epochs: 10, valLoss: 0.5, lr: 0.01, config: baseConfig },
    { trialId: 't-late', agentId: 'host-b-1', epoch: 8, epochs: 10, valLoss: 0.25, lr: 0.005, config: { ...baseConfig, factor: 0.1 } },
  ],
  failures: [],
};

describe('status tables', () => {
  it('lists sweeps with done/total and the best objective', () => {
    const [header, row] = renderSweepList([summary]).split('\n');
    expect(header).toMatch(/^SWEEP\s+NAME\s+STATE\s+DONE\s+RUNNING\s+FAILED\s+STOPPED\s+CREATED \(UTC\)\s+BEST$/);
    expect(row).toMatch(/^abc123\s+quick\s+running\s+6\/12\s+2\s+1\s+0\s+2025-01-02 03:04\s+0\.1235 \(lr 0\.01 · factor 0\.5 · patience 2\)$/);
  });

  it('counts the trials stopped early in a column of their own, apart from the failed ones', () => {
    const [, row] = renderSweepList([{ ...summary, counts: { ...summary.counts, pruned: 3 } }]).split('\n');
    expect(row).toMatch(/^abc123\s+quick\s+running\s+9\/12\s+2\s+1\s+3\s+2025/);
  });

  it('says how many trials were stopped early in one sweep\'s summary', () => {
    const text = renderSweepSummary({ ...summary, counts: { ...summary.counts, pruned: 3 } });
    expect(text.split('\n')[1]).toBe('9/12 trials done: 5 succeeded, 2 running, 4 queued, 1 failed, 3 stopped early');
  });

  it('shows running trials furthest along first, with epoch, val_loss and LR', () => {
    const lines = renderRunningTrials(progress.running).split('\n');
    expect(lines[0]).toMatch(/^TRIAL\s+AGENT\s+EPOCH\s+VAL_LOSS\s+LR\s+CONFIG$/);
    expect(lines[1]).toMatch(/^t-late\s+host-b-1\s+8\/10\s+0\.25\s+0\.005\s+lr 0\.01 · factor 0\.1 · patience 2$/);
    expect(lines[2]).toMatch(/^t-early\s+host-a-1\s+2\/10/);
  });

  it('cuts every line to the given width', () => {
    expect(renderRunningTrials(progress.running, 30).split('\n').every((line) => line.length <= 30)).toBe(true);
  });
});

describe('watch output', () => {
  it('prints a log line only when a trial starts or ends, not on every epoch', () => {
    const nextEpoch: SweepProgress = { ...progress, running: progress.running.map((trial) => ({ ...trial, epoch: trial.epoch + 1 })) };
    const oneMoreDone: SweepProgress = { summary: { ...summary, counts: { ...summary.counts, succeeded: 6, running: 1 } }, running: progress.running.slice(1), failures: [] };
    expect(watchLineKey(nextEpoch)).toBe(watchLineKey(progress));
    expect(watchLineKey(oneMoreDone)).not.toBe(watchLineKey(progress));
    expect(renderWatchLine(progress, summary.createdAtMs + 60_000)).toContain('6/12 done (50%), 2 running, 1 failed');
  });

  it('counts the trials stopped early on the progress line of a log and of a terminal frame', () => {
    const withStops: SweepProgress = { ...progress, summary: { ...summary, counts: { ...summary.counts, pruned: 2 } } };
    expect(renderWatchLine(withStops, summary.createdAtMs + 60_000)).toContain('8/12 done (66%), 2 running, 1 failed, 2 stopped');
    expect(renderWatchFrame(withStops, summary.createdAtMs + 60_000, 160)[1]).toContain('1 failed, 2 stopped');
  });

  it('redraws a terminal frame in place over the previous one', () => {
    const written: string[] = [];
    const frame = new LiveFrame({ write: (chunk: string) => written.push(chunk), isTTY: true });
    frame.draw(['one', 'two']);
    frame.draw(['three']);
    expect(written).toEqual(['\r\u001b[Jone\ntwo\n', '\u001b[2F\u001b[Jthree\n']);
  });
});
