// All trials at once: one line per trial through its settings and its objective, coloured by
// the objective (dark is better). Diverged and failed trials have no objective: they get their
// own red series, drawn to the bottom of the objective axis.
import type { ParallelSeriesOption } from 'echarts';
import type { ResultsDocument, ResultsTrial } from '../results/results-document.js';
import { BASE_OPTION, type ReportChart } from './report-chart.js';
import { AXIS_TITLE, BAD_COLOR, BETTER_TO_WORSE_LINES, colorRange, distinctSorted, niceBounds, round4, shownAxes } from './report-model.js';

function hasObjective(trial: ResultsTrial): trial is ResultsTrial & { objective: number } {
  return trial.status === 'succeeded' && trial.objective !== null && Number.isFinite(trial.objective);
}

function isLost(trial: ResultsTrial): boolean {
  return trial.status === 'diverged' || trial.status === 'failed';
}

/** Null when no trial has ended yet. */
export function parallelChart(doc: ResultsDocument): ReportChart | null {
  const scored = doc.trials.filter(hasObjective);
  const lost = doc.trials.filter(isLost);
  if (scored.length + lost.length === 0) return null;
  const { metric, goal } = doc.sweep.spec.objective;
  const axes = shownAxes(doc);
  const objectives = scored.map((trial) => round4(trial.objective));
  const { min: low, max } = colorRange(objectives);
  const axisBounds = niceBounds(low, max);
  const objectiveDim = axes.length;
  // Grid values are discrete: category axes space them evenly, whatever their magnitude.
  const parallelAxis = [
    ...axes.map((axis, dim) => ({ dim, name: AXIS_TITLE[axis], type: 'category' as const, data: distinctSorted(doc.trials.map((trial) => trial.config[axis])).map(String) })),
    { dim: objectiveDim, name: metric, type: 'value' as const, ...axisBounds },
  ];
  const row = (trial: ResultsTrial, objective: number): (string | number)[] => [...axes.map((axis) => String(trial.config[axis])), objective];
  const series: ParallelSeriesOption[] = [
    {
      type: 'parallel',
      name: 'trials',
      data: scored.map((trial) => row(trial, round4(trial.objective))),
      lineStyle: { width: 2, opacity: 0.75 },
      emphasis: { lineStyle: { width: 4, opacity: 1 } },
    },
  ];
  if (lost.length > 0) {
    series.push({
      type: 'parallel',
      name: 'diverged or failed',
      data: lost.map((trial) => row(trial, goal === 'minimize' ? axisBounds.max : axisBounds.min)),
      lineStyle: { width: 1.5, opacity: 0.8, type: 'dashed', color: BAD_COLOR },
    });
  }
  const colors = goal === 'minimize' ? [...BETTER_TO_WORSE_LINES] : [...BETTER_TO_WORSE_LINES].reverse();
  return {
    id: 'chart-parallel',
    title: 'All trials',
    caption: `One line per trial, through its settings to its ${metric}; darker is better.${lost.length > 0 ? ' Diverged or failed trials are dashed red, drawn at the worst end.' : ''}`,
    height: 380,
    option: {
      ...BASE_OPTION,
      parallel: { left: 70, right: 130, top: 40, bottom: 36, parallelAxisDefault: { nameTextStyle: { fontSize: 13, fontWeight: 600 }, nameGap: 14 } },
      parallelAxis,
      visualMap: {
        type: 'continuous',
        min: low,
        max,
        dimension: objectiveDim,
        seriesIndex: 0,
        calculable: false,
        right: 8,
        top: 'middle',
        itemHeight: 180,
        precision: 4,
        text: goal === 'minimize' ? ['worse', 'better'] : ['better', 'worse'],
        inRange: { color: colors },
      },
      ...(lost.length > 0 ? { legend: { bottom: 0, data: ['diverged or failed'] } } : {}),
      series,
    },
  };
}
