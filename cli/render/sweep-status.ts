// What `plateau status` and `plateau watch` print: the coordinator's sweeps as a table, one
// sweep's summary, and its running trials with their epoch, val_loss and LR. Pure: data in,
// lines out.
import { finishedCount, type RunningTrialProgress, type SweepProgress, type SweepSummary } from '../../src/rpc/sweep-progress.js';
import type { TrialConfig } from '../../src/trial/types.js';
import { describeSweepError } from '../../src/trial/workload-error.js';
import { renderProgress, type ProgressState } from './progress-bar.js';
import { formatObjective, truncate } from '../../src/format/text-format.js';

/** Columns padded to their widest cell, two spaces apart; right-aligned where asked. */
export function renderColumns(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: readonly boolean[], width?: number): string[] {
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    truncate(
      cells
        .map((cell, index) => (rightAligned[index] === true ? cell.padStart(widths[index] ?? 0) : cell.padEnd(widths[index] ?? 0)))
        .join('  ')
        .trimEnd(),
      width,
    );
  return [line(header), ...rows.map(line)];
}

export function shortConfig(config: TrialConfig): string {
  return `lr ${String(config.learningRate)} · factor ${String(config.factor)} · patience ${String(config.patience)}`;
}

function bestCell(summary: SweepSummary): string {
  return summary.best === null ? '—' : `${formatObjective(summary.best.objective)} (${shortConfig(summary.best.config)})`;
}

function minuteOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** The sweep's error as one line for people, or none. */
export function sweepErrorLines(summary: SweepSummary, width?: number): string[] {
  return summary.error === null ? [] : [truncate(`error: ${describeSweepError(summary.error)}`, width)];
}

/** `plateau status`: every sweep, oldest first; below the table, the error of each sweep that has one. */
export function renderSweepList(sweeps: readonly SweepSummary[], width?: number): string {
  if (sweeps.length === 0) return 'No sweeps on this coordinator yet — `plateau submit spec.yaml` starts one.';
  const errors = sweeps.flatMap((sweep) => (sweep.error === null ? [] : [truncate(`${sweep.sweepId}: ${describeSweepError(sweep.error)}`, width)]));
  return [renderSweepTable(sweeps, width), ...(errors.length === 0 ? [] : ['', ...errors])].join('\n');
}

function renderSweepTable(sweeps: readonly SweepSummary[], width?: number): string {
  const rows = sweeps.map((sweep) => [
    sweep.sweepId,
    sweep.name,
    sweep.state,
    `${finishedCount(sweep.counts)}/${sweep.totalTrials}`,
    String(sweep.counts.running),
    String(sweep.counts.failed + sweep.counts.diverged),
    String(sweep.counts.pruned),
    minuteOf(sweep.createdAtMs),
    bestCell(sweep),
  ]);
  return renderColumns(['SWEEP', 'NAME', 'STATE', 'DONE', 'RUNNING', 'FAILED', 'STOPPED', 'CREATED (UTC)', 'BEST'], rows, [false, false, false, true, true, true, true, false, false], width).join('\n');
}

/** `plateau status SWEEP`: the counts and the best so far. */
export function renderSweepSummary(summary: SweepSummary): string {
  const { counts } = summary;
  const parts = [
    `${counts.succeeded} succeeded`,
    `${counts.running} running`,
    `${counts.queued} queued`,
    ...(counts.failed > 0 ? [`${counts.failed} failed`] : []),
    ...(counts.diverged > 0 ? [`${counts.diverged} diverged`] : []),
    ...(counts.pruned > 0 ? [`${counts.pruned} stopped early`] : []),
    ...(counts.cancelled > 0 ? [`${counts.cancelled} cancelled`] : []),
  ];
  return [
    `Sweep "${summary.name}" (${summary.sweepId}) — ${summary.state}`,
    `${finishedCount(counts)}/${summary.totalTrials} trials done: ${parts.join(', ')}`,
    `best so far: ${bestCell(summary)}`,
    ...sweepErrorLines(summary),
  ].join('\n');
}

function optionalNumber(value: number | null): string {
  return value === null ? '—' : formatObjective(value);
}

/** The running trials, longest-running first (by epoch), as a table. */
export function renderRunningTrials(running: readonly RunningTrialProgress[], width?: number): string {
  if (running.length === 0) return 'No trials running.';
  const sorted = [...running].sort((a, b) => b.epoch / Math.max(1, b.epochs) - a.epoch / Math.max(1, a.epochs) || a.trialId.localeCompare(b.trialId));
  const rows = sorted.map((trial) => [trial.trialId, trial.agentId, `${trial.epoch}/${trial.epochs}`, optionalNumber(trial.valLoss), optionalNumber(trial.lr), shortConfig(trial.config)]);
  return renderColumns(['TRIAL', 'AGENT', 'EPOCH', 'VAL_LOSS', 'LR', 'CONFIG'], rows, [false, false, true, true, true, false], width).join('\n');
}

/** The failed and diverged trials with their last error, as a table; '' when there are none. */
export function renderFailedTrials(progress: SweepProgress, width?: number): string {
  const { failures, summary } = progress;
  if (failures.length === 0) return '';
  const total = summary.counts.failed + summary.counts.diverged;
  const title = total > failures.length ? `Failed trials (the first ${failures.length} of ${total}; all in results.json):` : 'Failed trials:';
  const rows = failures.map((trial) => [trial.trialId, trial.status, `${trial.error.kind}: ${trial.error.message}`]);
  return [title, ...renderColumns(['TRIAL', 'STATUS', 'LAST ERROR'], rows, [false, false, false], width)].join('\n');
}

export function progressStateOf(summary: SweepSummary, nowMs: number): ProgressState {
  return {
    total: summary.totalTrials,
    done: finishedCount(summary.counts),
    running: summary.counts.running,
    failed: summary.counts.failed,
    diverged: summary.counts.diverged,
    stopped: summary.counts.pruned,
    startedAtMs: summary.createdAtMs,
    nowMs,
    best: summary.best,
  };
}

/** One frame of `plateau watch`: a title, the progress line and the running trials. */
export function renderWatchFrame(progress: SweepProgress, nowMs: number, width: number): string[] {
  const { summary } = progress;
  return [
    truncate(`Sweep "${summary.name}" (${summary.sweepId}) — ${summary.state}`, width),
    renderProgress(progressStateOf(summary, nowMs), width),
    ...sweepErrorLines(summary, width),
    '',
    ...renderRunningTrials(progress.running, width).split('\n'),
    ...(progress.failures.length === 0 ? [] : ['', ...renderFailedTrials(progress, width).split('\n')]),
  ];
}

/** One line for logs (not a TTY): the progress, and which trials run at which epoch. */
export function renderWatchLine(progress: SweepProgress, nowMs: number): string {
  const running = progress.running.map((trial) => `${trial.trialId} ${trial.epoch}/${trial.epochs}`).join(', ');
  const error = progress.summary.error === null ? '' : ` · error: ${describeSweepError(progress.summary.error)}`;
  return `${renderProgress(progressStateOf(progress.summary, nowMs), 200)}${running === '' ? '' : ` · running: ${running}`}${error}`;
}

/** Changes when a log reader would want a new line: a trial finished or started. */
export function watchLineKey(progress: SweepProgress): string {
  return `${progress.summary.state}|${progress.summary.error?.atMs ?? ''}|${finishedCount(progress.summary.counts)}|${progress.running.map((trial) => trial.trialId).sort().join(',')}`;
}
