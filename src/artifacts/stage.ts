// Staging: before a spec leaves the client, every file it names on the client (`local`) is
// hashed (sha256, streamed), the blobs the coordinator lacks are uploaded (resuming an
// interrupted upload where it stopped), and each ref becomes an `artifact`. `plateau submit`
// and the embedded `plateau run` both stage through here. A model.json's weight shards are
// found in its weightsManifest and staged too, so no agent looks up a file next to another.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { SweepSpec } from '../spec/sweep-spec.js';
import type { ModelSpec } from '../trial/types.js';
import type { ArtifactClient, BlobSource } from './artifact-client.js';
import { baseNameOf, MAX_WEIGHT_FILES, type ArtifactRef, type FileRef } from './file-ref.js';
import { mapWorkloadFiles, workloadFiles } from './workload-files.js';

/** A model.json is topology and a manifest; larger than this is not one. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

/** A file that cannot be staged: names the spec field and the file. */
export class StageError extends Error {
  override readonly name = 'StageError';
  constructor(
    readonly field: string,
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${field}: ${file}: ${reason}`);
  }
}

export interface StageReport {
  /** Distinct files the spec names on the client. */
  readonly files: number;
  readonly bytesHashed: number;
  /** Blobs sent now (wholly or the rest of an interrupted upload). */
  readonly blobsUploaded: number;
  /** Bytes sent now: 0 when the coordinator held every blob. */
  readonly bytesUploaded: number;
  /** Bytes of interrupted uploads the coordinator already held, not sent again. */
  readonly bytesResumed: number;
}

export interface StageOptions {
  readonly signal?: AbortSignal;
  /** Before each upload starts (for a progress line). */
  readonly onUpload?: (blob: BlobSource, offset: number) => void;
}

function codeOf(error: unknown): string {
  return error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
}

async function hashFile(path: string, field: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      size += bytes.byteLength;
    }
  } catch (error) {
    throw new StageError(field, path, `cannot read the file (${codeOf(error)})`);
  }
  return { sha256: hash.digest('hex'), size };
}

/** The shard paths a model.json's weightsManifest lists (its own format is checked by the trainer). */
function manifestPaths(text: string, field: string, file: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StageError(field, file, 'not valid JSON — expected a tfjs layers-format model.json');
  }
  if (typeof parsed !== 'object' || parsed === null || !('weightsManifest' in parsed)) return [];
  const manifest: unknown = parsed.weightsManifest;
  if (!Array.isArray(manifest)) return [];
  const paths: string[] = [];
  for (const group of manifest) {
    const groupPaths: unknown = typeof group === 'object' && group !== null && 'paths' in group ? group.paths : undefined;
    if (!Array.isArray(groupPaths)) continue;
    for (const path of groupPaths) if (typeof path === 'string' && !paths.includes(path)) paths.push(path);
  }
  if (paths.length > MAX_WEIGHT_FILES) throw new StageError(field, file, `its weightsManifest lists ${paths.length} files — at most ${MAX_WEIGHT_FILES}`);
  return paths;
}

/** A client model.json with its shards as local refs: each must lie in the model.json's directory tree. */
async function withWeightFiles(model: ModelSpec): Promise<ModelSpec> {
  if (model.kind !== 'modelJson' || model.file.kind !== 'local') return model;
  const field = 'workload.model.file';
  const file = model.file.path;
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    throw new StageError(field, file, `cannot read the file (${codeOf(error)})`);
  }
  if (size > MAX_MODEL_JSON_BYTES) throw new StageError(field, file, `${size} bytes — a model.json is at most ${MAX_MODEL_JSON_BYTES} (weights belong in shard files)`);
  const text = await readFile(file, 'utf8');
  const directory = dirname(file);
  const weights: Record<string, FileRef> = {};
  manifestPaths(text, field, file).forEach((shard, index) => {
    const path = resolve(directory, shard);
    const inside = relative(directory, path);
    if (isAbsolute(shard) || inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      throw new StageError(field, file, `weights file ${index + 1} of its weightsManifest lies outside the model.json's directory — shards are read next to it`);
    }
    weights[shard] = { kind: 'local', path };
  });
  return { ...model, weights };
}

/**
 * The spec with every client file replaced by an artifact the coordinator holds (uploading
 * what it lacks), and what it cost. Shared refs and built-in datasets pass unchanged.
 */
export async function stageSpec(spec: SweepSpec, client: ArtifactClient, options: StageOptions = {}): Promise<{ spec: SweepSpec; report: StageReport }> {
  const workload = { ...spec.workload, model: await withWeightFiles(spec.workload.model) };
  const blobs = new Map<string, BlobSource>();
  const byPath = new Map<string, ArtifactRef>();
  let bytesHashed = 0;
  for (const { field, ref } of workloadFiles(workload)) {
    if (ref.kind !== 'local' || byPath.has(ref.path)) continue;
    options.signal?.throwIfAborted();
    const { sha256, size } = await hashFile(ref.path, field);
    bytesHashed += size;
    const name = baseNameOf(ref.path);
    byPath.set(ref.path, { kind: 'artifact', sha256, size, name });
    if (!blobs.has(sha256)) blobs.set(sha256, { sha256, size, name, path: ref.path });
  }
  let blobsUploaded = 0;
  let bytesUploaded = 0;
  let bytesResumed = 0;
  if (blobs.size > 0) {
    const missing = await client.missing([...blobs.keys()], options.signal);
    for (const { sha256, heldBytes } of missing) {
      const blob = blobs.get(sha256);
      if (blob === undefined) continue;
      const offset = heldBytes <= blob.size ? heldBytes : 0;
      options.onUpload?.(blob, offset);
      bytesUploaded += await client.upload(blob, offset, options.signal);
      bytesResumed += offset;
      blobsUploaded += 1;
    }
  }
  const staged = mapWorkloadFiles(workload, (ref, field) => {
    if (ref.kind !== 'local') return ref;
    const artifact = byPath.get(ref.path);
    if (artifact === undefined) throw new StageError(field, ref.path, 'was not hashed');
    return artifact;
  });
  return {
    spec: { ...spec, workload: staged },
    report: { files: byPath.size, bytesHashed, blobsUploaded, bytesUploaded, bytesResumed },
  };
}
