// CSV datasets: a header row, then numeric rows; one named column is the target, every other
// column a feature. Parsed by csv-parse (RFC 4180 quoting, a UTF-8 BOM, CRLF or LF), streamed
// from the file so a large one is never held as text. Errors name the file, line and column
// number, never the text they found (see dataset-error.ts).
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse, type Options } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { fileRefDisplayName } from '../../artifacts/file-ref.js';
import { clientFileResolver, type FileResolver } from '../../artifacts/file-resolver.js';
import type { DatasetSpec } from '../../trial/types.js';
import { DatasetError } from './dataset-error.js';
import { readFailure } from './file-read-error.js';
import type { DatasetSplit, LoadedDataset } from './loaded-dataset.js';
import { featureStatistics, standardizeInPlace } from './standardize.js';

export type CsvDatasetSpec = Extract<DatasetSpec, { kind: 'csv' }>;

export interface CsvTable {
  readonly featureNames: readonly string[];
  readonly split: DatasetSplit;
}

/** Longest record accepted (characters): bounds memory on a file that is not a CSV at all. */
export const MAX_CSV_RECORD_CHARS = 8 * 1024 * 1024;

const CSV_OPTIONS: Options = {
  bom: true,
  // Rows of the wrong width are reported by the table itself, with the column that is missing.
  relax_column_count: true,
  // Blank lines arrive as a one-empty-field record: blank rows inside the data are an error.
  skip_empty_lines: false,
  trim: true,
  max_record_size: MAX_CSV_RECORD_CHARS,
};

/** A Float32Array that doubles when full, so rows are stored as they stream in. */
class GrowingFloats {
  private values = new Float32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const larger = new Float32Array(this.values.length * 2);
      larger.set(this.values);
      this.values = larger;
    }
    this.values[this.length++] = value;
  }

  toArray(): Float32Array {
    return this.values.slice(0, this.length);
  }
}

/**
 * Builds a table from CSV records given one at a time with the line each starts on. The first
 * non-blank record is the header. `featureNames` fixes the feature columns and their order (the
 * validation file is read with the training file's); without it, every non-target column.
 */
class CsvTableBuilder {
  private header: readonly string[] | undefined;
  private features: readonly string[] = [];
  private featureIndices: readonly number[] = [];
  private targetIndex = -1;
  /** Line of the first blank record not yet followed by a non-blank one (trailing blanks are fine). */
  private pendingBlankLine: number | undefined;
  private readonly x = new GrowingFloats();
  private readonly y = new GrowingFloats();
  private count = 0;

  constructor(
    private readonly file: string,
    private readonly target: string,
    private readonly featureNames?: readonly string[],
  ) {}

  add(fields: readonly string[], line: number): void {
    if (fields.length === 1 && fields[0] === '') {
      this.pendingBlankLine ??= line;
      return;
    }
    if (this.pendingBlankLine !== undefined) {
      const blankLine = this.pendingBlankLine;
      if (this.header === undefined) throw new DatasetError('blank header row — expected column names', { file: this.file, line: blankLine });
      throw new DatasetError(`blank row — expected ${this.header.length} values`, { file: this.file, line: blankLine });
    }
    if (this.header === undefined) this.readHeader(fields, line);
    else this.readRow(fields, line);
  }

  finish(): CsvTable {
    if (this.header === undefined) throw new DatasetError('the file is empty — expected a header row', { file: this.file, line: 1 });
    if (this.count === 0) throw new DatasetError('no data rows after the header', { file: this.file, line: 2 });
    return { featureNames: this.features, split: { count: this.count, x: this.x.toArray(), y: this.y.toArray() } };
  }

  private readHeader(header: readonly string[], line: number): void {
    const file = this.file;
    header.forEach((name, index) => {
      if (name === '') throw new DatasetError(`header column ${index + 1} has no name`, { file, line, column: index + 1 });
      const first = header.indexOf(name);
      if (first !== index) throw new DatasetError(`header column ${index + 1} repeats the name of column ${first + 1}`, { file, line, column: index + 1 });
    });
    this.targetIndex = header.indexOf(this.target);
    if (this.targetIndex < 0) {
      // The header's names are the file's content: say how many there are, never what they say.
      throw new DatasetError(`the target column "${this.target}" (named by the spec) is not among the header's ${header.length} columns`, { file, line });
    }
    this.features = this.featureNames ?? header.filter((name) => name !== this.target);
    if (this.features.length === 0) throw new DatasetError(`no feature columns besides the target "${this.target}"`, { file, line });
    this.featureIndices = this.features.map((name, j) => {
      const index = header.indexOf(name);
      if (index < 0) {
        throw new DatasetError(`feature ${j + 1} of the training file is missing from the header`, { file, line });
      }
      return index;
    });
    this.header = header;
  }

