// The report's account of what went wrong: a banner for a sweep-level error (a workload error
// no retry can fix) and a table of every failed or diverged trial with its last error.
import type { ResultsDocument } from '../results/results-document.js';
import { escapeHtml } from './html-text.js';
import { configLabel, shownAxes } from './report-model.js';

/** Rows shown in the failed-trials table; a note counts the rest (they are all in results.json). */
export const FAILED_TRIALS_SHOWN = 200;

/** The banner at the top of the page when a workload error failed the sweep or one configuration; '' otherwise. */
export function sweepErrorBannerHtml(doc: ResultsDocument): string {
  const error = doc.sweep.error;
  if (error === undefined) return '';
  const title = error.kind === 'workload' ? 'Workload error — no retry can fix it' : `Sweep error — ${error.kind}`;
  const stopped = error.scope === 'sweep' ? 'The sweep was stopped: every other trial was cancelled.' : "The trials of this trial's configuration were stopped; the others ran on.";
  return `<div class="sweep-error" role="alert">
  <h2>${escapeHtml(title)}</h2>
  <p><code>${escapeHtml(error.message)}</code></p>
  <p class="detail">Trial <code>${escapeHtml(error.trialId)}</code>, ${escapeHtml(error.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}. ${escapeHtml(stopped)}</p>
</div>`;
}

/** The failed and diverged trials with their last error (kind and message); '' when none. */
export function failedTrialsHtml(doc: ResultsDocument): string {
  const failed = doc.trials.filter((trial) => trial.error !== undefined);
  if (failed.length === 0) return '';
  const axes = shownAxes(doc);
  const rows = failed
    .slice(0, FAILED_TRIALS_SHOWN)
    .map(
      (trial) =>
        `<tr><td><code>${escapeHtml(trial.id)}</code></td><td>${escapeHtml(configLabel(trial.config, axes))}</td><td>${escapeHtml(trial.status)}</td><td class="num">${trial.attempts}</td><td>${escapeHtml(trial.error?.kind ?? '')}</td><td class="message">${escapeHtml(trial.error?.message ?? '')}</td></tr>`,
    );
  const more = failed.length > FAILED_TRIALS_SHOWN ? `<p class="hint">${failed.length - FAILED_TRIALS_SHOWN} more in results.json.</p>` : '';
  return `<div class="table-wrap"><table class="ranking failures">
<thead><tr><th>trial</th><th>config</th><th>status</th><th class="num">attempts</th><th>error</th><th>message</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>${more}`;
}
