// The configurations of a random or sobol search: `count` points, one dimension per axis that
// varies (in GRID_AXIS_ORDER), each coordinate mapped to its axis by drawAxisValue. Pure and
// deterministic: the same spec (seed included) gives the same points, in the same order.
import type { TrialConfig } from '../../trial/types.js';
import type { GridAxisName, SampledSearch, AxisDomain } from '../sweep-spec.js';
import { axisVaries, drawAxisValue } from './axis-draw.js';
import { RandomSampler } from './random-sampler.js';
import { SobolSequence } from './sobol-sequence.js';

/** Every axis of a trial's config with its domain (an absent optional axis as its one fixed value). */
export type AxisDomains = Readonly<Record<GridAxisName, AxisDomain>>;

/** The draws behind the points: uniform in [0, 1)^dimensions, one point at a time. */
function unitPoints(search: SampledSearch, dimensions: number): () => number[] {
  const random = new RandomSampler(search.seed);
  if (search.method === 'random') return () => random.point(dimensions);
  if (dimensions === 0) return () => [];
  // A digital shift drawn from the seed: a different seed, a different (equally even) point set.
  const sobol = new SobolSequence(dimensions, Array.from({ length: dimensions }, () => random.nextUint32()));
  return () => sobol.next();
}

export function* sampledConfigs(search: SampledSearch, axes: readonly GridAxisName[], domains: AxisDomains): Generator<TrialConfig, void, undefined> {
  const varying = axes.filter((axis) => axisVaries(domains[axis]));
  const next = unitPoints(search, varying.length);
  for (let n = 0; n < search.count; n++) {
    const point = next();
    const value = (axis: GridAxisName): number => {
      const dimension = varying.indexOf(axis);
      // A fixed axis (one value, or min = max) draws nothing: its value at u = 0.
      return drawAxisValue(axis, domains[axis], dimension < 0 ? 0 : (point[dimension] ?? 0));
    };
    yield {
      learningRate: value('learningRate'),
      factor: value('factor'),
      patience: value('patience'),
      minDelta: value('minDelta'),
      cooldown: value('cooldown'),
      minLr: value('minLr'),
      batchSize: value('batchSize'),
    };
  }
}
