// The objective over learning rate × factor, one heatmap per patience value, all on one
// colour scale so cells compare across heatmaps. Configs that differ only in other axes
// (minDelta, cooldown, …) are averaged into their cell.
import type { HeatmapSeriesOption } from 'echarts';
import type { ResultsDocument, ResultsRankingEntry } from '../results/results-document.js';
import { BASE_OPTION, type ReportChart } from './report-chart.js';
import { AXIS_TITLE, BETTER_TO_WORSE, colorRange, distinctSorted, isHealthy, round4, shownAxes } from './report-model.js';

/** A cell with a value, or the reason it has none. */
export type HeatmapCell =
  | { readonly kind: 'value'; readonly learningRate: number; readonly factor: number; readonly value: number }
  | { readonly kind: 'missing'; readonly learningRate: number; readonly factor: number; readonly reason: 'diverged' | 'failed' | 'pending' };

export interface PatienceHeatmap {
  readonly patience: number;
  readonly learningRates: readonly number[];
  readonly factors: readonly number[];
  readonly cells: readonly HeatmapCell[];
}

function cellOf(entries: readonly ResultsRankingEntry[], learningRate: number, factor: number): HeatmapCell | null {
  if (entries.length === 0) return null;
  const healthy = entries.filter(isHealthy);
  if (healthy.length > 0) {
    const value = healthy.reduce((sum, entry) => sum + (entry.objective?.mean ?? 0), 0) / healthy.length;
    return { kind: 'value', learningRate, factor, value };
  }
  const reason = entries.some((entry) => entry.flags.includes('diverged')) ? 'diverged' : entries.some((entry) => entry.flags.includes('failed')) ? 'failed' : 'pending';
  return { kind: 'missing', learningRate, factor, reason };
}

/** The cells of every heatmap, patience ascending; pure data, for the charts and for tests. */
export function patienceHeatmaps(doc: ResultsDocument): PatienceHeatmap[] {
  const configs = doc.ranking.map((entry) => entry.config);
  const learningRates = distinctSorted(configs.map((config) => config.learningRate));
  const factors = distinctSorted(configs.map((config) => config.factor));
  return distinctSorted(configs.map((config) => config.patience)).map((patience) => {
    const cells: HeatmapCell[] = [];
    for (const learningRate of learningRates) {
      for (const factor of factors) {
        const entries = doc.ranking.filter((entry) => entry.config.patience === patience && entry.config.learningRate === learningRate && entry.config.factor === factor);
        const cell = cellOf(entries, learningRate, factor);
        if (cell !== null) cells.push(cell);
      }
    }
    return { patience, learningRates, factors, cells };
  });
}

/** Dark cells get light text. `t` is 0 for the best value, 1 for the worst. */
function labelColor(t: number): string {
  return t < 0.55 ? '#ffffff' : '#1f2937';
}

export function heatmapCharts(doc: ResultsDocument): ReportChart[] {
  const heatmaps = patienceHeatmaps(doc);
  const { metric, goal } = doc.sweep.spec.objective;
  const values = heatmaps.flatMap((heatmap) => heatmap.cells.flatMap((cell) => (cell.kind === 'value' ? [round4(cell.value)] : [])));
  const { min: low, max } = colorRange(values);
  // The colour scale runs from better (dark) to worse (light), whichever way the goal points.
  const colors = goal === 'minimize' ? [...BETTER_TO_WORSE] : [...BETTER_TO_WORSE].reverse();
  const badness = (value: number): number => (goal === 'minimize' ? (value - low) / (max - low) : (max - value) / (max - low));
  const averaged = shownAxes(doc).filter((axis) => axis !== 'learningRate' && axis !== 'factor' && axis !== 'patience');

  return heatmaps.map((heatmap) => {
    const x = (learningRate: number): number => heatmap.learningRates.indexOf(learningRate);
    const y = (factor: number): number => heatmap.factors.indexOf(factor);
    const series: HeatmapSeriesOption[] = [
      {
        type: 'heatmap',
        name: `${metric} (patience ${heatmap.patience})`,
        data: heatmap.cells.flatMap((cell) =>
          cell.kind === 'value' ? [{ value: [x(cell.learningRate), y(cell.factor), round4(cell.value)], label: { color: labelColor(badness(round4(cell.value))) } }] : [],
        ),
        label: { show: true, fontSize: 12 },
        itemStyle: { borderColor: '#ffffff', borderWidth: 2 },
        emphasis: { itemStyle: { borderColor: '#111827', borderWidth: 1 } },
      },
    ];
    const missing = heatmap.cells.filter((cell) => cell.kind === 'missing');
    if (missing.length > 0) {
      series.push({
        type: 'heatmap',
        name: 'no objective',
        data: missing.map((cell) => ({ value: [x(cell.learningRate), y(cell.factor), 0], label: { formatter: cell.reason } })),
        label: { show: true, fontSize: 12, color: '#7f1d1d' },
        itemStyle: { color: '#f3e8e8', borderColor: '#ffffff', borderWidth: 2 },
        tooltip: { show: false },
      });
    }
    return {
      id: `chart-heatmap-patience-${heatmap.patience}`,
      title: `patience ${heatmap.patience}`,
      caption: `Mean ${metric} per config; darker is better.${averaged.length > 0 ? ` Averaged over ${averaged.join(', ')}.` : ''}`,
      height: Math.max(260, 140 + 46 * heatmap.factors.length),
      option: {
        ...BASE_OPTION,
        tooltip: { position: 'top' },
        grid: { left: 64, right: 16, top: 16, bottom: 92 },
        xAxis: { type: 'category', data: heatmap.learningRates.map(String), name: AXIS_TITLE.learningRate, nameLocation: 'middle', nameGap: 28, splitArea: { show: true } },
        yAxis: { type: 'category', data: heatmap.factors.map(String), name: AXIS_TITLE.factor, nameLocation: 'middle', nameGap: 44, splitArea: { show: true } },
        visualMap: {
          type: 'continuous',
          min: low,
          max,
          seriesIndex: 0,
          calculable: false,
          orient: 'horizontal',
          left: 'center',
          bottom: 4,
          itemWidth: 12,
          itemHeight: 160,
          precision: 4,
          // text[0] sits at the high end of the bar.
          text: goal === 'minimize' ? ['worse', 'better'] : ['better', 'worse'],
          inRange: { color: colors },
        },
        series,
      },
    };
  });
}
