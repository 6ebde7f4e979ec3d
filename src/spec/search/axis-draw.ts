// From a uniform draw u in [0, 1) to an axis value: a list picks uniformly among its values, a
// range spreads evenly (linear) or evenly in log space (log); integer axes draw whole numbers,
// both bounds included. Learning rates (and minLr) are kept float32-representable, the number
// the optimizer holds (src/plateau/scheduler.ts), and still inside the range.
import type { GridAxisName, AxisDomain, AxisRange } from '../sweep-spec.js';
import { isAxisRange } from '../sweep-spec.js';

/** Axes whose values are whole numbers (epochs, rows). */
const INTEGER_AXES: ReadonlySet<GridAxisName> = new Set(['patience', 'cooldown', 'batchSize']);
/** Axes stored as the float32 the optimizer holds. */
const FLOAT32_AXES: ReadonlySet<GridAxisName> = new Set(['learningRate', 'minLr']);

const float32 = new Float32Array(1);
const float32Bits = new Uint32Array(float32.buffer);

/** The float32 next to `value` (a float32 ≥ 0) toward zero or away from it. */
function float32Step(value: number, up: boolean): number {
  float32[0] = value;
  if (value === 0) return up ? 1.401298464324817e-45 : 0;
  float32Bits[0] = (float32Bits[0] ?? 0) + (up ? 1 : -1);
  return float32[0] ?? value;
}

/** `value` as a float32 inside [min, max] (ranges here are ≥ 0): the nearest one, stepped back in when rounding left the range. */
export function float32Within(value: number, min: number, max: number): number {
  let rounded = Math.fround(value);
  if (rounded > max) rounded = float32Step(rounded, false);
  if (rounded < min) rounded = float32Step(rounded, true);
  // A range narrower than one float32 step holds no float32: keep the value itself.
  return rounded >= min && rounded <= max ? rounded : value;
}

function drawFromRange(range: AxisRange, u: number, integer: boolean): number {
  const { min, max } = range;
  if (integer) {
    // Whole numbers min…max, each equally likely (linear) or spread by log: [log min, log(max + 1)) floored.
    const drawn = range.scale === 'log' ? Math.floor(Math.exp(Math.log(min) + u * (Math.log(max + 1) - Math.log(min)))) : min + Math.floor(u * (max - min + 1));
    return Math.min(max, Math.max(min, drawn));
  }
  const drawn = range.scale === 'log' ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min);
  return Math.min(max, Math.max(min, drawn));
}

/** The axis value at draw `u` ∈ [0, 1). */
export function drawAxisValue(axis: GridAxisName, domain: AxisDomain, u: number): number {
  if (!isAxisRange(domain)) {
    const index = Math.min(domain.length - 1, Math.floor(u * domain.length));
    return domain[index] ?? Number.NaN;
  }
  const value = drawFromRange(domain, u, INTEGER_AXES.has(axis));
  return FLOAT32_AXES.has(axis) ? float32Within(value, domain.min, domain.max) : value;
}

/** Whether sampling can give the axis more than one value (a dimension of the search). */
export function axisVaries(domain: AxisDomain): boolean {
  return isAxisRange(domain) ? domain.max > domain.min : domain.length > 1;
}
