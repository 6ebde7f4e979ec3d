// NumPy .npy / .npz datasets, read from fixtures that real numpy wrote
// (test/fixtures/numpy/make-fixtures.py) and compared with the values numpy itself gives.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/train/datasets/dataset-error.js';
import { NpyDecoder } from '../../src/train/datasets/npy-decoder.js';
import { loadNpyDataset, readNpyFile } from '../../src/train/datasets/npy.js';
import { loadNpzDataset, readNpzArrays } from '../../src/train/datasets/npz.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'numpy');
const fixture = (name: string): string => path.join(fixtures, name);

interface ExpectedArray {
  readonly shape: number[];
  readonly values: number[];
}
const expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as Record<string, ExpectedArray>;
function expectedOf(name: string): ExpectedArray {
  const found = expected[name];
  if (found === undefined) throw new Error(`expected.json has no entry ${name}`);
  return found;
}

const SECRET = 'AWS_SECRET_ACCESS_KEY=hunter2';

let directory = '';
beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'plateau-npy-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function tempFile(name: string, bytes: Uint8Array | string): Promise<string> {
  const file = path.join(directory, name);
  await writeFile(file, bytes);
  return file;
}

/** An .npy file as numpy lays it out, around a header text we choose (to make broken ones). */
function npyBytes(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const padded = `${header}${' '.repeat(63 - ((10 + header.length) % 64))}\n`;
  const bytes = new Uint8Array(10 + padded.length + data.length);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(bytes.buffer).setUint16(8, padded.length, true);
  bytes.set(new TextEncoder().encode(padded), 10);
  bytes.set(data, 10 + padded.length);
  return bytes;
}

async function failureOf(promise: Promise<unknown>): Promise<DatasetError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DatasetError)) throw new Error(`expected a DatasetError, got ${String(error)}`);
  return error;
}

