import { describe, expect, it } from 'vitest';
import { estimateRemainingMs, ProgressLine, renderProgress, type ProgressSink, type ProgressState } from '../../cli/render/progress-bar.js';
import { baseConfig } from '../rank/sweep-fixtures.js';

const start = 1_700_000_000_000;

function state(overrides: Partial<ProgressState> = {}): ProgressState {
  return { total: 10, done: 4, running: 2, failed: 1, diverged: 0, stopped: 0, startedAtMs: start, nowMs: start + 40_000, best: null, ...overrides };
}

class RecordingSink implements ProgressSink {
  readonly chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
}

describe('estimateRemainingMs', () => {
  it('extrapolates the completion rate so far to the trials left', () => {
    // 4 done in 40 s → 10 s each → 6 left take 60 s.
    expect(estimateRemainingMs(state())).toBe(60_000);
  });

  it('has no estimate before the first trial finishes', () => {
    expect(estimateRemainingMs(state({ done: 0 }))).toBeNull();
  });

  it('is zero once every trial is done', () => {
    expect(estimateRemainingMs(state({ done: 10, running: 0 }))).toBe(0);
  });
});

describe('renderProgress', () => {
  it('shows done/running/failed of total, percentage, elapsed and ETA', () => {
    const line = renderProgress(state(), 120);
    expect(line).toContain('4/10 done (40%), 2 running, 1 failed');
    expect(line).toContain('40s elapsed, ETA 1m00s');
    expect(line).toMatch(/^\[#+\.+\] /);
  });

  it('fills the bar in proportion to the trials done', () => {
    const line = renderProgress(state({ done: 5 }), 120);
    const bar = /^\[(#*)(\.*)\]/.exec(line);
    expect(bar?.[1]?.length).toBe(bar?.[2]?.length);
  });

  it('counts diverged trials only when there are some', () => {
    expect(renderProgress(state(), 120)).not.toContain('diverged');
    expect(renderProgress(state({ diverged: 2 }), 120)).toContain('1 failed, 2 diverged');
  });

  it('counts the trials stopped early apart from the failed ones, only when there are some', () => {
    expect(renderProgress(state(), 120)).not.toContain('stopped');
    expect(renderProgress(state({ done: 7, stopped: 3 }), 140)).toContain('7/10 done (70%), 2 running, 1 failed, 3 stopped');
  });

  it('shows the best objective so far with its config', () => {
    const line = renderProgress(state({ best: { objective: 0.012345, config: { ...baseConfig, learningRate: 0.003, factor: 0.5, patience: 5 } } }), 160);
    expect(line).toContain('best 0.01235 (lr 0.003, factor 0.5, patience 5)');
  });

  it('shows an unknown ETA before the first trial finishes', () => {
    expect(renderProgress(state({ done: 0, failed: 0 }), 120)).toContain('ETA --');
  });

  it('never exceeds the width, dropping the bar before the numbers', () => {
    for (const width of [20, 60, 80, 200]) expect(renderProgress(state(), width).length).toBeLessThanOrEqual(width);
    expect(renderProgress(state(), 70)).toMatch(/^4\/10 done/);
  });
});

describe('ProgressLine', () => {
  it('redraws one terminal line in place and skips unchanged redraws', () => {
    const sink = new RecordingSink(true, 121);
    const line = new ProgressLine(sink);
    line.update(state());
    line.update(state());
    line.update(state({ done: 5, nowMs: start + 50_000 }));
    expect(sink.chunks).toHaveLength(2);
    expect(sink.chunks.every((chunk) => chunk.startsWith('\r') && !chunk.includes('\n'))).toBe(true);
    expect(sink.chunks[1]).toContain('5/10 done');
  });

  it('fits the terminal with one column to spare so the line never wraps', () => {
    const sink = new RecordingSink(true, 50);
    new ProgressLine(sink).update(state());
    expect((sink.chunks[0] ?? '').replace('\r', '').replace('\u001b[K', '').length).toBeLessThanOrEqual(49);
  });

  it('prints plain lines no more often than its interval when not a terminal', () => {
    const sink = new RecordingSink(false);
    const line = new ProgressLine(sink, { plainIntervalMs: 10_000 });
    for (let second = 0; second <= 25; second += 1) line.update(state({ nowMs: start + second * 1000 }));
    expect(sink.chunks).toHaveLength(3); // at 0 s, 10 s and 20 s
    expect(sink.chunks.every((chunk) => chunk.endsWith('\n') && !chunk.includes('\r'))).toBe(true);
  });

  it('ends with the final state on its own line and ignores later updates', () => {
    const sink = new RecordingSink(true, 121);
    const line = new ProgressLine(sink);
    line.update(state());
    line.finish(state({ done: 10, running: 0, nowMs: start + 90_000 }));
    line.finish(state({ done: 10, running: 0, nowMs: start + 90_000 }));
    line.update(state());
    expect(sink.chunks).toHaveLength(2);
    expect(sink.chunks[1]).toMatch(/^\r.*10\/10 done \(100%\).*\n$/);
  });

  it('wipes the line on clear so other output can be printed, then redraws', () => {
    const sink = new RecordingSink(true, 121);
    const line = new ProgressLine(sink);
    line.update(state());
    line.clear();
    line.update(state());
    expect(sink.chunks).toHaveLength(3);
    expect(sink.chunks[1]).toBe('\r\u001b[K');
  });
});
