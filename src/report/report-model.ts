// What every part of the report agrees on: which axes to show, how a config is labelled,
// which configs are "top" and get a colour of their own, and the colour scales.
import { CONFIG_AXIS_LABEL, shownAxes as shownConfigAxes, type ConfigAxis } from '../rank/config-key.js';
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

/** The same scale for lines on white: its worse end stays visible. */
export const BETTER_TO_WORSE_LINES = ['#0b3c5d', '#1d6fa3', '#5fa8d3', '#a9b8c6'] as const;

export const AXIS_TITLE: Readonly<Record<ConfigAxis, string>> = {
  learningRate: 'learning rate',
  factor: 'factor',
  patience: 'patience',
  minDelta: 'minDelta',
  cooldown: 'cooldown',
  minLr: 'minLr',
  batchSize: 'batch size',
};


/** lr, factor and patience always; the other axes only when they vary across the sweep's trials. */
export function shownAxes(doc: ResultsDocument): ConfigAxis[] {
  return shownConfigAxes([...doc.trials.map((trial) => trial.config), ...doc.ranking.map((entry) => entry.config)]);
}

/** "lr 0.01 · factor 0.5 · patience 2". */
export function configLabel(config: TrialConfig, axes: readonly ConfigAxis[]): string {
  return axes.map((axis) => `${CONFIG_AXIS_LABEL[axis]} ${String(config[axis])}`).join(' · ');
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

/**
 * Round bounds around [low, high] at the scale of its range (0.163…0.587 → 0.1…0.6), so
 * axes that share them get readable ticks.
 */
export function niceBounds(low: number, high: number): { min: number; max: number } {
  const range = high - low;
  const scale = range > 0 ? range : Math.abs(high) > 0 ? Math.abs(high) : 1;
  const step = 10 ** Math.floor(Math.log10(scale));
  const clean = (value: number): number => Number(value.toPrecision(12));
  if (range <= 0) return { min: clean(low - step), max: clean(high + step) };
  return { min: clean(Math.floor(low / step) * step), max: clean(Math.ceil(high / step) * step) };
}

/** A colour scale's ends: the data's own range, or a nice one around a single value. */
export function colorRange(values: readonly number[]): { min: number; max: number } {
  if (values.length === 0) return { min: 0, max: 1 };
  const low = Math.min(...values);
  const high = Math.max(...values);
  return high > low ? { min: low, max: high } : niceBounds(low, high);
}
