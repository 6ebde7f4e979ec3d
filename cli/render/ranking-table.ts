// The ranking as a table a person reads at a glance: best first and marked, diverged and
// failed configs last and shouted, then which knob mattered most.
import { axesBySpread, type AxisEffect } from '../../src/rank/axis-effects.js';
import { CONFIG_AXIS_LABEL, configKey, shownAxes } from '../../src/rank/config-key.js';
import { ENGINE_NOISE_RELATIVE_TOLERANCE } from '../../src/rank/engine-noise.js';
import type { ConfigFlag } from '../../src/rank/schedule-flags.js';
import type { ResultsDocument, ResultsRankingEntry, ResultsTrial, ResultsTrialStatus } from '../../src/results/results-document.js';
import { formatObjective, formatSpread, styled, truncate } from '../../src/format/text-format.js';
import { earlyStopSettings, stoppedRepeatsMarker } from '../../src/stopping/stop-text.js';
import { epochsSaved } from '../../src/report/early-stop-section.js';

export interface RankingTableOptions {
  /** Show at most this many configs (the rest are summarized in one line). */
  readonly top?: number;
  /** ANSI colors (bold green best row, red diverged/failed rows). */
  readonly color?: boolean;
  /** Cut every line to this many characters. */
  readonly width?: number;
}


const FLAG_TEXT: Readonly<Partial<Record<ConfigFlag, string>>> = {
  'schedule-cannot-fire': "schedule can't fire",
  'schedule-never-fired': 'schedule never fired',
};

const MARKED_STATUSES: readonly { status: ResultsTrialStatus; label: string }[] = [
  { status: 'diverged', label: 'DIVERGED' },
  { status: 'failed', label: 'FAILED' },
  { status: 'running', label: 'running' },
  { status: 'queued', label: 'queued' },
  { status: 'cancelled', label: 'cancelled' },
];

/** How a status is counted in the header line: a pruned trial is one the early-stopping rule stopped. */
const STATUS_COUNT_TEXT: Readonly<Partial<Record<ResultsTrialStatus, string>>> = { pruned: 'stopped early' };

function objectiveCell(entry: ResultsRankingEntry): string {
  if (entry.objective === null) return '—';
  const { mean, std, n } = entry.objective;
  return `${formatObjective(mean)} ± ${formatSpread(std)} (${n})`;
}

/** LR reductions per repeat that has a result: "2", or a range "1–3" when repeats differ. */
function reductionsCell(trials: readonly ResultsTrial[]): string {
  const counts = trials.filter((trial) => trial.history.length > 0).map((trial) => trial.lrReductions.length);
  if (counts.length === 0) return '—';
  const low = Math.min(...counts);
  const high = Math.max(...counts);
  return low === high ? String(low) : `${low}–${high}`;
}

function statusCell(entry: ResultsRankingEntry, trials: readonly ResultsTrial[], isBest: boolean): string {
  const parts: string[] = isBest ? ['best'] : [];
  const stopped = stoppedRepeatsMarker(trials, entry.statuses.length);
  if (stopped !== null) parts.push(stopped);
  for (const { status, label } of MARKED_STATUSES) {
    const count = entry.statuses.filter((candidate) => candidate === status).length;
    if (count > 0) parts.push(`${label} ${count}/${entry.statuses.length}`);
  }
  for (const flag of entry.flags) {
    const text = flag === 'within-noise' ? `≈ rank ${entry.rank - 1}` : FLAG_TEXT[flag];
    if (text !== undefined) parts.push(text);
  }
  return parts.join(', ');
}

/** The legend of the ≈ marker, when a shown config carries it. */
export function withinNoiseLegend(): string {
  return `≈ rank N: within ${String(ENGINE_NOISE_RELATIVE_TOLERANCE * 100)}% of rank N's objective, where engines' float32 noise can swap them (docs/fused-training.md)`;
}

function isBad(entry: ResultsRankingEntry): boolean {
  return entry.flags.includes('diverged') || entry.flags.includes('failed');
}

function countsLine(doc: ResultsDocument): string {
  const byStatus = new Map<ResultsTrialStatus, number>();
  for (const trial of doc.trials) byStatus.set(trial.status, (byStatus.get(trial.status) ?? 0) + 1);
  const order: readonly ResultsTrialStatus[] = ['succeeded', 'diverged', 'failed', 'pruned', 'cancelled', 'running', 'queued'];
  const parts = order.filter((status) => (byStatus.get(status) ?? 0) > 0).map((status) => `${byStatus.get(status) ?? 0} ${STATUS_COUNT_TEXT[status] ?? status}`);
  const configs = `${doc.ranking.length} config${doc.ranking.length === 1 ? '' : 's'}`;
  return `${doc.trials.length} trial${doc.trials.length === 1 ? '' : 's'}${parts.length > 0 ? ` (${parts.join(', ')})` : ''} over ${configs}`;
}

/** The legend of the stopped marker, saying where the sweep ranks stopped configs. */
export function stoppedLegend(doc: ResultsDocument): string {
  const { metric } = doc.sweep.spec.objective;
  const where = doc.sweep.spec.earlyStop?.rankStopped === 'together' ? 'ranked with the finished configs' : 'ranked below every finished config';
  return `stopped@E (rule): stopped early at the end of epoch E, ${where} by its best ${metric} up to then`;
}

/** "early stopping: median from epoch 5, …, plateau guard on · 12 of 40 trials stopped, 610 of 960 epochs trained (64%)"; null without earlyStop. */
export function earlyStopLine(doc: ResultsDocument): string | null {
  const earlyStop = doc.sweep.spec.earlyStop;
  if (earlyStop === undefined) return null;
  const { stopped, trained, full } = epochsSaved(doc);
  const share = full === 0 ? '' : ` (${Math.round((100 * trained) / full)}%)`;
  return `early stopping: ${earlyStopSettings(earlyStop, doc.sweep.spec.workload.epochs)} · ${stopped} of ${doc.trials.length} trials stopped, ${trained} of ${full} epochs trained${share}`;
}

