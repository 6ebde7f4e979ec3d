// Workload errors: failures no retry can fix (a missing or unreadable dataset, a bad model.json,
// shapes that do not match the data, a trial spec no runner can train, a file the agent's
// operator did not allow). The trainer marks them with a scope; the agent reports them as a
// failed attempt of kind WORKLOAD_ERROR_KIND; the coordinator then fails that trial without a
// retry and stops the trials that would meet the same error (see coordinator/workload-stop.ts).
import type { TrialErrorInfo, WorkloadErrorScope } from './types.js';

/** The failure kind of a workload error on the wire and in the store: agent and coordinator share it. */
export const WORKLOAD_ERROR_KIND = 'workload';

/** Longest workload error message kept (a hostile or runaway message must not fill the store). */
export const WORKLOAD_ERROR_MESSAGE_MAX = 1024;

/** The scope of a reported workload error; null for any other (retryable) failure. An unscoped one stops the sweep. */
export function workloadScopeOf(error: TrialErrorInfo): WorkloadErrorScope | null {
  return error.kind === WORKLOAD_ERROR_KIND ? (error.scope ?? 'sweep') : null;
}

/** A trainer's error marked with a scope, as the agent reports it: kind WORKLOAD_ERROR_KIND, the same message. */
export function asWorkloadError(error: TrialErrorInfo): TrialErrorInfo | null {
  if (error.scope === undefined) return null;
  return { kind: WORKLOAD_ERROR_KIND, message: error.message, scope: error.scope };
}

/** Parses a scope received from a peer: '' (unsaid) reads as undefined, anything else unknown as null. */
export function parseWorkloadScope(text: string): WorkloadErrorScope | undefined | null {
  if (text === '') return undefined;
  return text === 'sweep' || text === 'config' ? text : null;
}

/** The first workload error of a sweep, stored once: what status, watch, results and the report show. */
export interface SweepError {
  readonly kind: string;
  readonly message: string;
  /** The trial whose attempt met it. */
  readonly trialId: string;
  readonly scope: WorkloadErrorScope;
  readonly atMs: number;
}

/** One line for people: `workload error (trial abc…): train.csv:1: …`. */
export function describeSweepError(error: SweepError): string {
  const what = error.kind === WORKLOAD_ERROR_KIND ? 'workload error' : error.kind;
  const stopped = error.scope === 'sweep' ? 'the sweep was stopped' : 'the trials of its configuration were stopped';
  return `${what} in trial ${error.trialId}: ${error.message} (${stopped}; no retry can fix it)`;
}
