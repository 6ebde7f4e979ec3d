import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/train/datasets/csv.js';
import { DatasetError } from '../../src/train/datasets/dataset-error.js';
import { clearDatasetCache, loadDataset } from '../../src/train/datasets/load-dataset.js';
import type { DatasetSpec } from '../../src/trial/types.js';
import type { FileRef } from '../../src/artifacts/file-ref.js';

const local = (file: string): FileRef => ({ kind: 'local', path: file });

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'csv');

const regression: DatasetSpec = { kind: 'synthetic-regression', samples: 200, features: 3, noise: 0.1, seed: 1, validationSplit: 0.2 };
const spirals: DatasetSpec = { kind: 'two-spirals', samples: 100, noise: 0.02, seed: 1, validationSplit: 0.3 };

describe('synthetic-regression', () => {
  it('splits like Keras validation_split: the last fraction is validation', async () => {
    const data = await loadDataset(regression);
    expect(data.train.count).toBe(160);
    expect(data.validation.count).toBe(40);
    expect(data.featureCount).toBe(3);
    expect(data.train.x).toHaveLength(160 * 3);
    expect(data.validation.y).toHaveLength(40);
  });

  it('is the same for the same seed and different for another seed', async () => {
    clearDatasetCache();
    const a = await loadDataset(regression);
    clearDatasetCache();
    const b = await loadDataset(regression);
    const c = await loadDataset({ ...regression, seed: 2 });
    expect(b.train.y).toEqual(a.train.y);
    expect(c.train.y).not.toEqual(a.train.y);
  });

  it('has a target that a linear model cannot fully explain', async () => {
    // Fit y on x by least squares (normal equations) and check a clear nonlinear residual remains.
    const data = await loadDataset({ ...regression, samples: 4000, noise: 0 });
    const { x, y, count } = data.train;
    const f = data.featureCount;
    const xtx = Array.from({ length: f + 1 }, () => new Array<number>(f + 1).fill(0));
    const xty = new Array<number>(f + 1).fill(0);
    for (let i = 0; i < count; i++) {
      const row = [...x.subarray(i * f, (i + 1) * f), 1];
      for (let j = 0; j <= f; j++) {
        xty[j] = (xty[j] ?? 0) + (row[j] ?? 0) * (y[i] ?? 0);
        for (let k = 0; k <= f; k++) xtx[j]![k] = (xtx[j]![k] ?? 0) + (row[j] ?? 0) * (row[k] ?? 0);
      }
    }
    // Gauss–Jordan on the small system.
    const m = xtx.map((row, j) => [...row, xty[j] ?? 0]);
    for (let col = 0; col <= f; col++) {
      const pivot = m[col]![col]!;
      for (let k = col; k <= f + 1; k++) m[col]![k]! /= pivot;
      for (let r = 0; r <= f; r++) {
        if (r === col) continue;
        const factor = m[r]![col]!;
        for (let k = col; k <= f + 1; k++) m[r]![k]! -= factor * m[col]![k]!;
      }
    }
    const beta = m.map((row) => row[f + 1] ?? 0);
    let residual = 0;
    let total = 0;
    const mean = y.reduce((s, v) => s + v, 0) / count;
    for (let i = 0; i < count; i++) {
      let prediction = beta[f] ?? 0;
      for (let j = 0; j < f; j++) prediction += (beta[j] ?? 0) * (x[i * f + j] ?? 0);
      residual += ((y[i] ?? 0) - prediction) ** 2;
      total += ((y[i] ?? 0) - mean) ** 2;
    }
    const unexplained = residual / total;
    expect(unexplained).toBeGreaterThan(0.1);
    expect(unexplained).toBeLessThan(0.6);
  });

  it('refuses a split that leaves no training rows', async () => {
    await expect(loadDataset({ ...regression, samples: 4, validationSplit: 0.9 })).rejects.toBeInstanceOf(DatasetError);
  });
});

describe('two-spirals', () => {
  it('has two features and balanced 0/1 labels in both parts', async () => {
    const data = await loadDataset(spirals);
    expect(data.featureCount).toBe(2);
    for (const split of [data.train, data.validation]) {
      const ones = split.y.reduce((sum, label) => sum + label, 0);
      expect([...new Set(split.y)].sort()).toEqual([0, 1]);
      expect(Math.abs(ones - split.count / 2)).toBeLessThanOrEqual(1);
    }
  });

  it('is the same for the same seed', async () => {
    clearDatasetCache();
    const a = await loadDataset(spirals);
    clearDatasetCache();
    const b = await loadDataset(spirals);
    expect(b.train.x).toEqual(a.train.x);
  });
});

describe('loadDataset cache', () => {
  it('returns the same arrays for an equal spec, whatever its key order', async () => {
    clearDatasetCache();
    const a = await loadDataset(regression);
    const reordered: DatasetSpec = { validationSplit: 0.2, seed: 1, noise: 0.1, features: 3, samples: 200, kind: 'synthetic-regression' };
    const b = await loadDataset(reordered);
    expect(b).toBe(a);
  });
});