function pad(cells: readonly string[], widths: readonly number[], rightAligned: readonly boolean[]): string {
  return cells
    .map((cell, index) => {
      const width = widths[index] ?? 0;
      return rightAligned[index] === true ? cell.padStart(width) : cell.padEnd(width);
    })
    .join('  ')
    .trimEnd();
}

/** "0.003 → 0.0123, 0.01 → 0.0456 (2/3 diverged)", best value first. */
function effectValues(effect: AxisEffect, goal: 'minimize' | 'maximize'): string {
  const sorted = [...effect.values].sort((a, b) => {
    if (a.mean === null || b.mean === null) return a.mean === null ? (b.mean === null ? a.value - b.value : 1) : -1;
    return goal === 'maximize' ? b.mean - a.mean : a.mean - b.mean;
  });
  return sorted
    .filter((entry) => entry.mean !== null || entry.diverged + entry.failed > 0) // nothing to say yet
    .map((entry) => {
      const lost = entry.diverged + entry.failed;
      const note =
        lost === 0
          ? ''
          : ` (${[entry.diverged > 0 ? `${entry.diverged} diverged` : '', entry.failed > 0 ? `${entry.failed} failed` : ''].filter((text) => text !== '').join(', ')} of ${entry.trials})`;
      return `${String(entry.value)} → ${entry.mean === null ? '—' : formatObjective(entry.mean)}${note}`;
    })
    .join(', ');
}

function effectLines(doc: ResultsDocument): string[] {
  const goal = doc.sweep.spec.objective.goal;
  return axesBySpread(doc.axisEffects).map((effect, index) => {
    const values = effectValues(effect, goal);
    if (index === 0 && effect.spread !== null) return `${effect.axis} matters most: ${values}`;
    return `${effect.axis}: ${values}${effect.spread === null ? '' : ` (spread ${formatSpread(effect.spread)})`}`;
  });
}

/** The whole ranking report: header, table, and per-axis effects, lines joined with \n. */
export function renderRankingTable(doc: ResultsDocument, options: RankingTableOptions = {}): string {
  const color = options.color ?? false;
  const { spec } = doc.sweep;
  const objective = spec.objective;
  const trialsById = new Map(doc.trials.map((trial) => [trial.id, trial]));
  const axes = shownAxes(doc.ranking.map((entry) => entry.config));
  const bestKey = doc.best === null ? undefined : configKey(doc.best.config);
  const shown = doc.ranking.slice(0, options.top ?? doc.ranking.length);
  const hidden = doc.ranking.slice(shown.length);

  const header = ['', 'rank', ...axes.map((axis) => CONFIG_AXIS_LABEL[axis]), `${objective.metric} mean ± std (n)`, 'LR cuts', 'status'];
  const rightAligned = [false, true, ...axes.map(() => true), false, true, false];
  const rows = shown.map((entry) => {
    const isBest = entry.key === bestKey;
    const trials = entry.trialIds.map((id) => trialsById.get(id)).filter((trial): trial is ResultsTrial => trial !== undefined);
    return {
      entry,
      isBest,
      cells: [
        isBest ? '*' : '',
        String(entry.rank),
        ...axes.map((axis) => String(entry.config[axis])),
        objectiveCell(entry),
        reductionsCell(trials),
        statusCell(entry, trials, isBest),
      ],
    };
  });
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => (row.cells[index] ?? '').length)));

  const fit = (line: string): string => truncate(line, options.width);
  const lines: string[] = [
    styled(fit(`Sweep "${doc.sweep.name}" (${doc.sweep.id}) — ${doc.sweep.state}`), 'bold', color),
    fit(`objective: ${objective.metric}, ${objective.goal}, ${objective.use === 'final' ? 'final epoch' : 'best epoch'} · ${countsLine(doc)}`),
    ...((line) => (line === null ? [] : [fit(line)]))(earlyStopLine(doc)),
    '',
    styled(fit(pad(header, widths, rightAligned)), 'dim', color),
  ];
  for (const row of rows) {
    const line = fit(pad(row.cells, widths, rightAligned));
    lines.push(row.isBest ? styled(line, 'boldGreen', color) : isBad(row.entry) ? styled(line, 'red', color) : row.entry.statuses.includes('pruned') ? styled(line, 'dim', color) : line);
  }
  if (hidden.length > 0) {
    const diverged = hidden.filter((entry) => entry.flags.includes('diverged')).length;
    const failed = hidden.filter((entry) => !entry.flags.includes('diverged') && entry.flags.includes('failed')).length;
    const stopped = hidden.filter((entry) => !isBad(entry) && entry.statuses.includes('pruned')).length;
    const lost = [stopped > 0 ? `${stopped} stopped early` : '', diverged > 0 ? `${diverged} diverged` : '', failed > 0 ? `${failed} failed` : ''].filter((text) => text !== '');
    lines.push(fit(`… ${hidden.length} more config${hidden.length === 1 ? '' : 's'} not shown${lost.length > 0 ? ` (${lost.join(', ')})` : ''}`));
  }
  if (shown.some((entry) => entry.flags.includes('within-noise'))) lines.push(fit(withinNoiseLegend()));
  if (shown.some((entry) => entry.statuses.includes('pruned'))) lines.push(fit(stoppedLegend(doc)));
  if (doc.ranking.length === 0) lines.push('(no trials)');
  const effects = effectLines(doc);
  if (effects.length > 0) lines.push('', ...effects.map(fit));
  return lines.join('\n');
}
