// A client's view of the coordinator's sweeps, in domain types (the CLI's `submit`,
// `status`, `results` and the embedded `run` use it). grpc-sweep-client.ts implements it.
import type { SweepSpec } from '../spec/sweep-spec.js';
import type { SubmittedSweep, SweepProgress, SweepSummary } from './sweep-progress.js';

export interface SweepClient {
  /** `source` is the spec file's text as written, kept for the record. */
  submit(spec: SweepSpec, source: string, signal?: AbortSignal): Promise<SubmittedSweep>;
  /** Rejects with SweepNotFoundError for an unknown id. */
  get(sweepId: string, signal?: AbortSignal): Promise<SweepSummary>;
  /** Every sweep the coordinator holds, oldest first. */
  list(signal?: AbortSignal): Promise<readonly SweepSummary[]>;
  cancel(sweepId: string, signal?: AbortSignal): Promise<SweepSummary>;
  /** Progress now, then after each change, until the sweep finishes or `signal` aborts. */
  watch(sweepId: string, signal?: AbortSignal): AsyncIterable<SweepProgress>;
  /** The results document (results.json) as it stands now, parsed but not validated here. */
  results(sweepId: string, signal?: AbortSignal): Promise<unknown>;
  close(): void;
}
