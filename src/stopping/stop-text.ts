// How a stop reads for people, the same in the terminal and in the report: a short marker for
// tables ("stopped@12 (median)", per trial or per config) and the settings in one line.
import { rungEpochs } from './asha-rule.js';
import type { EarlyStopSpec, StopRecord } from './stop-types.js';

/** "stopped@12 (median)": which epoch the trial ended at, and which rule ended it. */
export function stopMarker(stop: Pick<StopRecord, 'epoch' | 'rule'>): string {
  return stopsMarker([stop]);
}

/**
 * The settings in one line: "median from epoch 5, at least 5 others, plateau guard on, …", or for
 * asha the rungs themselves when the trials' length is known: "asha at epochs 3, 6, 12 (top 1/2
 * of each go on), …".
 */
export function earlyStopSettings(spec: EarlyStopSpec, epochs?: number): string {
  const rungs = epochs === undefined ? [] : rungEpochs(spec.gracePeriod, spec.reductionFactor, epochs);
  const asha =
    rungs.length === 0 ? `asha, rungs from epoch ${spec.gracePeriod}, η ${spec.reductionFactor}` : `asha at epoch${rungs.length === 1 ? '' : 's'} ${rungs.join(', ')}, keeping the top 1/${spec.reductionFactor} at each`;
  const rule = spec.rule === 'median' ? `median from epoch ${spec.gracePeriod}, at least ${spec.minTrials} others` : asha;
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

/**
 * A config's stopped repeats as one marker, with "n/N" when it has several repeats: "stopped@12
 * (median)", "stopped@8,12 (median) 2/3"; null when none of them stopped.
 */
export function stoppedRepeatsMarker(trials: readonly { readonly status: string; readonly stop?: StopRecord }[], repeats: number): string | null {
  const stopped = trials.filter((trial) => trial.status === 'pruned');
  if (stopped.length === 0) return null;
  const stops = stopped.flatMap((trial): StopRecord[] => (trial.stop === undefined ? [] : [trial.stop]));
  const marker = stops.length === 0 ? 'stopped' : stopsMarker(stops);
  return repeats > 1 ? `${marker} ${stopped.length}/${repeats}` : marker;
}
