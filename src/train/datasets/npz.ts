// NumPy .npz archives (np.savez: stored; np.savez_compressed: deflated): a zip of .npy entries
// named `<key>.npy`. Streamed from disk through fflate's Unzip, each wanted entry straight into
// an NpyDecoder, so neither the archive nor an inflated entry is ever held whole. Entry names are
// text from the file: no message repeats them, only the keys the user asked for.
import { createReadStream } from 'node:fs';
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { DatasetError } from './dataset-error.js';
import { type ArrayPair, arrayDataset } from './array-dataset.js';
import type { LoadedDataset } from './loaded-dataset.js';
import { type NpyArray, NpyDecoder } from './npy-decoder.js';
import { readFailure } from './file-read-error.js';

/** Small reads: one chunk of a deflated entry inflates to at most about a thousand times its size. */
const READ_CHUNK_BYTES = 64 * 1024;
/** DEFLATE cannot expand data more than 1032-fold: an entry that claims more is not real. */
const MAX_DEFLATE_RATIO = 1032;

const ZIP_LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];
const ZIP_END_RECORD = [0x50, 0x4b, 0x05, 0x06];

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return signature.every((byte, i) => bytes[i] === byte);
}

/** Whether the zip's end-of-central-directory record lies in the archive's last bytes. */
function hasEndRecord(previous: Uint8Array, last: Uint8Array): boolean {
  const tail = new Uint8Array(previous.length + last.length);
  tail.set(previous);
  tail.set(last, previous.length);
  for (let i = tail.length - 22; i >= 0; i--) {
    if (ZIP_END_RECORD.every((byte, k) => tail[i + k] === byte)) return true;
  }
  return false;
}

/** Collects the wanted arrays of one archive as its entries stream past. */
class NpzCollector {
  private readonly decoders = new Map<string, NpyDecoder>();
  private readonly arrays = new Map<string, NpyArray>();
  /** The first failure inside an fflate callback, thrown after the push that caused it. */
  failure: unknown;

  constructor(
    private readonly file: string,
    private readonly keys: readonly string[],
  ) {}

  get done(): boolean {
    return this.keys.every((key) => this.arrays.has(key));
  }

  onFile(entry: UnzipFile): void {
    const key = entry.name.endsWith('.npy') ? entry.name.slice(0, -'.npy'.length) : undefined;
    if (key === undefined || !this.keys.includes(key)) {
      // Started and dropped: an entry never started keeps its chunks in the Unzip's memory.
      entry.ondata = () => {};
      entry.start();
      return;
    }
    const origin = { file: this.file, array: key };
    if (this.decoders.has(key)) throw new DatasetError(`the archive holds two arrays named "${key}"`, { file: this.file });
    if (entry.compression !== 0 && entry.compression !== 8) {
      throw new DatasetError(`array "${key}": compressed with a method other than deflate — expected np.savez or np.savez_compressed`, { file: this.file });
    }
    const size = entry.size;
    const originalSize = entry.originalSize;
    if (size !== undefined && originalSize !== undefined) {
      const possible = entry.compression === 0 ? size : size * MAX_DEFLATE_RATIO + 1024;
      if (originalSize > possible) {
        throw new DatasetError(`array "${key}": the archive claims ${originalSize} bytes for ${size} stored bytes — the archive is corrupt`, {
          file: this.file,
        });
      }
    }
    const decoder = new NpyDecoder(origin, originalSize);
    this.decoders.set(key, decoder);
    entry.ondata = (error, data, final) => {
      if (this.failure !== undefined) return;
      try {
        if (error !== null) throw new DatasetError(`array "${key}": the compressed data is corrupt`, { file: this.file });
        decoder.push(data);
        if (final) this.arrays.set(key, decoder.finish());
      } catch (failure) {
        this.failure = failure;
      }
    };
    entry.start();
  }

