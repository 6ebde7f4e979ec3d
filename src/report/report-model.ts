// What every part of the report agrees on: which axes to show, how a config is labelled,
// which configs are "top" and get a colour of their own, and the colour scales.
import { CONFIG_AXES, type ConfigAxis } from '../rank/config-key.js';
import type { ResultsDocument, ResultsRankingEntry } from '../results/results-document.js';
import type { TrialConfig } from '../trial/types.js';

/** Configs whose curves are drawn in colour (the rest grey). */
export const TOP_HIGHLIGHTED = 5;

/** Distinct at a glance and on a light background; one per top config, best first. */
export const TOP_COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed'] as const;

export const MUTED_COLOR = '#9aa5b4';
export const BAD_COLOR = '#b91c1c';

/** Objective colour scale from better to worse: dark is better, whatever the goal. */
export const BETTER_TO_WORSE = ['#0b3c5d', '#1d6fa3', '#5fa8d3', '#b9dbef', '#f2f8fc'] as const;

export const AXIS_TITLE: Readonly<Record<ConfigAxis, string>> = {
  learningRate: 'learning rate',
  factor: 'factor',
  patience: 'patience',
  minDelta: 'minDelta',
  cooldown: 'cooldown',
  minLr: 'minLr',
  batchSize: 'batch size',
};

const AXIS_SHORT: Readonly<Record<ConfigAxis, string>> = {
  learningRate: 'lr',
  factor: 'factor',
  patience: 'patience',
  minDelta: 'minDelta',
  cooldown: 'cooldown',
  minLr: 'minLr',
  batchSize: 'batch',
};

const ALWAYS_SHOWN: readonly ConfigAxis[] = ['learningRate', 'factor', 'patience'];

/** lr, factor and patience always; the other axes only when they vary across the sweep's trials. */
export function shownAxes(doc: ResultsDocument): ConfigAxis[] {
  const configs: TrialConfig[] = [...doc.trials.map((trial) => trial.config), ...doc.ranking.map((entry) => entry.config)];
  return CONFIG_AXES.filter((axis) => ALWAYS_SHOWN.includes(axis) || new Set(configs.map((config) => config[axis])).size > 1);
}

/** "lr 0.01 · factor 0.5 · patience 2". */
export function configLabel(config: TrialConfig, axes: readonly ConfigAxis[]): string {
  return axes.map((axis) => `${AXIS_SHORT[axis]} ${String(config[axis])}`).join(' · ');
}

/** Four significant digits: what a person compares, and what the charts carry. */
export function round4(value: number): number {
  return Number(value.toPrecision(4));
}

export function isHealthy(entry: ResultsRankingEntry): boolean {
  return entry.objective !== null && !entry.flags.includes('diverged') && !entry.flags.includes('failed');
}

/** The best few healthy configs, best first: config key → colour. */
export function topConfigColors(doc: ResultsDocument, top: number = TOP_HIGHLIGHTED): Map<string, string> {
  const colors = new Map<string, string>();
  for (const entry of doc.ranking.filter(isHealthy).slice(0, Math.min(top, TOP_COLORS.length))) {
    colors.set(entry.key, TOP_COLORS[colors.size] ?? MUTED_COLOR);
  }
  return colors;
}

/** The rank of each config key (1 = best). */
export function rankByKey(doc: ResultsDocument): Map<string, number> {
  return new Map(doc.ranking.map((entry) => [entry.key, entry.rank]));
}

/** Sorted distinct values. */
export function distinctSorted(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}
