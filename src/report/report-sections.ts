// The report's HTML that needs no script: header, summary, the ranking table (sorted by the
// page script on click), the best config with its snippets, and the environment. Pure.
import { axesBySpread } from '../rank/axis-effects.js';
import { CONFIG_AXES, configKey } from '../rank/config-key.js';
import type { ConfigFlag } from '../rank/schedule-flags.js';
import type { ResultsDocument, ResultsRankingEntry, ResultsTrial, ResultsTrialStatus } from '../results/results-document.js';
import { formatDuration, formatObjective, formatSpread } from '../format/text-format.js';
import { escapeHtml } from './html-text.js';
import type { ReportChart } from './report-chart.js';
import { AXIS_TITLE, configLabel, shownAxes } from './report-model.js';
import { epochsSaved } from './early-stop-section.js';
import { earlyStopSettings, stoppedRepeatsMarker } from '../stopping/stop-text.js';

const FLAG_TEXT: Readonly<Record<ConfigFlag, string>> = {
  diverged: 'diverged',
  failed: 'failed',
  'schedule-cannot-fire': "schedule can't fire",
  'schedule-never-fired': 'schedule never fired',
  'within-noise': '≈ the config above (within engine noise)',
};

const STATUS_ORDER: readonly ResultsTrialStatus[] = ['succeeded', 'diverged', 'failed', 'pruned', 'cancelled', 'running', 'queued'];