describe('csv', () => {
  let directory = '';
  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'plateau-csv-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function csvFile(name: string, text: string): Promise<string> {
    const file = path.join(directory, name);
    await writeFile(file, text);
    return file;
  }

  async function loadError(trainText: string): Promise<DatasetError> {
    const train = await csvFile(`train-${Math.abs(hash(trainText))}.csv`, trainText);
    const validation = await csvFile('validation.csv', 'a,b,y\n1,2,3\n');
    const error: unknown = await loadDataset({ kind: 'csv', train: local(train), validation: local(validation), target: 'y', standardize: false }).catch((e: unknown) => e);
    if (!(error instanceof DatasetError)) throw new Error(`expected a DatasetError, got ${String(error)}`);
    return error;
  }

  it('loads features (every non-target column) and the named target', async () => {
    const data = await loadDataset({
      kind: 'csv',
      train: local(path.join(fixtures, 'tiny-train.csv')),
      validation: local(path.join(fixtures, 'tiny-validation.csv')),
      target: 'price',
      standardize: false,
    });
    expect(data.featureNames).toEqual(['a', 'b', 'c']);
    expect(data.train.count).toBe(48);
    expect(data.validation.count).toBe(16);
    expect(data.train.x[0]).toBeCloseTo(-0.5241, 6);
    expect(data.train.x[2]).toBeCloseTo(-0.2601, 6);
    expect(data.train.y[0]).toBeCloseTo(-0.4093, 6);
  });

  it('standardizes both files with the training file\'s mean and std when asked', async () => {
    const train = await csvFile('std-train.csv', 'a,b,y\n1,10,0\n3,10,0\n');
    const validation = await csvFile('std-validation.csv', 'a,b,y\n5,12,0\n');
    const data = await loadDataset({ kind: 'csv', train: local(train), validation: local(validation), target: 'y', standardize: true });
    // a: mean 2, std 1; b: constant 10 (std 0 → only centred).
    expect([...data.train.x]).toEqual([-1, 0, 1, 0]);
    expect([...data.validation.x]).toEqual([3, 2]);
    expect([...data.train.y]).toEqual([0, 0]);
  });

  it('reads validation columns by name, in the training file\'s order', () => {
    const table = parseCsv('y,b,a\n3,2,1\n', 'v.csv', 'y', ['a', 'b']);
    expect([...table.split.x]).toEqual([1, 2]);
    expect([...table.split.y]).toEqual([3]);
  });

  it('names file, line and column for a non-numeric value', async () => {
    const error = await loadError('a,b,y\n1,2,3\n4,five,6\n');
    expect(error.message).toMatch(/train-\d+\.csv:3: column 2: not a finite number/);
    expect(error.message).not.toContain('five');
    expect(error.location.line).toBe(3);
    expect(error.location.column).toBe(2);
  });

  it('names file, line and the first missing column for a short row', async () => {
    const error = await loadError('a,b,y\n1,2,3\n4,5\n');
    expect(error.location).toMatchObject({ line: 3, column: 3 });
    expect(error.message).toContain(':3: column 3: missing value');
  });

  it('names file and line for a blank row between data rows', async () => {
    const error = await loadError('a,b,y\n1,2,3\n\n4,5,6\n');
    expect(error.location.line).toBe(3);
    expect(error.message).toContain(':3: blank row');
  });

  it('names the column of an empty value', async () => {
    const error = await loadError('a,b,y\n1,,3\n');
    expect(error.location).toMatchObject({ line: 2, column: 2 });
  });

  it('refuses a target column that the header does not name', async () => {
    const error = await loadError('a,b,z\n1,2,3\n');
    expect(error.location.line).toBe(1);
    expect(error.message).toContain('the target column "y" (named by the spec) is not among the header\'s 3 columns');
    // The header is the file's content: never echoed (a spec could name /proc/self/environ).
    expect(error.message).not.toMatch(/\ba\b.*\bz\b/);
  });

  it('accepts a final newline and Windows line endings', () => {
    const table = parseCsv('a,y\r\n1,2\r\n3,4\r\n\r\n', 'w.csv', 'y');
    expect(table.split.count).toBe(2);
  });

  it('reads a quoted field that holds a comma', () => {
    const table = parseCsv('"a,1",y\n"15",2\n', 'q.csv', 'y');
    expect(table.featureNames).toEqual(['a,1']);
    expect([...table.split.x]).toEqual([15]);
  });

  it('reads a quoted header name with escaped double quotes', () => {
    const table = parseCsv('"say ""hi""",y\n1,2\n', 'q.csv', 'y');
    expect(table.featureNames).toEqual(['say "hi"']);
    expect([...table.split.x]).toEqual([1]);
  });

  it('skips a UTF-8 byte order mark before the header', async () => {
    const train = await csvFile('bom-train.csv', '\ufeffa,y\r\n1,2\r\n');
    const validation = await csvFile('bom-validation.csv', '\ufeffa,y\n3,4\n');
    const data = await loadDataset({ kind: 'csv', train: local(train), validation: local(validation), target: 'y', standardize: false });
    expect(data.featureNames).toEqual(['a']);
    expect([...data.validation.y]).toEqual([4]);
  });

  it('ignores several blank lines at the end of the file', () => {
    const table = parseCsv('a,y\n1,2\n\n  \n\n', 't.csv', 'y');
    expect(table.split.count).toBe(1);
  });

  it('numbers lines from where a row starts when a quoted field spans lines', () => {
    let caught: unknown;
    try {
      parseCsv('a,y\n"1\n2",3\n4,x\n', 'm.csv', 'y');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DatasetError);
    // The first data row spans lines 2–3 (and its field is not a number): reported at line 2.
    expect((caught as DatasetError).location).toMatchObject({ line: 2, column: 1 });
  });

  it('numbers the lines after a quoted field with a Windows line break inside it', () => {
    let caught: unknown;
    try {
      parseCsv('a,y\r\n"1\r\n",3\r\n4,x\r\n', 'm.csv', 'y');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DatasetError);
    expect((caught as DatasetError).location).toMatchObject({ line: 4, column: 2 });
  });

  it('names the line of a quoted field that is never closed', async () => {
    const error = await loadError('a,b,y\n1,2,3\n"4,5,6\n');
    expect(error.message).toContain('a quoted field is never closed');
    expect(error.location.line).toBe(3);
  });

  it('streams a file larger than one read chunk, row by row, without losing a row at a chunk boundary', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i},${i * 0.5},"${-i}"`);
    const train = await csvFile('big-train.csv', `a,b,y\n${rows.join('\n')}\n`);
    const validation = await csvFile('big-validation.csv', 'a,b,y\n1,2,3\n');
    const data = await loadDataset({ kind: 'csv', train: local(train), validation: local(validation), target: 'y', standardize: false });
    expect(data.train.count).toBe(20_000);
    expect(data.train.x[2 * 12_345]).toBe(12_345);
    expect(data.train.x[2 * 12_345 + 1]).toBe(12_345 * 0.5);
    expect(data.train.y[19_999]).toBe(-19_999);
  });

  describe('never echoes what it read from the file', () => {
    const secret = 'AWS_SECRET_ACCESS_KEY=hunter2';

    async function errorFor(trainText: string, validationText = 'a,b,y\n1,2,3\n'): Promise<DatasetError> {
      const train = await csvFile(`secret-train-${Math.abs(hash(trainText))}.csv`, trainText);
      const validation = await csvFile(`secret-validation-${Math.abs(hash(validationText))}.csv`, validationText);
      const error: unknown = await loadDataset({ kind: 'csv', train: local(train), validation: local(validation), target: 'y', standardize: false }).catch((e: unknown) => e);
      if (!(error instanceof DatasetError)) throw new Error(`expected a DatasetError, got ${String(error)}`);
      return error;
    }

    it('when the target column is missing from a header full of secrets', async () => {
      const error = await errorFor(`${secret},HOME=/root\n1,2\n`);
      expect(error.message).toContain('the target column "y" (named by the spec) is not among the header\'s 2 columns');
      expect(error.message).not.toContain('hunter2');
    });

    it('when a value is not a number', async () => {
      const error = await errorFor(`a,b,y\n1,${secret},3\n`);
      expect(error.location).toMatchObject({ line: 2, column: 2 });
      expect(error.message).not.toContain('hunter2');
    });

    it('when the header names a column twice', async () => {
      const error = await errorFor(`${secret},${secret},y\n1,2,3\n`);
      expect(error.message).toContain('header column 2 repeats the name of column 1');
      expect(error.message).not.toContain('hunter2');
    });

    it('when the validation file lacks a training feature', async () => {
      const error = await errorFor(`${secret},b,y\n1,2,3\n`, 'a,b,y\n1,2,3\n');
      expect(error.message).toContain('feature 1 of the training file is missing from the header');
      expect(error.message).not.toContain('hunter2');
    });

    it('when a quoted field has text after its closing quote', async () => {
      const error = await errorFor(`a,b,y\n1,"2"${secret},3\n`);
      expect(error.location.line).toBe(2);
      expect(error.message).not.toContain('hunter2');
    });

    it('when the file is not a CSV at all but one huge line of NUL-separated text', async () => {
      const environ = `${secret}\0`.repeat(4096);
      const error = await errorFor(environ);
      expect(error.message).not.toContain('hunter2');
    });
  });

  it('says which file it cannot read', async () => {
    const missing = path.join(directory, 'nope.csv');
    const error: unknown = await loadDataset({ kind: 'csv', train: local(missing), validation: local(missing), target: 'y', standardize: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(String(error)).toContain('nope.csv');
  });
});

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}
