// How a compiled spec names a file. A spec loaded from YAML names files on the client
// (`local`); staging turns each into an `artifact` (content hash, size, display name) before
// the spec leaves the client, so a coordinator or agent never reads a path a client chose.
// `shared` is the operator's opt-in for data read in place on every agent (a shared mount),
// read by an agent only under its own --allow-paths.
import { basename } from 'node:path';

export type FileRef =
  /** Absolute path on the client; never accepted by a coordinator. */
  | { readonly kind: 'local'; readonly path: string }
  /** A blob the coordinator holds; `name` is the original base name, for people only. */
  | { readonly kind: 'artifact'; readonly sha256: string; readonly size: number; readonly name: string }
  /** Absolute path read in place on every agent (a shared mount), only under the agent's --allow-paths. */
  | { readonly kind: 'shared'; readonly path: string };

export type LocalFileRef = Extract<FileRef, { kind: 'local' }>;
export type ArtifactRef = Extract<FileRef, { kind: 'artifact' }>;
export type SharedFileRef = Extract<FileRef, { kind: 'shared' }>;

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
/** A display name is a base name: bounded, no directory part. */
export const MAX_ARTIFACT_NAME_LENGTH = 255;
/** A weightsManifest lists a handful of shards; more is not a model.json we can use. */
export const MAX_WEIGHT_FILES = 1_024;
export const MAX_PATH_LENGTH = 4_096;

/** The key a resolved map uses for a ref: the same content or shared path resolves once. */
export function fileRefKey(ref: FileRef): string {
  switch (ref.kind) {
    case 'artifact':
      return `sha256:${ref.sha256}`;
    case 'shared':
      return `shared:${ref.path}`;
    case 'local':
      return `local:${ref.path}`;
  }
}

/** What an error may say about a file: the path the spec wrote, or an artifact's original name (never where a cache keeps it). */
export function fileRefDisplayName(ref: FileRef): string {
  return ref.kind === 'artifact' ? ref.name : ref.path;
}

/** The original base name of a file a spec names by path (an artifact's `name`). */
export function baseNameOf(path: string): string {
  return basename(path);
}

/** One file a workload refers to, with the spec field that names it (e.g. `workload.dataset.train`). */
export interface WorkloadFile {
  readonly field: string;
  readonly ref: FileRef;
}
