// Where a process reads a FileRef from. A worker reads only what its agent resolved for it
// (blobs in the agent's cache, shared paths the agent's operator allowed); the client side
// (`plateau train`) reads its own local files.
import { fileRefDisplayName, fileRefKey, type FileRef } from './file-ref.js';

/** A file this process may not read, or that was not made available to it. */
export class UnavailableFileError extends Error {
  override readonly name = 'UnavailableFileError';
  constructor(
    readonly field: string,
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${field} (${file}): ${reason}`);
  }
}

export interface FileResolver {
  /** The local path to read for `ref`; throws UnavailableFileError when this process may not read it. */
  localPath(ref: FileRef, field: string): string;
}

/** The client's own files (`plateau train`): local refs are read where they lie. */
export const clientFileResolver: FileResolver = {
  localPath(ref, field) {
    if (ref.kind === 'local') return ref.path;
    throw new UnavailableFileError(field, fileRefDisplayName(ref), `a ${ref.kind} file is read by an agent, not here`);
  },
};

/** Resolved paths by fileRefKey, as an agent hands them to its worker. */
export type ResolvedFiles = Readonly<Record<string, string>>;

/** A worker's view: only what its agent resolved; nothing else, whatever the spec says. */
export function resolvedFileResolver(files: ResolvedFiles): FileResolver {
  return {
    localPath(ref, field) {
      const path = ref.kind === 'local' ? undefined : files[fileRefKey(ref)];
      if (path === undefined) throw new UnavailableFileError(field, fileRefDisplayName(ref), 'not made available to this worker by its agent');
      return path;
    },
  };
}
