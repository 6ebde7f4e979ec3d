// What report.html says about early stopping: the settings with the plateau guard, the saving,
// each stopped trial with its stop record, and the stopped configs marked in the ranking.
import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../src/report/render-report.js';
import { earlyStopHtml } from '../../src/report/early-stop-section.js';
import { mixedSweepDocument, stoppedSweepDocument } from './report-fixtures.js';

const doc = stoppedSweepDocument();
const html = renderReportHtml(doc);

/** The rows of the table with this class, as arrays of cell texts (tags stripped). */
function tableRows(page: string, tableClass: string): string[][] {
  const table = new RegExp(`<table[^>]*class="[^"]*${tableClass}[^"]*"[^>]*>([\\s\\S]*?)</table>`).exec(page)?.[1] ?? '';
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) => [...(row[1] ?? '').matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => (cell[1] ?? '').replace(/<[^>]+>/g, '')));
}

describe('the early-stopping section of the report', () => {
  it('lists each stopped trial with its stop epoch, rule, value, threshold and the epochs it saved, earliest first', () => {
    const rows = tableRows(html, 'stopped-trials');
    expect(rows.map((row) => row[0])).toEqual(['lr0.1-p2', 'lr0.1-p4', 'lr0.001-p4']);
    const [first] = rows;
    expect(first?.slice(2)).toEqual(['stopped@3 (median)', '3', 'median', '0.6', '0.55', '7']);
  });

  it('states the rule and whether the plateau guard was on', () => {
    expect(html).toMatch(/<th scope="row">plateau guard<\/th><td>on: a trial is never stopped within patience \+ cooldown epochs after an LR cut/);
    expect(renderReportHtml(stoppedSweepDocument({ plateauGuard: false }))).toMatch(/<th scope="row">plateau guard<\/th><td>off:/);
    expect(html).toMatch(/<th scope="row">rule<\/th><td>median: /);
  });

  it('says how many trials stopped and how many epochs were trained of the full grid', () => {
    // 3 finished × 10 + 3 + 3 + 6 = 42 of 60 epochs.
    expect(html).toContain('3 of 6 trials stopped early; the trials that ended trained 42 of 60 epochs (70%).');
    expect(html).toMatch(/<div class="card-label">early stopping<\/div><div class="card-value">3 stopped<\/div><div class="card-detail">70% of the epochs trained \(42 of 60\) · median, plateau guard on<\/div>/);
  });

  it('is absent from the report of a sweep without early stopping', () => {
    const plain = renderReportHtml(mixedSweepDocument());
    expect(earlyStopHtml(mixedSweepDocument())).toBe('');
    expect(plain).not.toContain('id="early-stopping"');
    expect(plain).not.toMatch(/<th[^>]*><button type="button" data-column="\d+">stopped<\/button>/);
  });
});

describe('stopped configs in the report\'s ranking', () => {
  const rows = tableRows(html, 'ranking"');
  const header = [...html.matchAll(/<th scope="col"[^>]*><button type="button" data-column="\d+">([^<]*)<\/button><\/th>/g)].map((match) => match[1]);
  const stoppedColumn = header.indexOf('stopped');

  it('has a stopped column with each stopped config\'s stop epoch and rule, and a dash for the finished ones', () => {
    expect(stoppedColumn).toBeGreaterThan(0);
    expect(rows.map((row) => row[stoppedColumn])).toEqual(['—', '—', '—', 'stopped@6 (median)', 'stopped@3 (median)', 'stopped@3 (median)']);
  });

  it('ranks the stopped configs below the finished ones, in rows of their own style', () => {
    expect(rows.map((row) => row[0])).toEqual(['1', '2', '3', '4', '5', '6']);
    expect((html.match(/<tr class="stopped">/g) ?? []).length).toBe(3);
    expect(html).toContain('configs stopped early below the finished ones, diverged and failed configs last.');
    expect(html).toContain('3 configs had a trial stopped early, ranked by the best value it reached before its stop; they rank below every finished config.');
  });

  it('names early stopping in the trial counts and the environment', () => {
    expect(html).toContain('3 succeeded · 3 stopped early');
    expect(html).toMatch(/<th scope="row">early stopping<\/th><td>median from epoch 3, at least 2 others, plateau guard on, stopped trials rank below finished ones<\/td>/);
  });
});
