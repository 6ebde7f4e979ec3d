// Seeded synthetic multi-class classification: one Gaussian blob per class, close enough that
// the classes overlap a little, so accuracy climbs over epochs and the schedule matters.
import type { DatasetSpec } from '../../trial/types.js';
import { SeededRandom } from '../seeded-random.js';
import { DatasetError } from './dataset-error.js';
import { holdoutSizes, splitSamples } from './holdout.js';
import type { LoadedDataset } from './loaded-dataset.js';

export type SyntheticClassificationSpec = Extract<DatasetSpec, { kind: 'synthetic-classification' }>;

/** The most classes a synthetic dataset may have (a softmax over more is not a small test). */
export const MAX_SYNTHETIC_CLASSES = 1_000;
/** How far apart the class centres lie, in units of the blobs' standard deviation (1). */
const CENTRE_SPREAD = 1.5;

/**
 * Class c's centre is a N(0, spread²·I) draw; sample i has class i mod classes (so every class
 * is in both the training and the validation part) and x ~ N(centre, I). y is the class label,
 * or with `oneHot` a row of `classes` values, 1 at the label.
 */
export function syntheticClassification(spec: SyntheticClassificationSpec): LoadedDataset {
  const { samples, features, classes, oneHot, seed, validationSplit } = spec;
  if (!Number.isInteger(features) || features < 1) throw new DatasetError(`features: ${features} — expected a whole number, 1 or more`);
  if (!Number.isInteger(classes) || classes < 2 || classes > MAX_SYNTHETIC_CLASSES) {
    throw new DatasetError(`classes: ${classes} — expected a whole number from 2 to ${MAX_SYNTHETIC_CLASSES}`);
  }
  const sizes = holdoutSizes(samples, validationSplit);
  const random = new SeededRandom(seed);
  const centres = Float64Array.from({ length: classes * features }, () => CENTRE_SPREAD * random.normal());
  const targetCount = oneHot ? classes : 1;
  const x = new Float32Array(samples * features);
  const y = new Float32Array(samples * targetCount);
  for (let i = 0; i < samples; i++) {
    const label = i % classes;
    for (let j = 0; j < features; j++) x[i * features + j] = (centres[label * features + j] ?? 0) + random.normal();
    if (oneHot) y[i * classes + label] = 1;
    else y[i] = label;
  }
  const featureNames = Array.from({ length: features }, (_, j) => `x${j}`);
  return { featureCount: features, targetCount, featureNames, ...splitSamples(x, y, features, targetCount, sizes.train) };
}
