// The live progress line of a sweep: a pure renderer (state in, one line out) and a small
// class that draws it on a terminal, or prints it now and then into a log.
import type { TrialConfig } from '../../src/trial/types.js';
import { formatDuration, formatObjective, truncate } from '../../src/format/text-format.js';

export interface ProgressState {
  readonly total: number;
  /** Trials that reached a final state (succeeded, failed, diverged, pruned, cancelled). */
  readonly done: number;
  readonly running: number;
  /** The failed part of `done`. */
  readonly failed: number;
  /** The diverged part of `done`. */
  readonly diverged: number;
  /** The part of `done` stopped early by the sweep's earlyStop rule (status pruned). */
  readonly stopped: number;
  readonly startedAtMs: number;
  readonly nowMs: number;
  /** The best objective among finished trials so far. */
  readonly best: { readonly objective: number; readonly config: TrialConfig } | null;
}

const MAX_BAR = 30;
const MIN_BAR = 10;

/** Time left at the completion rate so far; null before the first trial finishes. */
export function estimateRemainingMs(state: Pick<ProgressState, 'total' | 'done' | 'startedAtMs' | 'nowMs'>): number | null {
  if (state.done >= state.total) return 0;
  if (state.done <= 0) return null;
  const elapsed = Math.max(0, state.nowMs - state.startedAtMs);
  return (elapsed * (state.total - state.done)) / state.done;
}

export function progressPercent(state: Pick<ProgressState, 'total' | 'done'>): number {
  if (state.total <= 0) return 100;
  return Math.min(100, Math.floor((100 * state.done) / state.total));
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** One line, at most `width` characters: bar, counts, percent, elapsed, ETA, best so far. */
export function renderProgress(state: ProgressState, width: number): string {
  const counts = [`${state.done}/${state.total} done (${progressPercent(state)}%)`, `${state.running} running`, `${state.failed} failed`];
  if (state.diverged > 0) counts.push(`${state.diverged} diverged`);
  if (state.stopped > 0) counts.push(`${state.stopped} stopped`);
  const remaining = estimateRemainingMs(state);
  const info = [counts.join(', '), `${formatDuration(state.nowMs - state.startedAtMs)} elapsed, ETA ${remaining === null ? '--' : formatDuration(remaining)}`];
  if (state.best !== null) {
    const { config, objective } = state.best;
    info.push(`best ${formatObjective(objective)} (lr ${String(config.learningRate)}, factor ${String(config.factor)}, patience ${String(config.patience)})`);
  }
  const text = info.join(' · ');
  // The bar is decoration: on a narrow line the numbers keep the room.
  const barWidth = Math.min(MAX_BAR, width - text.length - 3);
  if (barWidth < MIN_BAR) return truncate(text, width);
  return `${bar(state.total <= 0 ? 1 : state.done / state.total, barWidth)} ${text}`;
}

/** Where the progress line goes: a stream (process.stderr) or anything shaped like one. */
export interface ProgressSink {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressLineOptions {
  /** When not a TTY, print a plain line at most this often (by the states' nowMs). Default 10 s. */
  readonly plainIntervalMs?: number;
  /** Line width; default: the terminal's columns − 1 (so the line never wraps), else 100. */
  readonly width?: number;
}

const CLEAR_TO_END = '\u001b[K';

/**
 * Redraws one terminal line in place with `\r`; into a pipe or a log file, prints a plain
 * line every `plainIntervalMs` instead. It owns no timer: the caller calls update().
 */
export class ProgressLine {
  private phase: 'drawing' | 'finished' = 'drawing';
  private lastDrawn: string | undefined;
  private lastPlainAtMs: number | undefined;
  private lastPrinted: string | undefined;
  private readonly plainIntervalMs: number;

  constructor(
    private readonly sink: ProgressSink,
    private readonly options: ProgressLineOptions = {},
  ) {
    this.plainIntervalMs = options.plainIntervalMs ?? 10_000;
  }

  private get width(): number {
    return this.options.width ?? (this.sink.isTTY === true && this.sink.columns !== undefined ? this.sink.columns - 1 : 100);
  }

  update(state: ProgressState): void {
    if (this.phase === 'finished') return;
    const line = renderProgress(state, this.width);
    if (this.sink.isTTY === true) {
      if (line === this.lastDrawn) return;
      this.sink.write(`\r${line}${CLEAR_TO_END}`);
      this.lastDrawn = line;
      return;
    }
    if (this.lastPlainAtMs !== undefined && state.nowMs - this.lastPlainAtMs < this.plainIntervalMs) return;
    this.sink.write(`${line}\n`);
    this.lastPlainAtMs = state.nowMs;
    this.lastPrinted = line;
  }

  /** Wipes the line (TTY), so other output can be printed; the next update redraws it. */
  clear(): void {
    if (this.sink.isTTY !== true || this.lastDrawn === undefined) return;
    this.sink.write(`\r${CLEAR_TO_END}`);
    this.lastDrawn = undefined;
  }

  /** Draws the final state and ends the line; later updates are ignored. Safe to call twice. */
  finish(state: ProgressState): void {
    if (this.phase === 'finished') return;
    this.phase = 'finished';
    const line = renderProgress(state, this.width);
    if (this.sink.isTTY === true) this.sink.write(`\r${line}${CLEAR_TO_END}\n`);
    // Into a log, the final state is printed once, not again right after its twin.
    else if (line !== this.lastPrinted) this.sink.write(`${line}\n`);
  }
}
