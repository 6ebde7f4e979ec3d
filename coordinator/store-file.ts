// What must hold of the data dir and the store file before SQLite opens them, so that a store
// that cannot work is refused at start with its path and reason instead of starting "healthy":
// - the data dir is a directory this process can create files in (SQLite needs its -wal and
//   -shm files there). Probed by creating a file, not by reading mode bits: root ignores those,
//   and a read-only mount refuses root too.
// - an existing store file is a non-empty regular file. SQLite would take a 0-byte file for a
//   new, empty database and the coordinator would start with no sweeps, silently. A new store
//   is never left at 0 bytes by this process: it is built under a temporary name and renamed
//   into place once it holds its schema (see SweepStore.open).
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Why a data dir or store file cannot be used; `path` is the one to fix. */
export interface StoreRefusal {
  readonly path: string;
  readonly code: string;
  readonly reason: string;
}

function systemCode(error: unknown): string {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'UNKNOWN';
}

/** Creates the data dir if missing; a refusal when it is not a directory this process can write in. */
export function dataDirRefusal(dataDir: string): StoreRefusal | undefined {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    const code = systemCode(error);
    const reason =
      code === 'EEXIST' ? 'the data directory path is a file, not a directory' : code === 'ENOTDIR' ? 'the data directory path runs through a file' : 'cannot create the data directory';
    return { path: dataDir, code, reason };
  }
  if (!statSync(dataDir).isDirectory()) return { path: dataDir, code: 'ENOTDIR', reason: 'not a directory' };
  const probe = join(dataDir, `.plateau-write-probe-${process.pid}`);
  try {
    writeFileSync(probe, '', { flag: 'wx' });
  } catch (error) {
    const code = systemCode(error);
    // EEXIST: a probe left by a killed process with this pid; the directory took it, so it is writable.
    if (code !== 'EEXIST') return { path: dataDir, code, reason: 'the data directory is not writable (read-only filesystem or no permission)' };
  }
  rmSync(probe, { force: true });
  return undefined;
}

export type StoreFileState = { readonly kind: 'absent' } | { readonly kind: 'present' } | { readonly kind: 'refused'; readonly refusal: StoreRefusal };

/** Whether the store file exists, and a refusal when it exists but cannot be a store. */
export function storeFileState(file: string): StoreFileState {
  let size: number;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) return { kind: 'refused', refusal: { path: file, code: 'ENOTFILE', reason: 'the store path is not a regular file' } };
    size = stats.size;
  } catch (error) {
    const code = systemCode(error);
    if (code === 'ENOENT') return { kind: 'absent' };
    return { kind: 'refused', refusal: { path: file, code, reason: 'cannot read the store file' } };
  }
  if (size === 0) {
    return {
      kind: 'refused',
      refusal: { path: file, code: 'EMPTY_STORE', reason: 'the store file is empty (0 bytes), so it holds no sweeps and no schema; move it aside to start a new store' },
    };
  }
  return { kind: 'present' };
}
