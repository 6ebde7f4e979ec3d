// report.html: one self-contained page (styles, data, echarts and the page script inline, so
// it opens offline and can be mailed around) explaining a sweep's results.
import type { ResultsDocument } from '../results/results-document.js';
import { curveCharts } from './curve-charts.js';
import { effectChart } from './effect-chart.js';
import { earlyStopHtml } from './early-stop-section.js';
import { failedTrialsHtml, sweepErrorBannerHtml } from './error-sections.js';
import { loadEchartsBundle } from './echarts-bundle.js';
import { heatmapCharts } from './heatmap-charts.js';
import { escapeHtml, jsonForScriptElement, scriptForInlineElement } from './html-text.js';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';
import { parallelChart } from './parallel-chart.js';
import type { ReportChart } from './report-chart.js';
import { bestHtml, chartHtml, environmentHtml, headerHtml, rankingTableHtml, summaryHtml } from './report-sections.js';

/** Every chart of the report, in page order, with the section it belongs to. */
export interface ReportCharts {
  readonly curves: readonly ReportChart[];
  readonly heatmaps: readonly ReportChart[];
  readonly effects: ReportChart | null;
  readonly parallel: ReportChart | null;
}

export function reportCharts(doc: ResultsDocument): ReportCharts {
  return { curves: curveCharts(doc), heatmaps: heatmapCharts(doc), effects: effectChart(doc), parallel: parallelChart(doc) };
}

function section(id: string, title: string, lead: string, body: string): string {
  return `<section class="panel" id="${id}" aria-labelledby="${id}-title">
<h2 id="${id}-title">${escapeHtml(title)}</h2>
${lead === '' ? '' : `<p class="lead">${escapeHtml(lead)}</p>`}
${body}
</section>`;
}

/**
 * The whole page for a results document. Deterministic: the same document (and the same
 * installed echarts) always gives the same bytes; the only I/O is reading echarts once.
 */
export function renderReportHtml(doc: ResultsDocument): string {
  const charts = reportCharts(doc);
  const all = [...charts.curves, ...charts.heatmaps, ...(charts.effects === null ? [] : [charts.effects]), ...(charts.parallel === null ? [] : [charts.parallel])];
  const pageData = { charts: all.map((chart) => ({ id: chart.id, option: chart.option, ...(chart.axisTooltip === undefined ? {} : { axisTooltip: chart.axisTooltip }) })) };
  const hasCurves = doc.trials.some((trial) => trial.history.length > 0);
  const failures = failedTrialsHtml(doc);
  const earlyStop = earlyStopHtml(doc);
  const sections = [
    section(
      'ranking-section',
      'Ranking',
      doc.sweep.spec.earlyStop?.rankStopped === 'below'
        ? 'Configs best first, aggregated over repeats; configs stopped early below the finished ones, diverged and failed configs last.'
        : 'Configs best first, aggregated over repeats; diverged and failed configs last.',
      rankingTableHtml(doc),
    ),
    failures === '' ? '' : section('failures', 'Failed and diverged trials', 'Each with its last error.', failures),
    earlyStop === '' ? '' : section('early-stopping', 'Early stopping', 'The rule, the plateau guard, and each trial it stopped with its stop record.', earlyStop),
    hasCurves
      ? section('curves', 'Training curves', 'How each trial trained, epoch by epoch.', `<div class="chart-grid">${charts.curves.map(chartHtml).join('\n')}</div>`)
      : '',
    charts.heatmaps.length === 0
      ? ''
      : section('heatmaps', 'Learning rate × factor, per patience', 'Where in the grid the good schedules are.', `<div class="heatmap-grid">${charts.heatmaps.map(chartHtml).join('\n')}</div>`),
    charts.effects === null ? '' : section('effects', 'Which knob matters', '', chartHtml(charts.effects)),
    charts.parallel === null ? '' : section('parallel', 'Every trial', '', chartHtml(charts.parallel)),
    section('best', 'Best configuration', 'Paste-ready: the winning schedule as code.', bestHtml(doc)),
    section('environment', 'Environment', '', environmentHtml(doc)),
  ].filter((html) => html !== '');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="plateau-sweep">
<title>${escapeHtml(doc.sweep.name)} — plateau-sweep report</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
${headerHtml(doc)}
${sweepErrorBannerHtml(doc)}
${summaryHtml(doc)}
${sections.join('\n')}
<footer>Written by plateau-sweep from results.json (schema v${doc.schemaVersion}). Works offline.</footer>
</main>
<script type="application/json" id="plateau-data">${jsonForScriptElement(pageData)}</script>
<script>${scriptForInlineElement(loadEchartsBundle())}</script>
<script>${scriptForInlineElement(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}
