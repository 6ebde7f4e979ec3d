// A trial's best objective after each epoch, the quantity both rules compare.
import type { ObjectiveGoal } from './stop-types.js';

/** The worst possible value for a goal: what a trial with no finite objective yet counts as. */
export function worstValue(goal: ObjectiveGoal): number {
  return goal === 'minimize' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/** Whether `a` is strictly worse than `b` under the goal. */
export function isWorse(a: number, b: number, goal: ObjectiveGoal): boolean {
  return goal === 'minimize' ? a > b : a < b;
}

/**
 * Best so far after each epoch: `result[i]` is the best finite value among `values[0..i]`, or the
 * goal's worst value while there is none (NaN and ±Infinity never count as progress).
 */
export function bestSoFar(values: readonly number[], goal: ObjectiveGoal): number[] {
  const out: number[] = [];
  let best = worstValue(goal);
  for (const value of values) {
    if (Number.isFinite(value) && isWorse(best, value, goal)) best = value;
    out.push(best);
  }
  return out;
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  return middleOf(sorted.length, (index) => sorted[index] ?? Number.NaN);
}

/**
 * The median of an ascending-sorted list with one occurrence of `value` left out (it must be in
 * the list): the others' median when the list holds every trial's value, this one's included.
 * O(log n), so judging each of n trials against one sorted list stays O(n log n).
 */
export function medianWithout(sorted: readonly number[], value: number): number {
  const count = sorted.length - 1;
  if (count <= 0) throw new RangeError('median of an empty list');
  const skip = partitionPoint(sorted.length, (index) => (sorted[index] ?? Number.NaN) < value);
  return middleOf(count, (index) => sorted[index < skip ? index : index + 1] ?? Number.NaN);
}

/** The middle of `count` ascending values read through `at`: the middle one, or the mean of the middle two. */
function middleOf(count: number, at: (index: number) => number): number {
  const middle = Math.floor(count / 2);
  const upper = at(middle);
  if (count % 2 === 1) return upper;
  const lower = at(middle - 1);
  // Two infinities of the same sign: their mean is that infinity, not NaN.
  return lower === upper ? upper : (lower + upper) / 2;
}

/**
 * The first index in 0..count for which `before` is false, when it is true for a prefix and false
 * for the rest (bisection): in a sorted list, how many values come before a given one.
 */
export function partitionPoint(count: number, before: (index: number) => boolean): number {
  let low = 0;
  let high = count;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (before(mid)) low = mid + 1;
    else high = mid;
  }
  return low;
}
