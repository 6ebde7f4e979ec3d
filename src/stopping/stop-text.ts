// How a stop reads for people, the same in the terminal and in the report: a short marker for
// tables ("stopped@12 (median)") and the whole record ("median at epoch 12: 0.0456 vs 0.0312").
import { formatObjective } from '../format/text-format.js';
import type { EarlyStopSpec, StopRecord } from './stop-types.js';

/** "stopped@12 (median)": which epoch the trial ended at, and which rule ended it. */
export function stopMarker(stop: Pick<StopRecord, 'epoch' | 'rule'>): string {
  return stopsMarker([stop]);
}

/** What the rule compared: the trial's best so far at the stop, against the value it had to beat. */
export function stopComparison(stop: StopRecord): string {
  const against = stop.rule === 'median' ? "the others' median" : 'the worst kept at its rung';
  return `${formatObjective(stop.value)} vs ${formatObjective(stop.threshold)} (${against})`;
}

/** The settings in one line: "median from epoch 5, at least 5 others, plateau guard on". */
export function earlyStopSettings(spec: EarlyStopSpec): string {
  const rule = spec.rule === 'median' ? `median from epoch ${spec.gracePeriod}, at least ${spec.minTrials} others` : `asha, rungs from epoch ${spec.gracePeriod}, η ${spec.reductionFactor}`;
  const ranked = spec.rankStopped === 'below' ? 'stopped trials rank below finished ones' : 'stopped trials rank with finished ones';
  return `${rule}, plateau guard ${spec.plateauGuard ? 'on' : 'off'}, ${ranked}`;
}

/**
 * Several stops of one config's repeats as one marker: "stopped@12 (median)", or
 * "stopped@8,12 (median)" when repeats stopped at other epochs ("(median, asha)" if rules differ).
 */
export function stopsMarker(stops: readonly Pick<StopRecord, 'epoch' | 'rule'>[]): string {
  const epochs = [...new Set(stops.map((stop) => stop.epoch))].sort((a, b) => a - b);
  const rules = [...new Set(stops.map((stop) => stop.rule))].sort();
  return `stopped@${epochs.join(',')} (${rules.join(', ')})`;
}
