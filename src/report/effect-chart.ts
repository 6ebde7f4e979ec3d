// Which knob matters: for each axis that varies, the mean objective at each of its values
// (doc.axisEffects), side by side, the best value marked. A steep line is a knob that matters.
import type { LineSeriesOption, TitleComponentOption, XAXisComponentOption, YAXisComponentOption, GridComponentOption } from 'echarts';
import type { AxisValueEffect } from '../rank/axis-effects.js';
import type { ResultsDocument } from '../results/results-document.js';
import { BASE_OPTION, type ReportChart } from './report-chart.js';
import { AXIS_TITLE, niceBounds, round4, TOP_COLORS } from './report-model.js';

/** "0.01" and, under it, how many trials the mean stands on. */
function valueLabel(entry: AxisValueEffect): string {
  const lost = [entry.diverged > 0 ? `${entry.diverged} diverged` : '', entry.failed > 0 ? `${entry.failed} failed` : ''].filter((text) => text !== '');
  return `${String(entry.value)}\nn=${entry.n}${lost.length > 0 ? `, ${lost.join(', ')}` : ''}`;
}

/** One panel per varying axis; null when no axis varies (a single-config sweep). */
export function effectChart(doc: ResultsDocument): ReportChart | null {
  const effects = doc.axisEffects;
  if (effects.length === 0) return null;
  const metric = doc.sweep.spec.objective.metric;
  const width = 100 / effects.length;
  // One y range for every panel: slopes compare across knobs only on a shared scale.
  const means = effects.flatMap((effect) => effect.values.flatMap((entry) => (entry.mean === null ? [] : [round4(entry.mean)])));
  const bounds = means.length === 0 ? null : niceBounds(Math.min(...means), Math.max(...means));
  const title: TitleComponentOption[] = [];
  const grid: GridComponentOption[] = [];
  const xAxis: XAXisComponentOption[] = [];
  const yAxis: YAXisComponentOption[] = [];
  const series: LineSeriesOption[] = [];
  effects.forEach((effect, index) => {
    title.push({ text: AXIS_TITLE[effect.axis], left: `${index * width + width / 2}%`, textAlign: 'center', top: 0, textStyle: { fontSize: 13, fontWeight: 600 } });
    grid.push({ left: `${index * width + 7}%`, width: `${width - 10}%`, top: 40, bottom: 56 });
    xAxis.push({ gridIndex: index, type: 'category', data: effect.values.map(valueLabel), axisLabel: { interval: 0, lineHeight: 15 } });
    yAxis.push({ gridIndex: index, type: 'value', ...(bounds ?? {}), splitNumber: 4, ...(index === 0 ? { name: `mean ${metric}`, nameLocation: 'middle', nameGap: 48 } : {}) });
    series.push({
      type: 'line',
      name: AXIS_TITLE[effect.axis],
      xAxisIndex: index,
      yAxisIndex: index,
      color: TOP_COLORS[0],
      symbolSize: 9,
      connectNulls: false,
      label: { show: true, position: 'top', fontSize: 11 },
      data: effect.values.map((entry) =>
        entry.mean === null
          ? '-'
          : { value: round4(entry.mean), ...(entry.value === effect.bestValue ? { symbolSize: 13, itemStyle: { color: '#059669' } } : {}) },
      ),
    });
  });
  return {
    id: 'chart-effects',
    title: 'Effect of each knob',
    caption: `Mean ${metric} over every succeeded trial with that value (marginal mean); the best value in green. All panels share one scale: the steeper the line, the more that knob matters.`,
    height: 300,
    option: { ...BASE_OPTION, tooltip: { trigger: 'item' }, title, grid, xAxis, yAxis, series },
  };
}