  /** `complete`: the archive's end record was seen, so an array not met is truly absent. */
  result(complete: boolean): ReadonlyMap<string, NpyArray> {
    for (const key of this.keys) {
      if (this.arrays.has(key)) continue;
      if (this.decoders.has(key)) throw new DatasetError(`array "${key}": the archive ends inside it — the file is truncated`, { file: this.file });
      if (!complete) throw new DatasetError('the archive ends before its directory — the file is truncated', { file: this.file });
      throw new DatasetError(`no array named "${key}" in the archive (expected an entry "${key}.npy", as np.savez writes)`, { file: this.file });
    }
    return this.arrays;
  }
}

/** Reads the arrays named `keys` from the .npz at `path`; errors name `displayName`. */
export async function readNpzArrays(path: string, displayName: string, keys: readonly string[]): Promise<ReadonlyMap<string, NpyArray>> {
  const collector = new NpzCollector(displayName, keys);
  const unzip = new Unzip((entry) => collector.onFile(entry));
  unzip.register(UnzipInflate);
  const push = (chunk: Uint8Array, final: boolean): void => {
    try {
      unzip.push(chunk, final);
    } catch (error) {
      if (collector.failure === undefined) {
        collector.failure = error instanceof DatasetError ? error : new DatasetError('not a valid zip archive — the .npz is corrupt or truncated', { file: displayName });
      }
    }
    if (collector.failure !== undefined) throw collector.failure;
  };
  try {
    let first = true;
    // The last two chunks (128 KiB) hold the end record, which follows a comment of at most 64 KiB.
    let previous: Uint8Array = new Uint8Array(0);
    let last: Uint8Array = new Uint8Array(0);
    for await (const data of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })) {
      const chunk = data as Buffer;
      previous = last;
      last = chunk;
      if (first) {
        first = false;
        if (startsWith(chunk, ZIP_END_RECORD)) break;
        if (!startsWith(chunk, ZIP_LOCAL_HEADER)) throw new DatasetError('not an .npz archive — the file does not start like a zip file', { file: displayName });
      }
      push(chunk, false);
      // np.savez writes the arrays first in the order given; the rest need not be read.
      if (collector.done) break;
    }
    if (first) throw new DatasetError('the file is empty — expected an .npz archive', { file: displayName });
    if (!collector.done) push(new Uint8Array(0), true);
    return collector.result(collector.done || hasEndRecord(previous, last));
  } catch (error) {
    throw readFailure(error, displayName);
  }
}

export interface NpzDatasetSource {
  /** Local path of the training archive. */
  readonly train: string;
  /** Local path of a validation archive with the same keys; without it, the last `validationSplit` of train. */
  readonly validation?: string;
  /** Keys of the arrays in each archive (np.savez(file, x=…, y=…) → "x", "y"). */
  readonly x: string;
  readonly y: string;
  readonly validationSplit: number;
  /** Z-score every feature with the training x's mean and std (applied to both parts). */
  readonly standardize: boolean;
}

/** How the archives are named in errors when the paths read are not the ones the user wrote (cached copies). */
export interface NpzDisplayNames {
  readonly train?: string;
  readonly validation?: string;
}

async function readPair(path: string, file: string, x: string, y: string): Promise<ArrayPair> {
  const arrays = await readNpzArrays(path, file, [x, y]);
  const array = (key: string): NpyArray => {
    const found = arrays.get(key);
    if (found === undefined) throw new DatasetError(`no array named "${key}" in the archive`, { file });
    return found;
  };
  return { x: { array: array(x), file, key: x }, y: { array: array(y), file, key: y } };
}

/** Loads x and y from .npz archives (local paths), with an optional validation archive. */
export async function loadNpzDataset(source: NpzDatasetSource, displayNames: NpzDisplayNames = {}): Promise<LoadedDataset> {
  if (source.x === source.y) throw new DatasetError(`x and y name the same array "${source.x}"`, { file: displayNames.train ?? source.train });
  const train = await readPair(source.train, displayNames.train ?? source.train, source.x, source.y);
  const validation =
    source.validation === undefined ? undefined : await readPair(source.validation, displayNames.validation ?? source.validation, source.x, source.y);
  return arrayDataset(train, validation, source);
}
