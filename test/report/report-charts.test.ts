// The charts' content, checked on the options the page hands to echarts (the browser test
// checks that echarts draws them).
import type { HeatmapSeriesOption, LineSeriesOption } from 'echarts';
import { describe, expect, it } from 'vitest';
import { curveCharts } from '../../src/report/curve-charts.js';
import { effectChart } from '../../src/report/effect-chart.js';
import { heatmapCharts, patienceHeatmaps } from '../../src/report/heatmap-charts.js';
import { parallelChart } from '../../src/report/parallel-chart.js';
import { niceBounds } from '../../src/report/report-model.js';
import { mixedSweepDocument, singleTrialDocument } from './report-fixtures.js';

const doc = mixedSweepDocument();

function seriesOf<T>(option: { series?: unknown }): T[] {
  return (Array.isArray(option.series) ? option.series : []) as T[];
}

describe('training curves', () => {
  const [objective, lr] = curveCharts(doc);

  it('draws one line per trial that trained, in both charts', () => {
    const trained = doc.trials.filter((trial) => trial.history.length > 0).length;
    expect(trained).toBe(21); // 24 trials less one failed before training and two queued
    expect(seriesOf(objective?.option ?? {})).toHaveLength(trained);
    expect(seriesOf(lr?.option ?? {})).toHaveLength(trained);
  });

  it('names the top five configs in the legend, best first, each once for all its repeats', () => {
    const legend = objective?.option.legend as { data: string[] };
    expect(legend.data).toHaveLength(5);
    expect(legend.data[0]).toBe('#1 lr 0.01 · factor 0.1 · patience 2');
    expect(legend.data.every((name, index) => name.startsWith(`#${index + 1} `))).toBe(true);
  });

  it('breaks a diverged line at its NaN epoch instead of drawing it', () => {
    const diverged = seriesOf<LineSeriesOption>(objective?.option ?? {}).filter((line) => line.name === '#10 lr 0.1 · factor 0.1 · patience 2');
    expect(diverged).toHaveLength(2);
    expect(diverged[0]?.data).toEqual([
      [1, expect.any(Number)],
      [2, null],
    ]);
  });

  it('starts the LR chart on a log scale and draws it as steps', () => {
    expect(lr?.option.yAxis).toMatchObject({ type: 'log' });
    expect(lr?.logToggle).toBe(true);
    expect(seriesOf<LineSeriesOption>(lr?.option ?? {}).every((line) => line.step === 'start')).toBe(true);
  });
});

describe('heatmaps', () => {
  it('has one heatmap per patience value with a cell per learning rate × factor', () => {
    const heatmaps = patienceHeatmaps(doc);
    expect(heatmaps.map((heatmap) => heatmap.patience)).toEqual([2, 4]);
    expect(heatmaps.every((heatmap) => heatmap.cells.length === 6)).toBe(true);
  });

  it('averages the repeats of a config into its cell', () => {
    const cell = patienceHeatmaps(doc)[0]?.cells.find((candidate) => candidate.learningRate === 0.01 && candidate.factor === 0.1);
    const entry = doc.ranking.find((candidate) => candidate.config.learningRate === 0.01 && candidate.config.factor === 0.1 && candidate.config.patience === 2);
    expect(cell).toEqual({ kind: 'value', learningRate: 0.01, factor: 0.1, value: entry?.objective?.mean });
  });

  it('says why a cell has no value: diverged, failed or still pending', () => {
    const missing = patienceHeatmaps(doc).flatMap((heatmap) => heatmap.cells.filter((cell) => cell.kind === 'missing').map((cell) => ({ patience: heatmap.patience, ...cell })));
    expect(missing).toEqual([
      { patience: 2, kind: 'missing', learningRate: 0.1, factor: 0.1, reason: 'diverged' },
      { patience: 4, kind: 'missing', learningRate: 0.001, factor: 0.5, reason: 'failed' },
      { patience: 4, kind: 'missing', learningRate: 0.1, factor: 0.5, reason: 'pending' },
    ]);
  });

  it('colours every heatmap on one shared scale', () => {
    const scales = heatmapCharts(doc).map((chart) => chart.option.visualMap as { min: number; max: number });
    expect(new Set(scales.map((scale) => `${scale.min}..${scale.max}`)).size).toBe(1);
    expect(seriesOf<HeatmapSeriesOption>(heatmapCharts(doc)[0]?.option ?? {}).map((series) => series.name)).toEqual(['val_loss (patience 2)', 'no objective']);
  });
});

describe('effect of each knob', () => {
  it('draws one panel per axis that varies, on one shared y range', () => {
    const chart = effectChart(doc);
    expect(seriesOf(chart?.option ?? {})).toHaveLength(doc.axisEffects.length);
    const yAxes = chart?.option.yAxis as { min: number; max: number }[];
    expect(new Set(yAxes.map((axis) => `${axis.min}..${axis.max}`)).size).toBe(1);
  });

  it('is left out when no axis varies', () => {
    expect(effectChart(singleTrialDocument())).toBeNull();
  });
});

describe('parallel coordinates', () => {
  it('draws each scored trial as a line, and diverged or failed trials as a second series', () => {
    const chart = parallelChart(doc);
    const series = seriesOf<{ name: string; data: unknown[] }>(chart?.option ?? {});
    expect(series.map((line) => [line.name, line.data.length])).toEqual([
      ['trials', 19],
      ['diverged or failed', 3],
    ]);
  });
});

describe('niceBounds', () => {
  it.each([
    [0.163, 0.587, { min: 0.1, max: 0.6 }],
    [12, 48, { min: 10, max: 50 }],
    [0.3, 0.3, { min: 0.2, max: 0.4 }],
  ])('rounds %d…%d out to readable ends', (low, high, expected) => {
    expect(niceBounds(low, high)).toEqual(expected);
  });
});
