// Which knob matters: for each grid axis that varies, the mean objective at each of its
// values (a marginal mean over every succeeded trial with that value), and the spread of
// those means. Marginal means over an unbalanced set (some runs diverged) are biased toward
// the survivors, so each value also counts its diverged and failed trials.
import type { TrialRecord } from '../trial/records.js';
import type { ObjectiveSpec } from '../trial/types.js';
import { CONFIG_AXES, type ConfigAxis } from './config-key.js';
import { countedObjective } from './ranking.js';

export interface AxisValueEffect {
  readonly value: number;
  /** Mean objective over the succeeded trials with this value; null when there are none. */
  readonly mean: number | null;
  /** Succeeded trials behind `mean`. */
  readonly n: number;
  /** All trials with this value, whatever their state. */
  readonly trials: number;
  readonly diverged: number;
  readonly failed: number;
}

export interface AxisEffect {
  readonly axis: ConfigAxis;
  /** Ascending by value. */
  readonly values: readonly AxisValueEffect[];
  /** max − min of the values' means, in objective units; null with fewer than two means. */
  readonly spread: number | null;
  /** The value with the best mean for the objective's goal; null when no value has a mean. */
  readonly bestValue: number | null;
}

/** Effects for every axis with at least two distinct values among `trials`, in CONFIG_AXES order. */
export function computeAxisEffects(trials: readonly TrialRecord[], objective: ObjectiveSpec): AxisEffect[] {
  const effects: AxisEffect[] = [];
  for (const axis of CONFIG_AXES) {
    const byValue = new Map<number, { sum: number; n: number; trials: number; diverged: number; failed: number }>();
    for (const trial of trials) {
      const value = trial.spec.config[axis];
      const bucket = byValue.get(value) ?? { sum: 0, n: 0, trials: 0, diverged: 0, failed: 0 };
      byValue.set(value, bucket);
      bucket.trials += 1;
      if (trial.state === 'diverged') bucket.diverged += 1;
      if (trial.state === 'failed') bucket.failed += 1;
      const counted = countedObjective(trial);
      if (counted !== null) {
        bucket.sum += counted;
        bucket.n += 1;
      }
    }
    if (byValue.size < 2) continue;
    const values = [...byValue]
      .sort(([a], [b]) => a - b)
      .map(([value, bucket]) => ({
        value,
        mean: bucket.n === 0 ? null : bucket.sum / bucket.n,
        n: bucket.n,
        trials: bucket.trials,
        diverged: bucket.diverged,
        failed: bucket.failed,
      }));
    const withMean = values.filter((entry): entry is AxisValueEffect & { mean: number } => entry.mean !== null);
    const means = withMean.map((entry) => entry.mean);
    const spread = means.length < 2 ? null : Math.max(...means) - Math.min(...means);
    let best: (AxisValueEffect & { mean: number }) | undefined;
    for (const entry of withMean) {
      const better = objective.goal === 'maximize' ? entry.mean > (best?.mean ?? -Infinity) : entry.mean < (best?.mean ?? Infinity);
      if (best === undefined || better) best = entry;
    }
    effects.push({ axis, values, spread, bestValue: best?.value ?? null });
  }
  return effects;
}

/** Axes ordered by spread, largest first (those without a spread last, in axis order). */
export function axesBySpread(effects: readonly AxisEffect[]): AxisEffect[] {
  return effects
    .map((effect, index) => ({ effect, index }))
    .sort((a, b) => (b.effect.spread ?? -1) - (a.effect.spread ?? -1) || a.index - b.index)
    .map(({ effect }) => effect);
}
