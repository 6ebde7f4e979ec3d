// CSV datasets: a header row, then numeric rows; one named column is the target, every other
// column a feature. Quoting is limited to a field wholly wrapped in double quotes (no commas inside).
import { readFile } from 'node:fs/promises';
import { fileRefDisplayName } from '../../artifacts/file-ref.js';
import { clientFileResolver, type FileResolver } from '../../artifacts/file-resolver.js';
import type { DatasetSpec } from '../../trial/types.js';
import { DatasetError } from './dataset-error.js';
import type { DatasetSplit, LoadedDataset } from './loaded-dataset.js';

export type CsvDatasetSpec = Extract<DatasetSpec, { kind: 'csv' }>;

export interface CsvTable {
  readonly featureNames: readonly string[];
  readonly split: DatasetSplit;
}

function fields(line: string): string[] {
  return line.split(',').map((field) => {
    const trimmed = field.trim();
    return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1).trim() : trimmed;
  });
}

/**
 * Parses one CSV file's text. `featureNames` fixes the feature columns and their order (the
 * validation file is read with the training file's); without it, every non-target column in
 * header order. Line numbers in errors are 1-based, as editors show them.
 */
export function parseCsv(text: string, file: string, target: string, featureNames?: readonly string[]): CsvTable {
  const lines = text.split(/\r?\n/);
  // Trailing empty lines are the file's final newline(s), not blank rows.
  while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
  const headerLine = lines[0];
  if (headerLine === undefined) throw new DatasetError('the file is empty — expected a header row', { file, line: 1 });
  const header = fields(headerLine);
  header.forEach((name, index) => {
    if (name === '') throw new DatasetError(`header column ${index + 1} has no name`, { file, line: 1 });
    if (header.indexOf(name) !== index) throw new DatasetError(`header column ${index + 1} repeats the name of column ${header.indexOf(name) + 1}`, { file, line: 1 });
  });
  const targetIndex = header.indexOf(target);
  if (targetIndex < 0) {
    // The header's names are the file's content: say how many there are, never what they say.
    throw new DatasetError(`the target column "${target}" (named by the spec) is not among the header's ${header.length} columns`, { file, line: 1 });
  }
  const features = featureNames ?? header.filter((name) => name !== target);
  if (features.length === 0) throw new DatasetError(`no feature columns besides the target "${target}"`, { file, line: 1 });
  const featureIndices = features.map((name, j) => {
    const index = header.indexOf(name);
    if (index < 0) throw new DatasetError(`feature ${j + 1} of the training file is missing from the header`, { file, line: 1 });
    return index;
  });

  const count = lines.length - 1;
  if (count === 0) throw new DatasetError('no data rows after the header', { file, line: 2 });
  const x = new Float32Array(count * features.length);
  const y = new Float32Array(count);
  for (let row = 0; row < count; row++) {
    const line = row + 2;
    const text = lines[row + 1] ?? '';
    if (text.trim() === '') throw new DatasetError(`blank row — expected ${header.length} values`, { file, line });
    const values = fields(text);
    if (values.length < header.length) {
      throw new DatasetError(`missing value: the row has ${values.length} of ${header.length} columns`, {
        file,
        line,
        column: values.length + 1,
      });
    }
    if (values.length > header.length) {
      throw new DatasetError(`the row has ${values.length} values but the header names ${header.length} columns`, { file, line });
    }
    const numberAt = (index: number): number => {
      const raw = values[index] ?? '';
      const value = raw === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(value)) {
        throw new DatasetError(raw === '' ? 'empty value — expected a number' : 'not a finite number — expected a number', { file, line, column: index + 1 });
      }
      return value;
    };
    featureIndices.forEach((index, j) => {
      x[row * features.length + j] = numberAt(index);
    });
    y[row] = numberAt(targetIndex);
  }
  return { featureNames: features, split: { count, x, y } };
}

/** Reads `path`; errors name `file` (the display name), never the path a cache keeps it under. */
async function readText(path: string, file: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
    throw new DatasetError(`cannot read the file (${code})`, { file });
  }
}

/** Per-feature mean and std of row-major `x` (a constant column gets std 1: it is only centred). */
export function featureStatistics(x: Float32Array, featureCount: number): { mean: Float64Array; std: Float64Array } {
  const rows = x.length / featureCount;
  const mean = new Float64Array(featureCount);
  const std = new Float64Array(featureCount);
  for (let i = 0; i < x.length; i++) {
    const j = i % featureCount;
    mean[j] = (mean[j] ?? 0) + (x[i] ?? 0) / rows;
  }
  for (let i = 0; i < x.length; i++) {
    const j = i % featureCount;
    std[j] = (std[j] ?? 0) + ((x[i] ?? 0) - (mean[j] ?? 0)) ** 2 / rows;
  }
  for (let j = 0; j < featureCount; j++) std[j] = Math.sqrt(std[j] ?? 0) || 1;
  return { mean, std };
}

/** z-scores `x` in place with statistics taken from the training split only (no leakage). */
function standardize(x: Float32Array, featureCount: number, stats: { mean: Float64Array; std: Float64Array }): void {
  for (let i = 0; i < x.length; i++) {
    const j = i % featureCount;
    x[i] = ((x[i] ?? 0) - (stats.mean[j] ?? 0)) / (stats.std[j] ?? 1);
  }
}

export async function loadCsvDataset(spec: CsvDatasetSpec, files: FileResolver = clientFileResolver): Promise<LoadedDataset> {
  const trainFile = fileRefDisplayName(spec.train);
  const validationFile = fileRefDisplayName(spec.validation);
  const trainPath = files.localPath(spec.train, 'workload.dataset.train');
  const validationPath = files.localPath(spec.validation, 'workload.dataset.validation');
  const [trainText, validationText] = await Promise.all([readText(trainPath, trainFile), readText(validationPath, validationFile)]);
  const train = parseCsv(trainText, trainFile, spec.target);
  const validation = parseCsv(validationText, validationFile, spec.target, train.featureNames);
  const featureCount = train.featureNames.length;
  if (spec.standardize) {
    const stats = featureStatistics(train.split.x, featureCount);
    standardize(train.split.x, featureCount, stats);
    standardize(validation.split.x, featureCount, stats);
  }
  return {
    featureCount,
    targetCount: 1,
    featureNames: train.featureNames,
    train: train.split,
    validation: validation.split,
  };
}
