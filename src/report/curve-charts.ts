// Per-trial curves over epochs: the objective metric and the learning rate, every trial
// overlaid; the top configs in colour (named in the legend), the rest in grey behind them.
import type { LineSeriesOption } from 'echarts';
import { configKey } from '../rank/config-key.js';
import type { ResultsDocument, ResultsTrial } from '../results/results-document.js';
import { BASE_OPTION, type ReportChart } from './report-chart.js';
import { BAD_COLOR, configLabel, MUTED_COLOR, rankByKey, shownAxes, topConfigColors } from './report-model.js';

type CurveMetric = 'objective' | 'lr';

/** JSON has no NaN: a diverged epoch becomes a gap in the line. */
function point(epoch: number, value: number | undefined): [number, number | null] {
  return [epoch, value !== undefined && Number.isFinite(value) ? value : null];
}

/**
 * A trial's series name: its config's rank and label. Repeats of a config share the name, so
 * the legend has one entry per config and toggles all of its repeats together.
 */
export function trialSeriesName(doc: ResultsDocument, trial: ResultsTrial): string {
  const rank = rankByKey(doc).get(configKey(trial.config));
  return `${rank === undefined ? '' : `#${rank} `}${configLabel(trial.config, shownAxes(doc))}`;
}

/** Trials that trained at least one epoch: one series each. */
export function trialsWithHistory(doc: ResultsDocument): ResultsTrial[] {
  return doc.trials.filter((trial) => trial.history.length > 0);
}

function curveChart(doc: ResultsDocument, metric: CurveMetric): ReportChart {
  const colors = topConfigColors(doc);
  const ranks = rankByKey(doc);
  const metricName = doc.sweep.spec.objective.metric;
  const name = (trial: ResultsTrial): string => trialSeriesName(doc, trial);
  // Grey first, then the top configs worst to best, so the best line is drawn last (on top).
  const trials = trialsWithHistory(doc).sort((a, b) => {
    const rankA = colors.has(configKey(a.config)) ? (ranks.get(configKey(a.config)) ?? 0) : Number.POSITIVE_INFINITY;
    const rankB = colors.has(configKey(b.config)) ? (ranks.get(configKey(b.config)) ?? 0) : Number.POSITIVE_INFINITY;
    return rankB - rankA;
  });
  const lines = trials.map((trial) => ({
    trial,
    data: trial.history.map((epoch) => point(epoch.epoch, metric === 'lr' ? epoch.lr : epoch[metricName])),
  }));
  const series: LineSeriesOption[] = lines.map(({ trial, data }) => {
    const color = colors.get(configKey(trial.config));
    const diverged = trial.status === 'diverged';
    return {
      type: 'line',
      name: name(trial),
      data,
      showSymbol: false,
      symbolSize: 5,
      connectNulls: false,
      // The LR of epoch e is drawn over (e − 1, e]: a cut at the end of epoch e shows at x = e.
      ...(metric === 'lr' ? { step: 'start' as const } : {}),
      color: color ?? (diverged ? BAD_COLOR : MUTED_COLOR),
      lineStyle: color === undefined ? { width: 1, opacity: diverged ? 0.7 : 0.45, type: diverged ? 'dashed' : 'solid' } : { width: 2.5 },
      z: color === undefined ? 1 : 3,
      emphasis: { focus: 'series' },
    };
  });
  const topNames = [...new Set(trials.filter((trial) => colors.has(configKey(trial.config))).map(name).reverse())];
  const logScale = metric === 'lr';
  // A log axis cannot show zero or negative values (e.g. a maximized score).
  const positive = lines.every(({ data }) => data.every(([, value]) => value === null || value > 0));
  return {
    id: metric === 'lr' ? 'chart-lr' : 'chart-objective',
    title: metric === 'lr' ? 'Learning rate per epoch' : `${metricName} per epoch`,
    caption:
      metric === 'lr'
        ? 'The LR each trial trained with in each epoch: every step down is a plateau reduction.'
        : `Every trial overlaid; ${colors.size === 1 ? 'the best config' : `the top ${colors.size} configs`} in colour, the rest grey${doc.trials.some((trial) => trial.status === 'diverged') ? ', diverged runs dashed red' : ''}.`,
    height: 430,
    logToggle: positive,
    axisTooltip: { first: topNames, order: metric === 'objective' && doc.sweep.spec.objective.goal === 'minimize' ? 'ascending' : 'descending' },
    option: {
      ...BASE_OPTION,
      grid: { left: 64, right: 24, top: 24, bottom: 124 },
      tooltip: { trigger: 'axis', confine: true },
      legend: { bottom: 0, left: 'center', itemGap: 14, data: topNames },
      xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 28, minInterval: 1, min: 1, max: 'dataMax' },
      yAxis: {
        type: logScale && positive ? 'log' : 'value',
        name: metric === 'lr' ? 'learning rate' : metricName,
        nameLocation: 'middle',
        nameGap: 50,
        scale: true,
      },
      series,
    },
  };
}

/** The objective metric's curves, then the learning-rate curves. */
export function curveCharts(doc: ResultsDocument): ReportChart[] {
  return [curveChart(doc, 'objective'), curveChart(doc, 'lr')];
}
