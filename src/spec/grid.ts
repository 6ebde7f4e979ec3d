// GridExpander: the spec's axes → the trials to run, in a fixed order — every config of
// repeat 0 first (a useful ranking early), then repeat 1…; within a repeat, for method grid,
// nested loops in axis order with the first axis outermost and values in the order written;
// for random and sobol, the sampled points in the order drawn (src/spec/search/).
import type { TrialConfig, TrialSpec } from '../trial/types.js';
import { repeatSeed, trialIdHasher } from './ids.js';
import { sampledConfigs, type AxisDomains } from './search/sampled-configs.js';
import { isAxisRange, type AxisDomain, type GridAxisName, type SweepSpec } from './sweep-spec.js';

export const GRID_AXIS_ORDER = ['learningRate', 'factor', 'patience', 'minDelta', 'cooldown', 'minLr', 'batchSize'] as const satisfies readonly GridAxisName[];

/** What an axis takes: its list or range as written, or the single fixed value from plateau/workload. */
export function axisDomain(spec: SweepSpec, axis: GridAxisName): AxisDomain {
  const domain = spec.grid[axis];
  if (domain !== undefined) return domain;
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

/** The values a listed (or fixed) axis takes. A range has no list: only a sampled search, which never asks, has one. */
export function axisValues(spec: SweepSpec, axis: GridAxisName): readonly number[] {
  const domain = axisDomain(spec, axis);
  if (isAxisRange(domain)) throw new TypeError(`grid.${axis} is a range; only method random or sobol samples it`);
  return domain;
}

function axisDomains(spec: SweepSpec): AxisDomains {
  return {
    learningRate: axisDomain(spec, 'learningRate'),
    factor: axisDomain(spec, 'factor'),
    patience: axisDomain(spec, 'patience'),
    minDelta: axisDomain(spec, 'minDelta'),
    cooldown: axisDomain(spec, 'cooldown'),
    minLr: axisDomain(spec, 'minLr'),
    batchSize: axisDomain(spec, 'batchSize'),
  };
}

/** Axes actually written in the grid (optional ones only when present). */
export function presentAxes(spec: SweepSpec): readonly GridAxisName[] {
  return GRID_AXIS_ORDER.filter((axis) => spec.grid[axis] !== undefined);
}

/** Configurations before repeats: the product of the axis lengths, or a sampled search's count of points. */
export function configCount(spec: SweepSpec): number {
  if (spec.search !== undefined) return spec.search.count;
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
 * The configurations of expandConfigs one at a time (for a grid, an odometer over the axes, the
 * last axis turning fastest), so a big grid is never built as one array in one go.
 */
export function* configsInOrder(spec: SweepSpec): Generator<TrialConfig, void, undefined> {
  if (spec.search !== undefined) {
    yield* sampledConfigs(spec.search, GRID_AXIS_ORDER, axisDomains(spec));
    return;
  }
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
