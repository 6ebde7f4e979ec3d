// The validated, fully-defaulted sweep spec: what src/spec/load produces from YAML and
// what travels (as JSON) to the coordinator. Every path in it is absolute.
import type { EarlyStopSpec } from '../stopping/stop-types.js';
import type { ObjectiveSpec, PlateauMode, WorkloadSpec } from '../trial/types.js';

/** How an axis spreads a range: evenly, or evenly in log space. */
export type AxisScale = 'linear' | 'log';

/** A range to sample (method random or sobol): min and max inclusive. */
export interface AxisRange {
  readonly min: number;
  readonly max: number;
  readonly scale: AxisScale;
}

/** What an axis takes: a list of distinct values (every method), or a range (random, sobol). */
export type AxisDomain = readonly number[] | AxisRange;

/**
 * The axes: each a non-empty list of distinct values, or, for a sampled search, a range. The
 * optional ones default to the plateau/workload value.
 */
export interface GridAxes {
  readonly learningRate: AxisDomain;
  readonly factor: AxisDomain;
  readonly patience: AxisDomain;
  readonly minDelta?: AxisDomain;
  readonly cooldown?: AxisDomain;
  readonly minLr?: AxisDomain;
  readonly batchSize?: AxisDomain;
}

export type GridAxisName = keyof GridAxes;

export const SEARCH_METHODS = ['grid', 'random', 'sobol'] as const;
export type SearchMethod = (typeof SEARCH_METHODS)[number];

/** A search that samples `count` points instead of taking the grid's product. */
export interface SampledSearch {
  readonly method: Exclude<SearchMethod, 'grid'>;
  readonly count: number;
  /** Seeds the points: the same spec samples the same points. */
  readonly seed: number;
}

export function isAxisRange(domain: AxisDomain): domain is AxisRange {
  return !Array.isArray(domain);
}

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
  /** Absent for a grid search (the product of the axes); present for random and sobol. */
  readonly search?: SampledSearch;
  /** Seeds per configuration. */
  readonly repeats: number;
  readonly objective: ObjectiveSpec;
  /** Attempts per trial before it is failed for good (crashes, lost leases). */
  readonly maxAttempts: number;
  /** Early stopping; absent: every trial runs all its epochs (docs/early-stopping.md). */
  readonly earlyStop?: EarlyStopSpec;
}