describe('.npy arrays', () => {
  const dtypeFixtures = Object.keys(expected).filter((name) => name.startsWith('dtype-'));

  it.each(dtypeFixtures)('reads %s with the values numpy gives as float32', async (name) => {
    const array = await readNpyFile(fixture(name), name);
    expect(array.shape).toEqual(expectedOf(name).shape);
    expect([...array.values]).toEqual(expectedOf(name).values);
  });

  it.each(['version-2.npy', 'version-3.npy'])('reads the format version of %s', async (name) => {
    const array = await readNpyFile(fixture(name), name);
    expect([...array.values]).toEqual(expectedOf(name).values);
  });

  it.each(['fortran-2d.npy', 'fortran-3d.npy'])('transposes the Fortran-order %s into C order', async (name) => {
    const array = await readNpyFile(fixture(name), name);
    expect(array.shape).toEqual(expectedOf(name).shape);
    expect([...array.values]).toEqual(expectedOf(name).values);
  });

  it('keeps every dimension of a 4-D array', async () => {
    const array = await readNpyFile(fixture('images-x.npy'), 'images-x.npy');
    expect(array.shape).toEqual([6, 4, 3, 2]);
    expect([...array.values]).toEqual(expectedOf('images-x.npy').values);
  });

  it('gives the same values when the bytes arrive one at a time', () => {
    for (const name of ['dtype-f8-be.npy', 'fortran-3d.npy', 'dtype-f4-le.npy']) {
      const decoder = new NpyDecoder({ file: name });
      for (const byte of readFileSync(fixture(name))) decoder.push(new Uint8Array([byte]));
      expect([...decoder.finish().values]).toEqual(expectedOf(name).values);
    }
  });

  it('refuses float16, naming the type in its own words', async () => {
    const error = await failureOf(readNpyFile(fixture('unsupported-f2.npy'), 'half.npy'));
    expect(error.message).toBe('half.npy: the array holds float16 — expected float32/64, int8–64, uint8–64 or bool');
  });

  it('refuses complex numbers', async () => {
    const error = await failureOf(readNpyFile(fixture('unsupported-c8.npy'), 'complex.npy'));
    expect(error.message).toContain('the array holds complex numbers');
  });

  it('refuses a structured dtype', async () => {
    const error = await failureOf(readNpyFile(fixture('unsupported-structured.npy'), 'records.npy'));
    expect(error.message).toContain('structured dtype');
  });

  it('names the position of a NaN', async () => {
    const error = await failureOf(readNpyFile(fixture('nan.npy'), 'nan.npy'));
    expect(error.message).toBe('nan.npy: the value at [1, 0] is not a finite number (NaN or infinity)');
  });

  it('refuses a float64 value beyond the float32 range', async () => {
    const error = await failureOf(readNpyFile(fixture('too-big-for-f4.npy'), 'big.npy'));
    expect(error.message).toBe('big.npy: the value at [0, 1] is beyond the float32 range');
  });

  describe('malformed files fail with a DatasetError naming the file', () => {
    const good = (): Uint8Array => new Uint8Array(readFileSync(fixture('train-x.npy')));

    it('when the magic string is missing', async () => {
      const file = await tempFile('not-numpy.npy', 'a,b,y\n1,2,3\n');
      const error = await failureOf(readNpyFile(file, 'not-numpy.npy'));
      expect(error.message).toBe('not-numpy.npy: not a .npy array — the file does not start with the NumPy magic string');
    });

    it('when the file is truncated inside the data', async () => {
      const bytes = good();
      const file = await tempFile('truncated.npy', bytes.subarray(0, bytes.length - 5));
      const error = await failureOf(readNpyFile(file, 'truncated.npy'));
      expect(error.location.file).toBe('truncated.npy');
      expect(error.message).toContain('needs 120 bytes of data but the file holds 115 after its header');
    });

    it('when the file ends inside the header', async () => {
      const file = await tempFile('short.npy', good().subarray(0, 40));
      const error = await failureOf(readNpyFile(file, 'short.npy'));
      expect(error.message).toContain('short.npy: the header length (128 bytes with the preamble) runs past the end of the file (40 bytes)');
    });

    it('when the header length points past the end of the file', async () => {
      const bytes = good();
      new DataView(bytes.buffer).setUint16(8, 9000, true);
      const file = await tempFile('long-header.npy', bytes);
      const error = await failureOf(readNpyFile(file, 'long-header.npy'));
      expect(error.message).toContain('runs past the end of the file');
    });

    it('when the header claims more bytes than any real header needs', async () => {
      const bytes = good();
      bytes[6] = 2;
      const file = await tempFile('huge-header.npy', new Uint8Array([...bytes.subarray(0, 8), 0, 0, 0, 1, ...bytes.subarray(10)]));
      const error = await failureOf(readNpyFile(file, 'huge-header.npy'));
      expect(error.message).toContain('the header claims 16777216 bytes — at most 16384 are accepted');
    });

    it('when the shape needs more data than the file holds', async () => {
      const file = await tempFile('big-shape.npy', npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", new Uint8Array(8)));
      const error = await failureOf(readNpyFile(file, 'big-shape.npy'));
      expect(error.message).toContain('holds 1000000000000 values — at most 1073741824 are supported');
    });

    it('when the shape is larger than the data that follows', async () => {
      const file = await tempFile('short-data.npy', npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (10, 3), }", new Uint8Array(8)));
      const error = await failureOf(readNpyFile(file, 'short-data.npy'));
      expect(error.message).toBe('short-data.npy: the shape [10, 3] needs 120 bytes of data but the file holds 8 after its header');
    });

    it('when bytes follow the data that the shape does not account for', async () => {
      const file = await tempFile('long-data.npy', npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(12)));
      const error = await failureOf(readNpyFile(file, 'long-data.npy'));
      expect(error.message).toContain('holds 12 bytes after its header but the shape [1] needs only 4');
    });

    it('when the format version is unknown', async () => {
      const bytes = good();
      bytes[6] = 9;
      const file = await tempFile('version-9.npy', bytes);
      const error = await failureOf(readNpyFile(file, 'version-9.npy'));
      expect(error.message).toContain('unsupported .npy format version');
    });

    it('when the file is empty', async () => {
      const file = await tempFile('empty.npy', '');
      const error = await failureOf(readNpyFile(file, 'empty.npy'));
      expect(error.message).toContain('empty.npy: the data ends inside the .npy header');
    });

    it('when it cannot be read at all', async () => {
      const error = await failureOf(readNpyFile(path.join(directory, 'missing.npy'), 'missing.npy'));
      expect(error.message).toBe('missing.npy: cannot read the file (ENOENT)');
    });
  });

  describe('never quotes the header', () => {
    it('when the header has a key it does not know', async () => {
      const file = await tempFile('secret-key.npy', npyBytes(`{'descr': '<f4', '${SECRET}': 1, 'shape': (1,), }`, new Uint8Array(4)));
      const error = await failureOf(readNpyFile(file, 'secret-key.npy'));
      expect(error.message).toContain('the header is not a dict this reader understands');
      expect(error.message).not.toContain('hunter2');
    });

    it('when the dtype is one it does not know', async () => {
      const file = await tempFile('secret-dtype.npy', npyBytes(`{'descr': '${SECRET}', 'fortran_order': False, 'shape': (1,), }`, new Uint8Array(4)));
      const error = await failureOf(readNpyFile(file, 'secret-dtype.npy'));
      expect(error.message).toContain('the array holds an unrecognized dtype');
      expect(error.message).not.toContain('hunter2');
    });

    it('when a dimension is not a number', async () => {
      const file = await tempFile('secret-shape.npy', npyBytes(`{'descr': '<f4', 'fortran_order': False, 'shape': (${SECRET},), }`, new Uint8Array(4)));
      const error = await failureOf(readNpyFile(file, 'secret-shape.npy'));
      expect(error.message).not.toContain('hunter2');
    });
  });
});

