// A trial's objective from its history, per the sweep's ObjectiveSpec. Pure.
import type { EpochRecord, ObjectiveSpec } from '../trial/types.js';

/**
 * `final`: the metric at the last epoch in the history; `best`: its best value over the epochs
 * (lowest or highest per goal). Non-finite values (a diverged epoch) never count: `final` of a
 * history that ends in NaN is null, and `best` skips them. null when there is no value at all.
 */
export function trialObjective(history: readonly EpochRecord[], objective: ObjectiveSpec): number | null {
  const values = history.map((record) => record[objective.metric]);
  if (objective.use === 'final') {
    const last = values[values.length - 1];
    return last !== undefined && Number.isFinite(last) ? last : null;
  }
  let best: number | null = null;
  for (const value of values) {
    if (value === undefined || !Number.isFinite(value)) continue;
    if (best === null || (objective.goal === 'minimize' ? value < best : value > best)) best = value;
  }
  return best;
}