/** "a, b", or a dash for an empty list. */
function listOrDash(items: readonly string[]): string {
  return items.length === 0 ? '—' : items.join(', ');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function statusCounts(trials: readonly ResultsTrial[]): string {
  const counts = new Map<ResultsTrialStatus, number>();
  for (const trial of trials) counts.set(trial.status, (counts.get(trial.status) ?? 0) + 1);
  return STATUS_ORDER.filter((status) => (counts.get(status) ?? 0) > 0)
    .map((status) => `${counts.get(status) ?? 0} ${status === 'pruned' ? 'stopped early' : status}`)
    .join(' · ');
}

function objectiveText(doc: ResultsDocument): string {
  const { metric, goal, use } = doc.sweep.spec.objective;
  return `${metric}, ${goal}d, ${use === 'final' ? 'at the final epoch' : 'at its best epoch'}`;
}

function sweepDuration(doc: ResultsDocument): string | null {
  if (doc.sweep.finishedAt === null) return null;
  const ms = Date.parse(doc.sweep.finishedAt) - Date.parse(doc.sweep.createdAt);
  return Number.isFinite(ms) ? formatDuration(ms) : null;
}

export function headerHtml(doc: ResultsDocument): string {
  const { sweep } = doc;
  const duration = sweepDuration(doc);
  const facts = [
    `sweep <code>${escapeHtml(sweep.id)}</code>`,
    // A workload error that stopped the sweep failed it, whatever its trials' ends were.
    ((state: string) => `<span class="state state-${escapeHtml(state)}">${escapeHtml(state)}</span>`)(sweep.error?.scope === 'sweep' ? 'failed' : sweep.state),
    `objective: ${escapeHtml(objectiveText(doc))}`,
    `started ${escapeHtml(sweep.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}${duration === null ? '' : `, took ${duration}`}`,
  ];
  return `<header class="page-header">
  <p class="eyebrow">plateau-sweep report</p>
  <h1>${escapeHtml(sweep.name)}</h1>
  <p class="facts">${facts.join('<span class="sep">·</span>')}</p>
</header>`;
}

function card(label: string, value: string, detail: string): string {
  return `<div class="card"><div class="card-label">${escapeHtml(label)}</div><div class="card-value">${value}</div><div class="card-detail">${detail}</div></div>`;
}

export function summaryHtml(doc: ResultsDocument): string {
  const axes = shownAxes(doc);
  const { metric } = doc.sweep.spec.objective;
  const cards: string[] = [];
  cards.push(
    doc.best === null
      ? card(`best ${metric}`, '—', 'no config finished cleanly yet')
      : card(
          `best ${metric}`,
          escapeHtml(formatObjective(doc.best.objective.mean)),
          `${escapeHtml(configLabel(doc.best.config, axes))}${doc.best.objective.n > 1 ? ` · ± ${escapeHtml(formatSpread(doc.best.objective.std))} over ${doc.best.objective.n} repeats` : ''}`,
        ),
  );
  cards.push(card('trials', String(doc.trials.length), `${escapeHtml(statusCounts(doc.trials))} · ${plural(doc.ranking.length, 'config')}`));
  const [mattersMost] = axesBySpread(doc.axisEffects);
  cards.push(
    mattersMost === undefined || mattersMost.spread === null
      ? card('knob that matters most', '—', 'needs at least two values of an axis with results')
      : card(
          'knob that matters most',
          escapeHtml(AXIS_TITLE[mattersMost.axis]),
          `means differ by ${escapeHtml(formatSpread(mattersMost.spread))} across its values; best ${escapeHtml(String(mattersMost.bestValue))}`,
        ),
  );
  if (doc.sweep.spec.earlyStop !== undefined) {
    const saved = epochsSaved(doc);
    const share = saved.full === 0 ? '—' : `${Math.round((100 * saved.trained) / saved.full)}%`;
    cards.push(
      card(
        'early stopping',
        `${saved.stopped} stopped`,
        `${escapeHtml(share)} of the epochs trained (${saved.trained} of ${saved.full}) · ${escapeHtml(doc.sweep.spec.earlyStop.rule)}, plateau guard ${doc.sweep.spec.earlyStop.plateauGuard ? 'on' : 'off'}`,
      ),
    );
  }
  const wall = doc.trials.reduce((sum, trial) => sum + (trial.wallSeconds ?? 0), 0);
  cards.push(card('training time', escapeHtml(formatDuration(wall * 1000)), `summed over trials · backend ${escapeHtml(listOrDash(doc.environment.backends))}`));
  return `<section class="cards" aria-label="Summary">${cards.join('\n')}</section>\n${calloutsHtml(doc)}`;
}

function calloutsHtml(doc: ResultsDocument): string {
  const notes: string[] = [];
  const bestKey = doc.best === null ? undefined : configKey(doc.best.config);
  const bestEntry = doc.ranking.find((entry) => entry.key === bestKey);
  if (bestEntry?.flags.includes('schedule-never-fired') === true || bestEntry?.flags.includes('schedule-cannot-fire') === true) {
    notes.push('The best config never reduced its learning rate: its factor had no effect on this result. More epochs, or a smaller patience, would let the schedule act.');
  }
  const cannotFire = doc.ranking.filter((entry) => entry.flags.includes('schedule-cannot-fire')).length;
  if (cannotFire > 0) notes.push(`${plural(cannotFire, 'config')} could never reduce the LR (patience ≥ epochs, or LR ≤ minLr): their factor is irrelevant.`);
  const lost = doc.ranking.filter((entry) => entry.flags.includes('diverged') || entry.flags.includes('failed')).length;
  if (lost > 0) notes.push(`${plural(lost, 'config')} diverged or failed; they rank last.`);
  const stopped = doc.ranking.filter((entry) => entry.statuses.includes('pruned')).length;
  if (stopped > 0) {
    const where = doc.sweep.spec.earlyStop?.rankStopped === 'together' ? 'they rank with the finished ones' : 'they rank below every finished config';
    notes.push(`${plural(stopped, 'config')} had a trial stopped early, ranked by the best value it reached before its stop; ${where}.`);
  }
  if (doc.sweep.state !== 'finished') notes.push(`This sweep is ${doc.sweep.state}: the results are partial.`);
  return notes.length === 0 ? '' : `<ul class="callouts">${notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>`;
}

interface Column {
  readonly title: string;
  readonly numeric: boolean;
  /** The sort key (empty sorts last) and the text shown. */
  readonly cell: (entry: ResultsRankingEntry, trials: readonly ResultsTrial[]) => { sort: string; text: string };
}

function reductions(trials: readonly ResultsTrial[]): { sort: string; text: string } {
  const counts = trials.filter((trial) => trial.history.length > 0).map((trial) => trial.lrReductions.length);
  if (counts.length === 0) return { sort: '', text: '—' };
  const low = Math.min(...counts);
  const high = Math.max(...counts);
  return { sort: String(counts.reduce((sum, count) => sum + count, 0) / counts.length), text: low === high ? String(low) : `${low}–${high}` };
}

function statusText(entry: ResultsRankingEntry, isBest: boolean): string {
  const parts: string[] = isBest ? ['best'] : [];
  const total = entry.statuses.length;
  for (const status of ['diverged', 'failed', 'running', 'queued', 'cancelled'] as const) {
    const count = entry.statuses.filter((candidate) => candidate === status).length;
    if (count > 0) parts.push(total > 1 ? `${status} ${count}/${total}` : status);
  }
  for (const flag of entry.flags) if (flag !== 'diverged' && flag !== 'failed') parts.push(FLAG_TEXT[flag]);
  return parts.join(', ');
}

export function rankingTableHtml(doc: ResultsDocument): string {
  const axes = shownAxes(doc);
  const { metric } = doc.sweep.spec.objective;
  const trialsById = new Map(doc.trials.map((trial) => [trial.id, trial]));
  const bestKey = doc.best === null ? undefined : configKey(doc.best.config);
  const number = (value: number | null | undefined, text: (value: number) => string): { sort: string; text: string } =>
    value === null || value === undefined || !Number.isFinite(value) ? { sort: '', text: '—' } : { sort: String(value), text: text(value) };
  const columns: Column[] = [
    { title: 'rank', numeric: true, cell: (entry) => ({ sort: String(entry.rank), text: String(entry.rank) }) },
    ...axes.map((axis): Column => ({ title: AXIS_TITLE[axis], numeric: true, cell: (entry) => ({ sort: String(entry.config[axis]), text: String(entry.config[axis]) }) })),
    { title: `${metric} mean`, numeric: true, cell: (entry) => number(entry.objective?.mean, formatObjective) },
    { title: '± std', numeric: true, cell: (entry) => number(entry.objective === null || entry.objective.n < 2 ? null : entry.objective.std, formatSpread) },
    { title: 'n', numeric: true, cell: (entry) => ({ sort: String(entry.objective?.n ?? 0), text: String(entry.objective?.n ?? 0) }) },
    { title: 'LR cuts', numeric: true, cell: (_entry, trials) => reductions(trials) },
    {
      title: 'time / trial',
      numeric: true,
      cell: (_entry, trials) => {
        const walls = trials.flatMap((trial) => (trial.wallSeconds === null ? [] : [trial.wallSeconds]));
        return number(walls.length === 0 ? null : walls.reduce((sum, wall) => sum + wall, 0) / walls.length, (seconds) => `${seconds.toFixed(1)} s`);
      },
    },
    { title: 'status', numeric: false, cell: (entry) => ({ sort: statusText(entry, entry.key === bestKey), text: statusText(entry, entry.key === bestKey) }) },
  ];
  // With early stopping, where each config stopped (sorted by its earliest stop epoch; finished configs last).
  if (doc.sweep.spec.earlyStop !== undefined || doc.trials.some((trial) => trial.status === 'pruned')) {
    columns.splice(columns.length - 1, 0, {
      title: 'stopped',
      numeric: false,
      cell: (entry, trials) => {
        const text = stoppedRepeatsMarker(trials, entry.statuses.length);
        const first = Math.min(...trials.map((trial) => trial.stop?.epoch ?? Number.POSITIVE_INFINITY));
        return text === null ? { sort: '', text: '—' } : { sort: Number.isFinite(first) ? String(first) : '', text };
      },
    });
  }
  const head = columns
    .map((column, index) => `<th scope="col"${column.numeric ? ' class="num"' : ''}${index === 0 ? ' aria-sort="ascending"' : ''}><button type="button" data-column="${index}">${escapeHtml(column.title)}</button></th>`)
    .join('');
  const rows = doc.ranking.map((entry) => {
    const trials = entry.trialIds.map((id) => trialsById.get(id)).filter((trial): trial is ResultsTrial => trial !== undefined);
    const bad = entry.flags.includes('diverged') || entry.flags.includes('failed');
    const rowClass = entry.key === bestKey ? ' class="best"' : bad ? ' class="bad"' : entry.statuses.includes('pruned') ? ' class="stopped"' : '';
    const cells = columns.map((column) => {
      const { sort, text } = column.cell(entry, trials);
      return `<td${column.numeric ? ' class="num"' : ''} data-sort="${escapeHtml(sort)}">${escapeHtml(text)}</td>`;
    });
    return `<tr${rowClass}>${cells.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table id="ranking" class="ranking">
<thead><tr>${head}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>
${doc.ranking.length === 0 ? '<p class="empty">No trials yet.</p>' : '<p class="hint">Click a column header to sort; click again to reverse.</p>'}`;
}

export function chartHtml(chart: ReportChart): string {
  const toggle =
    chart.logToggle === true
      ? `<label class="toggle"><input type="checkbox" data-log-for="${escapeHtml(chart.id)}"${chart.option.yAxis !== undefined && !Array.isArray(chart.option.yAxis) && chart.option.yAxis.type === 'log' ? ' checked' : ''}> log scale</label>`
      : '';
  return `<figure class="chart">
  <figcaption><div><h3>${escapeHtml(chart.title)}</h3><p>${escapeHtml(chart.caption)}</p></div>${toggle}</figcaption>
  <div id="${escapeHtml(chart.id)}" class="chart-canvas" data-chart style="height:${chart.height}px"></div>
</figure>`;
}

function snippetHtml(id: string, title: string, code: string): string {
  return `<div class="snippet">
  <div class="snippet-head"><h3>${escapeHtml(title)}</h3><button type="button" class="copy" data-copy="${id}">Copy</button></div>
  <pre><code id="${id}">${escapeHtml(code)}</code></pre>
</div>`;
}

export function bestHtml(doc: ResultsDocument): string {
  if (doc.best === null) return '<p class="empty">No config finished cleanly, so there is nothing to recommend yet.</p>';
  const { best } = doc;
  const { plateau } = doc.sweep.spec;
  const rows: [string, string][] = [
    [`${doc.sweep.spec.objective.metric}`, `${formatObjective(best.objective.mean)}${best.objective.n > 1 ? ` ± ${formatSpread(best.objective.std)} (n = ${best.objective.n})` : ''}`],
    ...CONFIG_AXES.map((axis): [string, string] => [AXIS_TITLE[axis], String(best.config[axis])]),
    ['monitor', plateau.monitor],
    ['mode', plateau.mode],
  ];
  return `<dl class="config">${rows.map(([key, value]) => `<div><dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd></div>`).join('')}</dl>
<div class="snippets">
${snippetHtml('snippet-keras', 'Keras (Python)', best.snippets.keras)}
${snippetHtml('snippet-tfjs', 'TensorFlow.js', best.snippets.tfjs)}
</div>`;
}

export function environmentHtml(doc: ResultsDocument): string {
  const { environment, sweep } = doc;
  const rows: [string, string][] = [
    ['sweep id', sweep.id],
    ['state', sweep.state],
    ['created', sweep.createdAt],
    ['finished', sweep.finishedAt ?? '—'],
    ['backends', listOrDash(environment.backends)],
    ['hosts', listOrDash(environment.hosts)],
    ...Object.entries(environment.versions)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, version]): [string, string] => [name, version]),
    ['epochs per trial', String(sweep.spec.workload.epochs)],
    ['repeats', String(sweep.spec.repeats)],
    ['early stopping', sweep.spec.earlyStop === undefined ? 'off' : earlyStopSettings(sweep.spec.earlyStop, sweep.spec.workload.epochs)],
  ];
  return `<table class="kv"><tbody>${rows.map(([key, value]) => `<tr><th scope="row">${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`).join('')}</tbody></table>
<details><summary>Sweep spec</summary><pre><code>${escapeHtml(sweep.specSource)}</code></pre></details>`;
}
