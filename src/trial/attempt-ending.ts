// An attempt's `ending` text (AttemptRecord.ending), written by the coordinator and read back
// by the results document for the last error of a trial that has no result to carry it.
import type { TrialErrorInfo, TrialOutcome } from './types.js';

/** `failed: <kind>: <message>`: a kind is a class name or a word, never with ': ' in it. */
export function failedAttemptEnding(error: TrialErrorInfo): string {
  return `failed: ${error.kind}: ${error.message}`;
}

const failedPrefix = 'failed: ';

/**
 * The error an ending records: a failed attempt's kind and message, or a lost lease's reason
 * (`lease-expired`, `coordinator-restarted`) as its kind. Null for an attempt that ended with a
 * result or was handed back (`succeeded`, `cancelled: …`, `handed back: …`) or still runs.
 */
export function errorOfAttemptEnding(ending: string | null): TrialErrorInfo | null {
  if (ending === null) return null;
  if (ending.startsWith(failedPrefix)) {
    const rest = ending.slice(failedPrefix.length);
    const split = rest.indexOf(': ');
    return split < 0 ? { kind: rest, message: '' } : { kind: rest.slice(0, split), message: rest.slice(split + 2) };
  }
  if (ending === 'lease-expired') return { kind: 'lease-expired', message: 'the agent stopped heartbeating before the lease timeout' };
  if (ending === 'coordinator-restarted') return { kind: 'coordinator-restarted', message: 'the coordinator restarted while the trial ran' };
  return null;
}

/**
 * The last error of a failed or diverged trial (null for any other): its result's, else that of
 * its last attempt that ended in an error (a crash, a lost lease, a workload error).
 */
export function lastTrialError(failedOrDiverged: boolean, outcome: TrialOutcome | null, endings: readonly (string | null)[]): TrialErrorInfo | null {
  if (outcome?.status === 'failed') return { kind: outcome.error.kind, message: outcome.error.message };
  if (outcome?.status === 'diverged') return { kind: 'diverged', message: `the loss was not a finite number at epoch ${outcome.atEpoch}` };
  if (!failedOrDiverged) return null;
  for (let index = endings.length - 1; index >= 0; index -= 1) {
    const error = errorOfAttemptEnding(endings[index] ?? null);
    if (error !== null) return error;
  }
  return null;
}
