// What an agent makes of the files a trial names, before its worker sees the trial: each
// artifact fetched into (or found in) a local blob source, each shared path checked against
// the operator's --allow-paths. The worker gets the resolved paths and nothing else.
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { fileRefKey, type ArtifactRef } from '../src/artifacts/file-ref.js';
import type { ResolvedFiles } from '../src/artifacts/file-resolver.js';
import { workloadFiles } from '../src/artifacts/workload-files.js';
import type { WorkloadSpec } from '../src/trial/types.js';

/** The error kind a trial fails with when no retry can fix its files (the sweep's own problem). */
export const WORKLOAD_ERROR_KIND = 'workload';

/**
 * A trial's file that this agent cannot provide. `retryable`: a passing problem (the
 * coordinator unreachable mid-download), worth another attempt; otherwise a workload error.
 */
export class WorkloadFileError extends Error {
  override readonly name = 'WorkloadFileError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }

  /** How the failed attempt is reported to the coordinator. */
  get kind(): string {
    return this.retryable ? 'ArtifactFetchError' : WORKLOAD_ERROR_KIND;
  }
}

/** A local copy of a blob, kept (never evicted) until released. */
export interface HeldBlob {
  readonly path: string;
  release(): void;
}

/** Where an agent gets a blob's bytes: its download cache, or (embedded run) the store itself. */
export interface BlobProvider {
  /**
   * Throws WorkloadFileError naming the blob and its file. No per-trial signal: one download
   * serves every trial that asks, so only the provider's owner stops it.
   */
  acquire(ref: ArtifactRef, field: string): Promise<HeldBlob>;
}

export interface AcquiredFiles {
  readonly paths: ResolvedFiles;
  release(): void;
}

/** Is `file` (symlinks followed) inside one of `dirs`? */
async function allowedPath(file: string, dirs: readonly string[]): Promise<boolean> {
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    // A file that does not exist is judged by the path as written: its reader will say it is missing.
    real = file;
  }
  for (const dir of dirs) {
    let root: string;
    try {
      root = await realpath(dir);
    } catch {
      root = dir;
    }
    const rel = relative(root, real);
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return true;
  }
  return false;
}

export class WorkloadFiles {
  constructor(
    private readonly blobs: BlobProvider | null,
    /** --allow-paths: directories whose files a `shared` ref may name. Empty: none. */
    private readonly allowPaths: readonly string[],
  ) {}

  /** Local paths for every file `workload` names, held until release(). Throws WorkloadFileError. */
  async acquire(workload: WorkloadSpec): Promise<AcquiredFiles> {
    const paths: Record<string, string> = {};
    const held: HeldBlob[] = [];
    const release = (): void => {
      for (const blob of held.splice(0)) blob.release();
    };
    try {
      for (const { field, ref } of workloadFiles(workload)) {
        const key = fileRefKey(ref);
        if (paths[key] !== undefined) continue;
        if (ref.kind === 'local') throw new WorkloadFileError(`${field}: a client path reached this agent — the coordinator should have refused it`, false);
        if (ref.kind === 'shared') {
          if (!(await allowedPath(ref.path, this.allowPaths))) {
            const allowed = this.allowPaths.length === 0 ? 'this agent allows no shared paths' : `this agent allows ${this.allowPaths.join(', ')}`;
            throw new WorkloadFileError(`${field}: shared path ${ref.path} is not under this agent's --allow-paths (${allowed})`, false);
          }
          paths[key] = ref.path;
          continue;
        }
        if (this.blobs === null) throw new WorkloadFileError(`${field}: ${ref.name} (sha256 ${ref.sha256}): this agent has no artifact source`, false);
        const blob = await this.blobs.acquire(ref, field);
        held.push(blob);
        paths[key] = blob.path;
      }
    } catch (error) {
      release();
      throw error;
    }
    return { paths, release };
  }
}
