// A dataset file that could not be read at all (missing, a directory, no permission): one
// DatasetError with the system's code, never its message (that repeats the local path, which
// for a cached artifact is not the name the user knows).
import { stat } from 'node:fs/promises';
import { DatasetError } from './dataset-error.js';

/** `error` as a DatasetError naming `file`; a DatasetError passes through unchanged. */
export function readFailure(error: unknown, file: string): DatasetError {
  if (error instanceof DatasetError) return error;
  const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
  return new DatasetError(`cannot read the file (${code})`, { file });
}

/** A regular file's size, or undefined for a pipe or a /proc file whose size stat does not know. */
export async function knownSize(path: string): Promise<number | undefined> {
  const info = await stat(path);
  return info.isFile() && info.size > 0 ? info.size : undefined;
}
