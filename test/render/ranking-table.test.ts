import { describe, expect, it } from 'vitest';
import { renderRankingTable, withinNoiseLegend } from '../../cli/render/ranking-table.js';
import { ENGINE_NOISE_RELATIVE_TOLERANCE } from '../../src/rank/engine-noise.js';
import { buildResultsDocument } from '../../src/results/results-document.js';
import { baseSpec, historyOf, snapshot, trial } from '../rank/sweep-fixtures.js';

const doc = buildResultsDocument(
  snapshot([
    trial({ config: { learningRate: 0.1, factor: 0.5 }, state: 'diverged' }),
    trial({ config: { learningRate: 0.001, factor: 0.5 }, objective: 0.0456, lrReductions: [] }),
    trial({ config: { learningRate: 0.003, factor: 0.5 }, repeat: 0, objective: 0.0123, lrReductions: [4, 7] }),
    trial({ config: { learningRate: 0.003, factor: 0.5 }, repeat: 1, objective: 0.0131, lrReductions: [5] }),
    trial({ config: { learningRate: 0.03, factor: 0.1 }, state: 'failed' }),
    trial({ config: { learningRate: 0.001, factor: 0.1, patience: 10 }, objective: 0.05, lrReductions: [] }),
  ]),
);

/** The table's body rows (after the column header, before the blank line). */
function bodyRows(text: string): string[] {
  const lines = text.split('\n');
  const header = lines.findIndex((line) => /\brank\s+lr\b/.test(line));
  const end = lines.indexOf('', header);
  return lines.slice(header + 1, end === -1 ? undefined : end);
}

