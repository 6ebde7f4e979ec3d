// A dataset from NumPy arrays, as Keras takes them: x of shape [n, ...] (each sample flattened
// into features, its shape kept for models that want it) and y of shape [n] or [n, k]. A separate
// validation pair must match the training pair's per-sample shapes; without one, the last
// `validationSplit` of the samples is held out, as Keras `validation_split` does.
import { DatasetError } from './dataset-error.js';
import { holdoutSizes, splitSamples } from './holdout.js';
import type { DatasetSplit, LoadedDataset } from './loaded-dataset.js';
import type { NpyArray } from './npy-decoder.js';
import { featureStatistics, standardizeInPlace } from './standardize.js';

/** An array and where it came from, for messages: the file and, inside an .npz, the key. */
export interface NamedArray {
  readonly array: NpyArray;
  readonly file: string;
  readonly key?: string;
}

export interface ArrayPair {
  readonly x: NamedArray;
  readonly y: NamedArray;
}

export interface ArrayDatasetOptions {
  /** Used only without a validation pair. */
  readonly validationSplit: number;
  readonly standardize: boolean;
}

interface Samples {
  readonly count: number;
  readonly featureShape: readonly number[];
  readonly featureCount: number;
  readonly targetCount: number;
}

function refuse(named: NamedArray, reason: string): DatasetError {
  return new DatasetError(named.key === undefined ? reason : `array "${named.key}": ${reason}`, { file: named.file });
}

function describe(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function samplesOf(pair: ArrayPair): Samples {
  const xShape = pair.x.array.shape;
  const yShape = pair.y.array.shape;
  const count = xShape[0];
  if (count === undefined) throw refuse(pair.x, 'x is a single number (shape []) — expected one row per sample, shape [n, ...]');
  if (count < 1) throw refuse(pair.x, `x has shape ${describe(xShape)}, no samples`);
  if (yShape.length < 1 || yShape.length > 2) {
    throw refuse(pair.y, `y has shape ${describe(yShape)} — expected [n] or [n, k]`);
  }
  if (yShape[0] !== count) {
    throw refuse(pair.y, `y has ${yShape[0] ?? 0} samples (shape ${describe(yShape)}) but x has ${count} (shape ${describe(xShape)})`);
  }
  const featureShape = xShape.slice(1);
  const featureCount = featureShape.reduce((product, size) => product * size, 1);
  if (featureCount < 1) throw refuse(pair.x, `x has shape ${describe(xShape)}, no features per sample`);
  const targetCount = yShape[1] ?? 1;
  if (targetCount < 1) throw refuse(pair.y, `y has shape ${describe(yShape)}, no targets per sample`);
  return { count, featureShape, featureCount, targetCount };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function splitOf(pair: ArrayPair, count: number): DatasetSplit {
  return { count, x: pair.x.array.values, y: pair.y.array.values };
}

/** Names x0, x1, … for the flattened features (a CSV has real column names; arrays do not). */
function featureNamesOf(count: number): string[] {
  return Array.from({ length: count }, (_, j) => `x${j}`);
}

export async function arrayDataset(train: ArrayPair, validation: ArrayPair | undefined, options: ArrayDatasetOptions): Promise<LoadedDataset> {
  const samples = samplesOf(train);
  let trainSplit: DatasetSplit;
  let validationSplit: DatasetSplit;
  if (validation === undefined) {
    const sizes = holdoutSizes(samples.count, options.validationSplit);
    const parts = splitSamples(train.x.array.values, train.y.array.values, samples.featureCount, samples.targetCount, sizes.train);
    trainSplit = parts.train;
    validationSplit = parts.validation;
  } else {
    const held = samplesOf(validation);
    if (!sameShape(held.featureShape, samples.featureShape)) {
      throw refuse(
        validation.x,
        `each sample has shape ${describe(held.featureShape)} but the training x's samples have ${describe(samples.featureShape)}`,
      );
    }
    if (held.targetCount !== samples.targetCount) {
      throw refuse(validation.y, `y has ${held.targetCount} targets per sample but the training y has ${samples.targetCount}`);
    }
    trainSplit = splitOf(train, samples.count);
    validationSplit = splitOf(validation, held.count);
  }
  if (options.standardize) {
    const stats = await featureStatistics(trainSplit.x, samples.featureCount);
    await standardizeInPlace(trainSplit.x, samples.featureCount, stats);
    await standardizeInPlace(validationSplit.x, samples.featureCount, stats);
  }
  return {
    featureCount: samples.featureCount,
    featureShape: samples.featureShape,
    targetCount: samples.targetCount,
    featureNames: featureNamesOf(samples.featureCount),
    train: trainSplit,
    validation: validationSplit,
  };
}