describe('datasets from .npy files', () => {
  const pair = { trainX: fixture('train-x.npy'), trainY: fixture('train-y.npy') };

  it('loads x and y, and a separate validation pair, as float32 rows', async () => {
    const data = await loadNpyDataset({ ...pair, validationX: fixture('validation-x.npy'), validationY: fixture('validation-y.npy'), validationSplit: 0.2, standardize: false });
    expect(data.featureCount).toBe(3);
    expect(data.featureShape).toEqual([3]);
    expect(data.targetCount).toBe(1);
    expect(data.train.count).toBe(10);
    expect(data.validation.count).toBe(4);
    expect([...data.train.x]).toEqual(expectedOf('train-x.npy').values);
    expect([...data.validation.y]).toEqual(expectedOf('validation-y.npy').values);
  });

  it('holds out the last validationSplit of the samples when no validation pair is given', async () => {
    const data = await loadNpyDataset({ ...pair, validationSplit: 0.2, standardize: false });
    expect(data.train.count).toBe(8);
    expect(data.validation.count).toBe(2);
    expect([...data.validation.x]).toEqual(expectedOf('train-x.npy').values.slice(8 * 3));
    expect([...data.validation.y]).toEqual(expectedOf('train-y.npy').values.slice(8));
  });

  it('flattens each image into features, keeps its shape, and reads one-hot y as several targets', async () => {
    const data = await loadNpyDataset({ trainX: fixture('images-x.npy'), trainY: fixture('images-y.npy'), validationSplit: 0.5, standardize: false });
    expect(data.featureShape).toEqual([4, 3, 2]);
    expect(data.featureCount).toBe(24);
    expect(data.targetCount).toBe(3);
    expect(data.train.x).toHaveLength(3 * 24);
    expect([...data.validation.y]).toEqual(expectedOf('images-y.npy').values.slice(3 * 3));
  });

  it('standardizes both parts with the training x statistics', async () => {
    const data = await loadNpyDataset({ ...pair, validationX: fixture('validation-x.npy'), validationY: fixture('validation-y.npy'), validationSplit: 0.2, standardize: true });
    const column = expectedOf('train-x.npy').values.filter((_, i) => i % 3 === 0);
    const mean = column.reduce((sum, v) => sum + v, 0) / column.length;
    const std = Math.sqrt(column.reduce((sum, v) => sum + (v - mean) ** 2, 0) / column.length);
    expect(data.train.x[0]).toBeCloseTo(((column[0] ?? 0) - mean) / std, 5);
    expect(data.validation.x[0]).toBeCloseTo(((expectedOf('validation-x.npy').values[0] ?? 0) - mean) / std, 5);
    expect([...data.train.y]).toEqual(expectedOf('train-y.npy').values);
  });

  it('refuses x and y with different numbers of samples', async () => {
    const error = await failureOf(loadNpyDataset({ trainX: fixture('train-x.npy'), trainY: fixture('validation-y.npy'), validationSplit: 0.2, standardize: false }));
    expect(error.message).toContain('y has 4 samples (shape [4]) but x has 10 (shape [10, 3])');
    expect(error.location.file).toBe(fixture('validation-y.npy'));
  });

  it('refuses a validation x whose samples have another shape than the training x', async () => {
    const error = await failureOf(
      loadNpyDataset({ ...pair, validationX: fixture('images-x.npy'), validationY: fixture('images-y.npy'), validationSplit: 0.2, standardize: false }, { validationX: 'data/val-x.npy' }),
    );
    expect(error.message).toBe("data/val-x.npy: each sample has shape [4, 3, 2] but the training x's samples have [3]");
  });

  it('refuses a y of more than two dimensions', async () => {
    const error = await failureOf(loadNpyDataset({ trainX: fixture('images-x.npy'), trainY: fixture('images-x.npy'), validationSplit: 0.5, standardize: false }));
    expect(error.message).toContain('y has shape [6, 4, 3, 2] — expected [n] or [n, k]');
  });

  it('refuses a single number as x', async () => {
    const error = await failureOf(loadNpyDataset({ trainX: fixture('scalar.npy'), trainY: fixture('train-y.npy'), validationSplit: 0.2, standardize: false }));
    expect(error.message).toContain('x is a single number (shape [])');
  });

  it('refuses a validation x without a validation y', async () => {
    const error = await failureOf(loadNpyDataset({ ...pair, validationX: fixture('validation-x.npy'), validationSplit: 0.2, standardize: false }));
    expect(error.message).toContain('validation x and y must be given together');
  });

  it('names files by their display names when given', async () => {
    const error = await failureOf(loadNpyDataset({ trainX: path.join(directory, 'cache-blob-1'), trainY: fixture('train-y.npy'), validationSplit: 0.2, standardize: false }, { trainX: 'data/x.npy' }));
    expect(error.message).toBe('data/x.npy: cannot read the file (ENOENT)');
  });
});