describe('renderRankingTable', () => {
  const text = renderRankingTable(doc);

  it('names the sweep, its objective and its trial counts in the header', () => {
    const [title, summary] = text.split('\n');
    expect(title).toBe('Sweep "mlp-plateau" (sw-0001) — finished');
    expect(summary).toContain('objective: val_loss, minimize, final epoch');
    expect(summary).toContain('6 trials (4 succeeded, 1 diverged, 1 failed) over 5 configs');
  });

  it('lists the best config first and marks it', () => {
    const [first] = bodyRows(text);
    expect(first).toMatch(/^\*\s+1\s+0\.003\s+0\.5\s+2\s+0\.0127 ± 0\.00057 \(2\)\s+1–2\s+best$/);
    expect(bodyRows(text).filter((row) => row.includes('best'))).toHaveLength(1);
  });

  it('shows diverged and failed configs last and marks them', () => {
    const rows = bodyRows(text);
    expect(rows).toHaveLength(5);
    expect(rows[3]).toMatch(/^\s+4\s+0\.1\s.*DIVERGED 1\/1$/);
    expect(rows[4]).toMatch(/^\s+5\s+0\.03\s.*FAILED 1\/1$/);
  });

  it('marks configs whose schedule never fired or could not fire', () => {
    const rows = bodyRows(text);
    expect(rows[1]).toContain('schedule never fired');
    expect(rows[2]).toContain("schedule can't fire");
  });

  it('says which axis matters most, with the mean at each value, best first', () => {
    expect(text).toContain('learningRate matters most: 0.003 → 0.0127, 0.001 → 0.0478, 0.03 → — (1 failed of 1), 0.1 → — (1 diverged of 1)');
  });

  it('shows a column for an extra axis only when it varies', () => {
    expect(text).not.toContain('batch');
    const withBatch = buildResultsDocument(
      snapshot([trial({ config: { batchSize: 32 }, objective: 0.2 }), trial({ config: { batchSize: 128 }, objective: 0.1 })]),
    );
    const rows = bodyRows(renderRankingTable(withBatch));
    expect(renderRankingTable(withBatch)).toMatch(/rank\s+lr\s+factor\s+patience\s+batch/);
    expect(rows[0]).toMatch(/^\*\s+1\s+0\.01\s+0\.5\s+2\s+128\s/);
  });

  it('shows only the top configs and says how many more, and how many of them broke', () => {
    const top = renderRankingTable(doc, { top: 2 });
    expect(bodyRows(top)).toHaveLength(3);
    expect(bodyRows(top)[2]).toBe('… 3 more configs not shown (1 diverged, 1 failed)');
  });

  it('uses no ANSI codes unless color is asked for, and highlights the best row in color', () => {
    expect(text).not.toContain('\u001b[');
    const colored = renderRankingTable(doc, { color: true });
    expect(colored).toContain('\u001b[1;32m*     1');
    expect(colored).toMatch(/\u001b\[31m\s+4\s+0\.1\s.*DIVERGED 1\/1\u001b\[0m/);
  });

  it('keeps every line within the width', () => {
    const narrow = renderRankingTable(doc, { width: 60 });
    expect(Math.max(...narrow.split('\n').map((line) => line.length))).toBeLessThanOrEqual(60);
  });

  it('ranks the highest objective first for a maximize goal', () => {
    const maxDoc = buildResultsDocument(
      snapshot(
        [trial({ config: { learningRate: 0.001 }, objective: 0.7 }), trial({ config: { learningRate: 0.01 }, objective: 0.9 })],
        { spec: { ...baseSpec, objective: { metric: 'val_acc', goal: 'maximize', use: 'best' } } },
      ),
    );
    const rendered = renderRankingTable(maxDoc);
    expect(bodyRows(rendered)[0]).toMatch(/^\*\s+1\s+0\.01\s/);
    expect(rendered).toContain('objective: val_acc, maximize, best epoch');
    expect(rendered).toContain('learningRate matters most: 0.01 → 0.9, 0.001 → 0.7');
  });

  it('marks a config within engine noise of the one ranked above with ≈ and explains the marker once', () => {
    const close = renderRankingTable(
      buildResultsDocument(
        snapshot([
          trial({ config: { learningRate: 0.003 }, objective: 0.05, lrReductions: [3] }),
          trial({ config: { learningRate: 0.01 }, objective: 0.05 * (1 + ENGINE_NOISE_RELATIVE_TOLERANCE / 4), lrReductions: [3] }),
          trial({ config: { learningRate: 0.03 }, objective: 0.08, lrReductions: [3] }),
        ]),
      ),
    );
    const rows = bodyRows(close);
    expect(rows[1]).toMatch(/\s2\s+0\.01\s.*≈ rank 1$/);
    expect(rows[0]).not.toContain('≈');
    expect(rows[2]).not.toContain('≈');
    expect(close.split('\n').filter((line) => line === withinNoiseLegend())).toHaveLength(1);
    expect(text).not.toContain('≈');
  });

  describe('with early stopping', () => {
    const earlyStop = { rule: 'median', gracePeriod: 3, minTrials: 2, reductionFactor: 3, plateauGuard: true, rankStopped: 'below' } as const;
    const stoppedDoc = buildResultsDocument(
      snapshot(
        [
          trial({ config: { learningRate: 0.003 }, objective: 0.05, lrReductions: [3] }),
          trial({ config: { learningRate: 0.01 }, objective: 0.08, lrReductions: [3] }),
          trial({ config: { learningRate: 0.1 }, state: 'pruned', objective: 0.02, history: historyOf(4, 0.02), stop: { epoch: 4, rule: 'median', value: 0.02, threshold: 0.015 } }),
        ],
        { spec: { ...baseSpec, earlyStop } },
      ),
    );
    const stoppedText = renderRankingTable(stoppedDoc);

    it('marks a stopped config with its stop epoch and rule, below the finished ones', () => {
      const rows = bodyRows(stoppedText);
      expect(rows[2]).toMatch(/^\s+3\s+0\.1\s.*stopped@4 \(median\)$/);
      expect(rows[0]).not.toContain('stopped');
    });

    it('counts stopped trials as stopped early and explains the marker once', () => {
      expect(stoppedText).toContain('3 trials (2 succeeded, 1 stopped early) over 3 configs');
      expect(stoppedText.split('\n').filter((line) => line.startsWith('stopped@E (rule): stopped early at the end of epoch E, ranked below every finished config'))).toHaveLength(1);
    });

    it('states the early-stopping settings, the plateau guard and the epochs trained in the header', () => {
      expect(stoppedText.split('\n')[2]).toBe('early stopping: median from epoch 3, at least 2 others, plateau guard on, stopped trials rank below finished ones · 1 of 3 trials stopped, 24 of 30 epochs trained (80%)');
    });

    it('counts the stopped configs among those not shown', () => {
      expect(bodyRows(renderRankingTable(stoppedDoc, { top: 2 })).at(-1)).toBe('… 1 more config not shown (1 stopped early)');
    });

    it('joins the stop epochs of a config whose repeats stopped at different epochs', () => {
      const repeats = buildResultsDocument(
        snapshot(
          [
            trial({ config: { learningRate: 0.1 }, repeat: 0, state: 'pruned', objective: 0.3, history: historyOf(4, 0.3), stop: { epoch: 4, rule: 'asha', value: 0.3, threshold: 0.2 } }),
            trial({ config: { learningRate: 0.1 }, repeat: 1, state: 'pruned', objective: 0.3, history: historyOf(6, 0.3), stop: { epoch: 6, rule: 'asha', value: 0.3, threshold: 0.2 } }),
          ],
          { spec: { ...baseSpec, earlyStop: { ...earlyStop, rule: 'asha' } } },
        ),
      );
      expect(bodyRows(renderRankingTable(repeats))[0]).toMatch(/stopped@4,6 \(asha\) 2\/2$/);
    });

    it('says nothing of early stopping for a sweep without it', () => {
      expect(text).not.toMatch(/early stopping|stopped/);
    });
  });
});
