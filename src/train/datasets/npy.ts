// NumPy .npy files: one array per file, streamed from disk through the decoder (the file is
// never held whole), and the x/y dataset built from a pair of them.
import { createReadStream } from 'node:fs';
import { DatasetError } from './dataset-error.js';
import { type ArrayPair, arrayDataset } from './array-dataset.js';
import type { LoadedDataset } from './loaded-dataset.js';
import { knownSize, readFailure } from './file-read-error.js';
import { type NpyArray, NpyDecoder } from './npy-decoder.js';

/** Read size: each chunk converts in a few milliseconds at most, so the event loop stays free. */
const READ_CHUNK_BYTES = 256 * 1024;

/** Reads one .npy file from `path`; errors name `displayName`. */
export async function readNpyFile(path: string, displayName: string): Promise<NpyArray> {
  try {
    const decoder = new NpyDecoder({ file: displayName }, await knownSize(path));
    for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })) {
      decoder.push(chunk as Buffer);
    }
    return decoder.finish();
  } catch (error) {
    throw readFailure(error, displayName);
  }
}

export interface NpyDatasetSource {
  readonly trainX: string;
  readonly trainY: string;
  /** Both or neither; without them, the last `validationSplit` of the training samples. */
  readonly validationX?: string;
  readonly validationY?: string;
  readonly validationSplit: number;
  /** Z-score every feature with the training x's mean and std (applied to both parts). */
  readonly standardize: boolean;
}

/** How the files are named in errors when the paths read are not the ones the user wrote (cached copies). */
export type NpyDisplayNames = Partial<Record<'trainX' | 'trainY' | 'validationX' | 'validationY', string>>;

async function readPair(xPath: string, yPath: string, xName: string, yName: string): Promise<ArrayPair> {
  const x = await readNpyFile(xPath, xName);
  const y = await readNpyFile(yPath, yName);
  return { x: { array: x, file: xName }, y: { array: y, file: yName } };
}

/** Loads x and y from .npy files (local paths), with an optional validation pair. */
export async function loadNpyDataset(source: NpyDatasetSource, displayNames: NpyDisplayNames = {}): Promise<LoadedDataset> {
  if ((source.validationX === undefined) !== (source.validationY === undefined)) {
    throw new DatasetError('validation x and y must be given together — or neither, to hold out validationSplit of the training samples');
  }
  const train = await readPair(source.trainX, source.trainY, displayNames.trainX ?? source.trainX, displayNames.trainY ?? source.trainY);
  const validation =
    source.validationX === undefined || source.validationY === undefined
      ? undefined
      : await readPair(
          source.validationX,
          source.validationY,
          displayNames.validationX ?? source.validationX,
          displayNames.validationY ?? source.validationY,
        );
  return arrayDataset(train, validation, source);
}
