// Median stopping (Golovin et al., Google Vizier; Ray Tune's MedianStoppingRule, Katib's
// medianstop), on best-so-far values: a trial whose best objective at epoch e is worse than
// the median of the other trials' best at e is stopped, once enough others have reached e.
import { isWorse, medianWithout } from './best-so-far.js';
import type { EarlyStopSpec, ObjectiveGoal, StopRecord } from './stop-types.js';

export interface MedianInput {
  /** 1-based epoch just completed. */
  readonly epoch: number;
  /** This trial's best objective after `epoch`. */
  readonly value: number;
  /**
   * Every trial's value at `epoch` (its best so far there; a trial stopped before it, its value at
   * the stop), this trial's own included, in ascending order.
   */
  readonly population: readonly number[];
  readonly goal: ObjectiveGoal;
}

export class MedianStoppingRule {
  constructor(private readonly spec: Pick<EarlyStopSpec, 'gracePeriod' | 'minTrials'>) {}

  /** The stop this epoch calls for, or null: within the grace period, too few others, or not worse. */
  decide(input: MedianInput): StopRecord | null {
    if (input.epoch < this.spec.gracePeriod || input.population.length - 1 < this.spec.minTrials) return null;
    const threshold = medianWithout(input.population, input.value);
    // Strictly worse: a trial level with the median goes on.
    return isWorse(input.value, threshold, input.goal) ? { epoch: input.epoch, rule: 'median', value: input.value, threshold } : null;
  }
}