describe('.npz archives', () => {
  it('reads x and y from an np.savez archive, skipping its other arrays', async () => {
    const arrays = await readNpzArrays(fixture('train.npz'), 'train.npz', ['x', 'y']);
    expect([...(arrays.get('x')?.values ?? [])]).toEqual(expectedOf('train-x.npy').values);
    expect([...(arrays.get('y')?.values ?? [])]).toEqual(expectedOf('train-y.npy').values);
  });

  it('reads x and y from an np.savez_compressed archive', async () => {
    const arrays = await readNpzArrays(fixture('validation.npz'), 'validation.npz', ['x', 'y']);
    expect(arrays.get('x')?.shape).toEqual([4, 3]);
    expect([...(arrays.get('y')?.values ?? [])]).toEqual(expectedOf('validation-y.npy').values);
  });

  it('loads a dataset from a training and a validation archive', async () => {
    const data = await loadNpzDataset({ train: fixture('train.npz'), validation: fixture('validation.npz'), x: 'x', y: 'y', validationSplit: 0.2, standardize: false });
    expect(data.train.count).toBe(10);
    expect(data.validation.count).toBe(4);
    expect([...data.validation.x]).toEqual(expectedOf('validation-x.npy').values);
  });

  it('holds out the last validationSplit of the samples without a validation archive', async () => {
    const data = await loadNpzDataset({ train: fixture('images.npz'), x: 'x', y: 'y', validationSplit: 0.5, standardize: false });
    expect(data.featureShape).toEqual([4, 3, 2]);
    expect(data.train.count).toBe(3);
    expect([...data.train.x]).toEqual(expectedOf('images-x.npy').values.slice(0, 3 * 24));
  });

  it('reads the arrays under the keys the caller names', async () => {
    const data = await loadNpzDataset({ train: fixture('named.npz'), x: 'features', y: 'target', validationSplit: 0.3, standardize: false });
    expect(data.targetCount).toBe(2);
    expect([...data.train.y]).toEqual(expectedOf('named.npz:target').values.slice(0, 7 * 2));
  });

  it('names the missing key, and not the keys the archive holds', async () => {
    const error = await failureOf(loadNpzDataset({ train: fixture('train.npz'), x: 'x', y: 'labels', validationSplit: 0.2, standardize: false }, { train: 'data/train.npz' }));
    expect(error.message).toBe('data/train.npz: no array named "labels" in the archive (expected an entry "labels.npy", as np.savez writes)');
  });

  it('refuses a file that is not a zip archive', async () => {
    const error = await failureOf(readNpzArrays(fixture('train-x.npy'), 'train-x.npy', ['x']));
    expect(error.message).toBe('train-x.npy: not an .npz archive — the file does not start like a zip file');
  });

  it('refuses an archive truncated inside an entry', async () => {
    const bytes = readFileSync(fixture('train.npz'));
    const file = await tempFile('truncated.npz', bytes.subarray(0, 300));
    const error = await failureOf(readNpzArrays(file, 'truncated.npz', ['x', 'y']));
    expect(error.message).toBe('truncated.npz: not a valid zip archive — the .npz is corrupt or truncated');
  });

  it('says an archive cut off between entries is truncated, not that the array is missing', async () => {
    const bytes = readFileSync(fixture('validation.npz'));
    const file = await tempFile('cut.npz', bytes.subarray(0, 200));
    const error = await failureOf(readNpzArrays(file, 'cut.npz', ['x', 'y']));
    expect(error.message).toBe('cut.npz: the archive ends before its directory — the file is truncated');
  });

  it('refuses an archive whose compressed data is corrupt', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('validation.npz')));
    for (let i = 60; i < 120; i++) bytes[i] = 0xff;
    const file = await tempFile('corrupt.npz', bytes);
    const error = await failureOf(readNpzArrays(file, 'corrupt.npz', ['x', 'y']));
    expect(error.location.file).toBe('corrupt.npz');
  });

  it('refuses an empty file', async () => {
    const file = await tempFile('empty.npz', '');
    const error = await failureOf(readNpzArrays(file, 'empty.npz', ['x']));
    expect(error.message).toBe('empty.npz: the file is empty — expected an .npz archive');
  });

  it('refuses x and y that name the same array', async () => {
    const error = await failureOf(loadNpzDataset({ train: fixture('train.npz'), x: 'x', y: 'x', validationSplit: 0.2, standardize: false }));
    expect(error.message).toContain('x and y name the same array "x"');
  });

  it('never quotes the names of the entries it holds', async () => {
    const file = await tempFile('secret.npz', zipSync({ [`${SECRET}.npy`]: readFileSync(fixture('train-x.npy')) }));
    const error = await failureOf(readNpzArrays(file, 'secret.npz', ['x']));
    expect(error.message).not.toContain('hunter2');
  });

  it('names the array and the file when an entry is not a valid .npy', async () => {
    const file = await tempFile('bad-entry.npz', zipSync({ 'x.npy': new TextEncoder().encode(SECRET) }));
    const error = await failureOf(readNpzArrays(file, 'bad-entry.npz', ['x']));
    expect(error.message).toBe('bad-entry.npz: array "x": not a .npy array — the file does not start with the NumPy magic string');
  });
});
