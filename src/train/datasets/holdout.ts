// Keras `validation_split`: the last fraction of the samples, taken before any shuffling.
import { DatasetError } from './dataset-error.js';
import type { DatasetSplit, LoadedDataset } from './loaded-dataset.js';

/** Train/validation sizes as Keras computes them (`split_at = floor(n × (1 − split))`). */
export function holdoutSizes(samples: number, validationSplit: number): { readonly train: number; readonly validation: number } {
  if (!Number.isInteger(samples) || samples < 2) throw new DatasetError(`samples: ${samples} — expected a whole number, 2 or more`);
  if (!(validationSplit > 0 && validationSplit < 1)) {
    throw new DatasetError(`validationSplit: ${validationSplit} — expected a fraction in (0, 1)`);
  }
  const train = Math.floor(samples * (1 - validationSplit));
  if (train < 1 || train >= samples) {
    throw new DatasetError(`validationSplit ${validationSplit} of ${samples} samples leaves an empty training or validation set`);
  }
  return { train, validation: samples - train };
}

/** Splits row-major samples into the leading `trainCount` training samples and the trailing validation samples. */
export function splitSamples(
  x: Float32Array,
  y: Float32Array,
  featureCount: number,
  targetCount: number,
  trainCount: number,
): { readonly train: DatasetSplit; readonly validation: DatasetSplit } {
  const samples = y.length / targetCount;
  const part = (from: number, to: number): DatasetSplit => ({
    count: to - from,
    x: x.slice(from * featureCount, to * featureCount),
    y: y.slice(from * targetCount, to * targetCount),
  });
  return { train: part(0, trainCount), validation: part(trainCount, samples) };
}

/** Splits row-major arrays of `samples` rows (one target each) into training rows and validation rows. */
export function splitHoldout(
  x: Float32Array,
  y: Float32Array,
  featureNames: readonly string[],
  trainCount: number,
): LoadedDataset {
  const featureCount = featureNames.length;
  return {
    featureCount,
    targetCount: 1,
    featureNames,
    ...splitSamples(x, y, featureCount, 1, trainCount),
  };
}

export function checkNoise(noise: number): void {
  if (!Number.isFinite(noise) || noise < 0) throw new DatasetError(`noise: ${noise} — expected a finite number, 0 or more`);
}
