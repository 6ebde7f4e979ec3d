import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../src/report/render-report.js';
import { buildResultsDocument } from '../../src/results/results-document.js';
import { snapshot, trial } from '../rank/sweep-fixtures.js';
import { mixedSweepDocument } from './report-fixtures.js';

const doc = mixedSweepDocument();
const html = renderReportHtml(doc);

function embeddedData(page: string): { charts: { id: string }[] } {
  const match = /<script type="application\/json" id="plateau-data">([^<]*)<\/script>/.exec(page);
  if (match?.[1] === undefined) throw new Error('no data element');
  return JSON.parse(match[1]) as { charts: { id: string }[] };
}

describe('renderReportHtml', () => {
  it('is one self-contained file: no external scripts, styles or links to load', () => {
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+rel="stylesheet"/i);
    expect(html).not.toMatch(/(src|href)="https?:/i);
    expect(html).toContain('echarts');
  });

  it('embeds a chart option for every chart element on the page', () => {
    const ids = [...html.matchAll(/<div id="([^"]+)" class="chart-canvas" data-chart/g)].map((match) => match[1]);
    expect(embeddedData(html).charts.map((chart) => chart.id)).toEqual(ids);
    expect(ids).toEqual(['chart-objective', 'chart-lr', 'chart-heatmap-patience-2', 'chart-heatmap-patience-4', 'chart-effects', 'chart-parallel']);
  });

  it('has one ranking row per config, the best marked and the diverged ones flagged', () => {
    const rows = [...html.matchAll(/<tr( class="(best|bad)")?><td class="num" data-sort="(\d+)">/g)];
    expect(rows).toHaveLength(doc.ranking.length);
    expect(rows[0]?.[2]).toBe('best');
    expect(rows.filter((row) => row[2] === 'bad')).toHaveLength(2);
  });

  it('shows the best config with both snippets, escaped', () => {
    expect(html).toContain('<code id="snippet-keras">');
    expect(html).toContain('<code id="snippet-tfjs">');
    expect(html).toContain('from &#39;@tensorflow/tfjs&#39;');
  });

  it('keeps a hostile sweep name from breaking out of the page', () => {
    const hostile = buildResultsDocument(snapshot([trial({ id: 'a', objective: 0.2 })], { spec: { ...doc.sweep.spec, name: '</script><!--<img src=x onerror=alert(1)>' } }));
    const page = renderReportHtml(hostile);
    expect(page).not.toContain('<img src=x');
    expect(page.match(/<\/script>/g)).toHaveLength(3);
    expect(embeddedData(page).charts.length).toBeGreaterThan(0);
  });

  it('renders the same document to the same bytes', () => {
    expect(renderReportHtml(mixedSweepDocument())).toBe(html);
  });
});