  private readRow(values: readonly string[], line: number): void {
    const file = this.file;
    const columns = this.header?.length ?? 0;
    if (values.length < columns) {
      throw new DatasetError(`missing value: the row has ${values.length} of ${columns} columns`, { file, line, column: values.length + 1 });
    }
    if (values.length > columns) throw new DatasetError(`the row has ${values.length} values but the header names ${columns} columns`, { file, line });
    const numberAt = (index: number): number => {
      const raw = values[index] ?? '';
      if (raw === '') throw new DatasetError('empty value — expected a number', { file, line, column: index + 1 });
      const value = Number(raw);
      if (!Number.isFinite(value)) throw new DatasetError('not a finite number — expected a number', { file, line, column: index + 1 });
      return value;
    };
    for (const index of this.featureIndices) this.x.push(numberAt(index));
    this.y.push(numberAt(this.targetIndex));
    this.count++;
  }
}

/** Line breaks inside a record's fields: only a quoted field can hold one. */
function lineBreaksIn(fields: readonly string[]): number {
  let breaks = 0;
  for (const field of fields) {
    if (!field.includes('\n') && !field.includes('\r')) continue;
    breaks += field.match(/\r\n|\r|\n/g)?.length ?? 0;
  }
  return breaks;
}

/**
 * Feeds one csv-parse record to the builder with the line it starts on, and returns the line
 * after it. Counted here rather than with csv-parse's `info` option, which copies an object per
 * record and makes parsing about four times slower.
 */
function feed(builder: CsvTableBuilder, item: unknown, line: number): number {
  if (!Array.isArray(item)) throw new Error('csv-parse returned a record that is not an array');
  const fields = item.map(String);
  builder.add(fields, line);
  return line + 1 + lineBreaksIn(fields);
}

const PARSE_FAILURES: Readonly<Record<string, string>> = {
  CSV_INVALID_CLOSING_QUOTE: 'a quoted field goes on after its closing quote — expected a comma or the end of the line',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a quoted field goes on after its closing quote — expected a comma or the end of the line',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed — expected a closing double quote',
  CSV_MAX_RECORD_SIZE: `a row longer than ${MAX_CSV_RECORD_CHARS} characters — is this a CSV file?`,
};

/** Maps a read or parse failure to a DatasetError; its own message is dropped (it may quote the file). */
function datasetErrorOf(error: unknown, file: string): DatasetError {
  const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
  if (error instanceof DatasetError || !code.startsWith('CSV_')) return readFailure(error, file);
  const line = error instanceof Error && 'lines' in error && typeof error.lines === 'number' ? error.lines : undefined;
  const reason = PARSE_FAILURES[code] ?? `not a CSV file this reader understands (${code})`;
  return new DatasetError(reason, line === undefined ? { file } : { file, line });
}

/**
 * Parses one CSV file's text already in memory (tests, small inputs). `featureNames` fixes the
 * feature columns and their order; without it, every non-target column in header order.
 */
export function parseCsv(text: string, file: string, target: string, featureNames?: readonly string[]): CsvTable {
  const builder = new CsvTableBuilder(file, target, featureNames);
  try {
    let line = 1;
    for (const item of parseSync(text, CSV_OPTIONS) as unknown[]) line = feed(builder, item, line);
  } catch (error) {
    throw datasetErrorOf(error, file);
  }
  return builder.finish();
}

/** Streams one CSV file from `path` into a table; errors name `displayName`. */
export async function readCsvFile(path: string, displayName: string, target: string, featureNames?: readonly string[]): Promise<CsvTable> {
  const builder = new CsvTableBuilder(displayName, target, featureNames);
  let line = 1;
  // A Writable sink rather than `for await`: a promise per record would double the parse time.
  const rows = new Writable({
    objectMode: true,
    write(item: unknown, _encoding, done): void {
      try {
        line = feed(builder, item, line);
        done();
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)));
      }
    },
  });
  try {
    await pipeline(createReadStream(path), parse(CSV_OPTIONS), rows);
  } catch (error) {
    throw datasetErrorOf(error, displayName);
  }
  return builder.finish();
}

/** Loads both files, each read where `files` resolves it; errors name the file as the spec did. */
export async function loadCsvDataset(spec: CsvDatasetSpec, files: FileResolver = clientFileResolver): Promise<LoadedDataset> {
  const trainPath = files.localPath(spec.train, 'workload.dataset.train');
  const validationPath = files.localPath(spec.validation, 'workload.dataset.validation');
  const train = await readCsvFile(trainPath, fileRefDisplayName(spec.train), spec.target);
  const validation = await readCsvFile(validationPath, fileRefDisplayName(spec.validation), spec.target, train.featureNames);
  const featureCount = train.featureNames.length;
  if (spec.standardize) {
    const stats = await featureStatistics(train.split.x, featureCount);
    await standardizeInPlace(train.split.x, featureCount, stats);
    await standardizeInPlace(validation.split.x, featureCount, stats);
  }
  return {
    featureCount,
    targetCount: 1,
    featureNames: train.featureNames,
    train: train.split,
    validation: validation.split,
  };
}
