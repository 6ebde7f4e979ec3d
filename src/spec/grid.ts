// GridExpander: the spec's axes → the trials to run, in a fixed order — every config of
// repeat 0 first (a useful ranking early), then repeat 1…; within a repeat, nested loops in
// axis order with the first axis outermost and values in the order written.
import type { TrialConfig, TrialSpec } from '../trial/types.js';
import { repeatSeed, trialIdHasher } from './ids.js';
import type { GridAxisName, SweepSpec } from './sweep-spec.js';

export const GRID_AXIS_ORDER = ['learningRate', 'factor', 'patience', 'minDelta', 'cooldown', 'minLr', 'batchSize'] as const satisfies readonly GridAxisName[];

/** The values an axis takes: its grid list, or the single fixed value from plateau/workload. */
export function axisValues(spec: SweepSpec, axis: GridAxisName): readonly number[] {
  const values = spec.grid[axis];
  if (values !== undefined) return values;
  switch (axis) {
    case 'minDelta':
    case 'cooldown':
    case 'minLr':
      return [spec.plateau[axis]];
    case 'batchSize':
      return [spec.workload.batchSize];
    default:
      return [];
  }
}

/** Axes actually written in the grid (optional ones only when present). */
export function presentAxes(spec: SweepSpec): readonly GridAxisName[] {
  return GRID_AXIS_ORDER.filter((axis) => spec.grid[axis] !== undefined);
}

/** Distinct configurations (product of axis lengths), before repeats. */
export function configCount(spec: SweepSpec): number {
  return GRID_AXIS_ORDER.reduce((count, axis) => count * axisValues(spec, axis).length, 1);
}

/** Trials the sweep runs: configs × repeats (equals `expandGrid(spec).length`). */
export function gridSize(spec: SweepSpec): number {
  return configCount(spec) * spec.repeats;
}

/** Every configuration: nested in GRID_AXIS_ORDER, the first axis outermost. */
export function expandConfigs(spec: SweepSpec): TrialConfig[] {
  return [...configsInOrder(spec)];
}

/**
 * The configurations of expandConfigs one at a time (an odometer over the axes, the last axis
 * turning fastest), so a big grid is never built as one array in one go.
 */
export function* configsInOrder(spec: SweepSpec): Generator<TrialConfig, void, undefined> {
  const axes = GRID_AXIS_ORDER.map((axis) => axisValues(spec, axis));
  if (axes.some((values) => values.length === 0)) return;
  const at = axes.map(() => 0);
  for (;;) {
    const value = (axis: number): number => axes[axis]?.[at[axis] ?? 0] ?? Number.NaN;
    yield { learningRate: value(0), factor: value(1), patience: value(2), minDelta: value(3), cooldown: value(4), minLr: value(5), batchSize: value(6) };
    let axis = axes.length - 1;
    while (axis >= 0) {
      const next = (at[axis] ?? 0) + 1;
      if (next < (axes[axis]?.length ?? 0)) {
        at[axis] = next;
        break;
      }
      at[axis] = 0;
      axis -= 1;
    }
    if (axis < 0) return;
  }
}

export function expandGrid(spec: SweepSpec): TrialSpec[] {
  return [...expandGridInChunks(spec, Number.MAX_SAFE_INTEGER)].flat();
}

/**
 * The trials of expandGrid, in the same order, `chunkSize` at a time: a caller that must not
 * block (the coordinator expanding a 100,000-trial sweep) yields to the event loop between chunks.
 */
export function* expandGridInChunks(spec: SweepSpec, chunkSize: number): Generator<TrialSpec[], void, undefined> {
  const plateau = { monitor: spec.plateau.monitor, mode: spec.plateau.mode };
  // Trials of one batch size share one workload object (never mutated): its canonical JSON is hashed once.
  const workloads = new Map<number, TrialSpec['workload']>();
  const workloadFor = (batchSize: number): TrialSpec['workload'] => {
    let workload = workloads.get(batchSize);
    if (workload === undefined) {
      // The trial's own batch size is the one it trains with, so its workload says so too.
      workload = { ...spec.workload, batchSize };
      workloads.set(batchSize, workload);
    }
    return workload;
  };
  const idOf = trialIdHasher();
  let chunk: TrialSpec[] = [];
  for (let repeat = 0; repeat < spec.repeats; repeat++) {
    const seed = repeatSeed(spec.workload.seed, repeat);
    for (const config of configsInOrder(spec)) {
      const identity = { workload: workloadFor(config.batchSize), plateau, config, repeat, objective: spec.objective };
      chunk.push({ id: idOf(identity), ...identity, seed });
      if (chunk.length >= chunkSize) {
        yield chunk;
        chunk = [];
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}
