// One configuration = one point of the grid. Its key and its order are canonical so that
// grouping repeats, ranking ties and every rendered table come out the same on every run.
import type { TrialConfig } from '../trial/types.js';

/** The grid axes in the order the spec declares them; ties in a ranking break in this order. */
export const CONFIG_AXES = ['learningRate', 'factor', 'patience', 'minDelta', 'cooldown', 'minLr', 'batchSize'] as const;

export type ConfigAxis = (typeof CONFIG_AXES)[number];

/**
 * A stable text key for a configuration, e.g. `learningRate=0.003,factor=0.5,…`.
 * Numbers print as their shortest round-trip form, so equal configs give equal keys.
 */
export function configKey(config: TrialConfig): string {
  return CONFIG_AXES.map((axis) => `${axis}=${String(config[axis])}`).join(',');
}

/** Ascending by each axis in CONFIG_AXES order; 0 only for equal configs. */
export function compareConfigs(a: TrialConfig, b: TrialConfig): number {
  for (const axis of CONFIG_AXES) {
    const difference = a[axis] - b[axis];
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return 0;
}

/** Short column labels for tables and chart legends. */
export const CONFIG_AXIS_LABEL: Readonly<Record<ConfigAxis, string>> = {
  learningRate: 'lr',
  factor: 'factor',
  patience: 'patience',
  minDelta: 'minDelta',
  cooldown: 'cooldown',
  minLr: 'minLr',
  batchSize: 'batch',
};

/** The axes the sweep is about: lr, factor and patience always; the others only when they vary. */
export function shownAxes(configs: readonly TrialConfig[]): ConfigAxis[] {
  const always: readonly ConfigAxis[] = ['learningRate', 'factor', 'patience'];
  return CONFIG_AXES.filter((axis) => always.includes(axis) || new Set(configs.map((config) => config[axis])).size > 1);
}
