// Seeded synthetic regression: a linear trend plus a sine and a quadratic term, so the
// loss surface is mildly nonlinear and the learning rate and its schedule matter.
import type { DatasetSpec } from '../../trial/types.js';
import { SeededRandom } from '../seeded-random.js';
import { DatasetError } from './dataset-error.js';
import { checkNoise, holdoutSizes, splitHoldout } from './holdout.js';
import type { LoadedDataset } from './loaded-dataset.js';

export type SyntheticRegressionSpec = Extract<DatasetSpec, { kind: 'synthetic-regression' }>;

function unitDirection(random: SeededRandom, features: number): Float64Array {
  const v = new Float64Array(features);
  let norm = 0;
  for (let j = 0; j < features; j++) {
    v[j] = random.normal();
    norm += (v[j] ?? 0) ** 2;
  }
  norm = Math.sqrt(norm) || 1;
  for (let j = 0; j < features; j++) v[j] = (v[j] ?? 0) / norm;
  return v;
}

/**
 * x ~ N(0, I); y = x·w + 0.5·sin(3·x·u) + 0.25·((x·v)² − 1) + noise·ε, with w, u, v random unit
 * directions. Every term has mean 0 and the target has variance ≈ 1.2 + noise².
 */
export function syntheticRegression(spec: SyntheticRegressionSpec): LoadedDataset {
  const { samples, features, noise, seed, validationSplit } = spec;
  if (!Number.isInteger(features) || features < 1) throw new DatasetError(`features: ${features} — expected a whole number, 1 or more`);
  checkNoise(noise);
  const sizes = holdoutSizes(samples, validationSplit);
  const random = new SeededRandom(seed);
  const w = unitDirection(random, features);
  const u = unitDirection(random, features);
  const v = unitDirection(random, features);
  const x = new Float32Array(samples * features);
  const y = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    let xw = 0;
    let xu = 0;
    let xv = 0;
    for (let j = 0; j < features; j++) {
      const value = random.normal();
      x[i * features + j] = value;
      xw += value * (w[j] ?? 0);
      xu += value * (u[j] ?? 0);
      xv += value * (v[j] ?? 0);
    }
    y[i] = xw + 0.5 * Math.sin(3 * xu) + 0.25 * (xv * xv - 1) + noise * random.normal();
  }
  const names = Array.from({ length: features }, (_, j) => `x${j}`);
  return splitHoldout(x, y, names, sizes.train);
}
