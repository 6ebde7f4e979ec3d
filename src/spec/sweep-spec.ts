// The validated, fully-defaulted sweep spec: what src/spec/load produces from YAML and
// what travels (as JSON) to the coordinator. Every path in it is absolute.
import type { EarlyStopSpec } from '../stopping/stop-types.js';
import type { ObjectiveSpec, PlateauMode, WorkloadSpec } from '../trial/types.js';

/** Grid axes: each a non-empty list of distinct values. The optional ones default to the plateau/workload value. */
export interface GridAxes {
  readonly learningRate: readonly number[];
  readonly factor: readonly number[];
  readonly patience: readonly number[];
  readonly minDelta?: readonly number[];
  readonly cooldown?: readonly number[];
  readonly minLr?: readonly number[];
  readonly batchSize?: readonly number[];
}

export type GridAxisName = keyof GridAxes;

export interface SweepPlateauOptions {
  readonly monitor: string;
  readonly mode: PlateauMode;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
}

export interface SweepSpec {
  readonly name: string;
  readonly workload: WorkloadSpec;
  readonly plateau: SweepPlateauOptions;
  readonly grid: GridAxes;
  /** Seeds per configuration. */
  readonly repeats: number;
  readonly objective: ObjectiveSpec;
  /** Attempts per trial before it is failed for good (crashes, lost leases). */
  readonly maxAttempts: number;
  /** Early stopping; absent: every trial runs all its epochs (docs/early-stopping.md). */
  readonly earlyStop?: EarlyStopSpec;
}
