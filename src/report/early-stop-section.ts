// The report's account of early stopping (issue 18): the settings (rule, grace period, the
// plateau guard on or off, how stopped trials rank), how much training it saved, and each
// stopped trial with its stop record — the epoch, the rule, its value against the threshold.
import { formatObjective } from '../format/text-format.js';
import type { ResultsDocument, ResultsTrial } from '../results/results-document.js';
import type { EarlyStopSpec } from '../stopping/stop-types.js';
import { stopMarker } from '../stopping/stop-text.js';
import { escapeHtml } from './html-text.js';
import { configLabel, shownAxes } from './report-model.js';

/** Rows shown in the stopped-trials table; a note counts the rest (they are all in results.json). */
export const STOPPED_TRIALS_SHOWN = 200;

/** Epochs trained by the trials that ended, against what they would have trained without stopping. */
export interface EpochsSaved {
  readonly stopped: number;
  readonly trained: number;
  readonly full: number;
}

export function epochsSaved(doc: ResultsDocument): EpochsSaved {
  const ended = doc.trials.filter((trial) => trial.status !== 'queued' && trial.status !== 'running');
  return {
    stopped: doc.trials.filter((trial) => trial.status === 'pruned').length,
    trained: ended.reduce((sum, trial) => sum + trial.history.length, 0),
    full: ended.length * doc.sweep.spec.workload.epochs,
  };
}

/** "stopped@12 (median)" for a stopped trial, '' for any other. */
export function trialStopBadge(trial: ResultsTrial): string {
  if (trial.status !== 'pruned') return '';
  return trial.stop === undefined ? 'stopped' : stopMarker(trial.stop);
}

function settingsRows(spec: EarlyStopSpec): [string, string][] {
  return [
    ['rule', spec.rule === 'median' ? 'median: stop a trial whose best so far is worse than the median of the others at the same epoch' : `asha: at rungs ${spec.gracePeriod}·${spec.reductionFactor}^k epochs, only the top 1/${spec.reductionFactor} go on`],
    ['grace period', `${spec.gracePeriod} epochs`],
    ...(spec.rule === 'median' ? [['min trials', `${spec.minTrials} others at the epoch`] as [string, string]] : [['reduction factor', String(spec.reductionFactor)] as [string, string]]),
    [
      'plateau guard',
      spec.plateauGuard
        ? 'on: a trial is never stopped within patience + cooldown epochs after an LR cut, nor while its scheduler counts toward a cut'
        : 'off: a trial may be stopped right before or after its LR cut',
    ],
    ['stopped trials rank', spec.rankStopped === 'below' ? 'below every finished trial' : 'with the finished trials, by their value at the stop'],
  ];
}

function stoppedRow(trial: ResultsTrial, doc: ResultsDocument): string {
  const axes = shownAxes(doc);
  const stop = trial.stop;
  const cells = [
    `<td><code>${escapeHtml(trial.id)}</code></td>`,
    `<td>${escapeHtml(configLabel(trial.config, axes))}</td>`,
    `<td><span class="badge badge-stopped">${escapeHtml(trialStopBadge(trial))}</span></td>`,
    `<td class="num">${stop === undefined ? '—' : String(stop.epoch)}</td>`,
    `<td>${escapeHtml(stop?.rule ?? '—')}</td>`,
    `<td class="num">${stop === undefined ? '—' : escapeHtml(formatObjective(stop.value))}</td>`,
    `<td class="num">${stop === undefined ? '—' : escapeHtml(formatObjective(stop.threshold))}</td>`,
    `<td class="num">${doc.sweep.spec.workload.epochs - trial.history.length}</td>`,
  ];
  return `<tr>${cells.join('')}</tr>`;
}

/** The early-stopping section's body; '' when the sweep has no earlyStop. */
export function earlyStopHtml(doc: ResultsDocument): string {
  const earlyStop = doc.sweep.spec.earlyStop;
  if (earlyStop === undefined) return '';
  const saved = epochsSaved(doc);
  const share = saved.full === 0 ? '' : ` (${Math.round((100 * saved.trained) / saved.full)}%)`;
  const { metric } = doc.sweep.spec.objective;
  const stopped = doc.trials.filter((trial) => trial.status === 'pruned');
  const summary = `<p class="early-stop-summary">${stopped.length} of ${doc.trials.length} trials stopped early; the trials that ended trained ${saved.trained} of ${saved.full} epochs${share}.</p>`;
  const settings = `<table class="kv early-stop-settings"><tbody>${settingsRows(earlyStop)
    .map(([key, value]) => `<tr><th scope="row">${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('')}</tbody></table>`;
  if (stopped.length === 0) return `${settings}\n${summary}`;
  const more = stopped.length > STOPPED_TRIALS_SHOWN ? `<p class="hint">${stopped.length - STOPPED_TRIALS_SHOWN} more in results.json.</p>` : '';
  const sorted = [...stopped].sort((a, b) => (a.stop?.epoch ?? 0) - (b.stop?.epoch ?? 0) || a.id.localeCompare(b.id));
  return `${settings}
${summary}
<div class="table-wrap"><table class="ranking stopped-trials">
<thead><tr><th>trial</th><th>config</th><th>stop</th><th class="num">epoch</th><th>rule</th><th class="num">best ${escapeHtml(metric)} so far</th><th class="num">threshold</th><th class="num">epochs saved</th></tr></thead>
<tbody>
${sorted
  .slice(0, STOPPED_TRIALS_SHOWN)
  .map((trial) => stoppedRow(trial, doc))
  .join('\n')}
</tbody>
</table></div>${more}
<p class="hint">A trial stops at the end of the epoch shown, when its best ${escapeHtml(metric)} so far is worse than the threshold (median: the other trials' median at that epoch; asha: the worst value still kept at that rung).</p>`;
}
