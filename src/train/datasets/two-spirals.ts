// Seeded two-spirals binary classification (Lang & Witbrock's benchmark): two interleaved
// arms 1.5 turns long, 2 features scaled to about [-1, 1], label 0 or 1.
import type { DatasetSpec } from '../../trial/types.js';
import { SeededRandom } from '../seeded-random.js';
import { checkNoise, holdoutSizes, splitHoldout } from './holdout.js';
import type { LoadedDataset } from './loaded-dataset.js';

export type TwoSpiralsSpec = Extract<DatasetSpec, { kind: 'two-spirals' }>;

const TURNS = 1.5;

export function twoSpirals(spec: TwoSpiralsSpec): LoadedDataset {
  const { samples, noise, seed, validationSplit } = spec;
  checkNoise(noise);
  const sizes = holdoutSizes(samples, validationSplit);
  const random = new SeededRandom(seed);
  const maxAngle = TURNS * 2 * Math.PI;
  const x = new Float32Array(samples * 2);
  const y = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    // Alternating labels keep both classes balanced in the training and the validation part.
    const label = i % 2;
    // sqrt spreads points evenly along the arm instead of crowding the centre.
    const angle = Math.sqrt(random.next()) * maxAngle;
    const radius = angle / maxAngle;
    const phase = angle + label * Math.PI;
    x[i * 2] = radius * Math.cos(phase) + noise * random.normal();
    x[i * 2 + 1] = radius * Math.sin(phase) + noise * random.normal();
    y[i] = label;
  }
  return splitHoldout(x, y, ['x', 'y'], sizes.train);
}
