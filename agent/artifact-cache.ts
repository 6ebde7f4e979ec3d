// The agent's blob cache (--cache-dir, bounded by --cache-size): blobs fetched from the
// coordinator by hash, verified, kept under <dir>/sha256/<hash>. One download serves every
// slot and trial (single-flight per hash); the least recently used blobs go when the cache is
// over its size, never one a running trial holds.
//
// Verification: a download is hashed as it streams and kept only if it matches. A cached blob
// is hashed again the first time this process uses it, and whenever its size or mtime changed
// since; in between, an in-memory marker (size + mtime) vouches for it. A blob that no longer
// matches its hash is deleted and fetched again.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactClient } from '../src/artifacts/artifact-client.js';
import { SHA256_PATTERN, type ArtifactRef } from '../src/artifacts/file-ref.js';
import { formatBytes } from '../src/artifacts/format-bytes.js';
import { silentLogger, type Logger } from '../src/log/logger.js';
import { CoordinatorUnavailableError } from '../src/rpc/rpc-errors.js';
import { WorkloadFileError, type BlobProvider, type HeldBlob } from './workload-files.js';

/** Default --cache-size. */
export const DEFAULT_CACHE_BYTES = 20 * 1024 ** 3;

export interface ArtifactCacheOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly client: ArtifactClient | Promise<ArtifactClient>;
  readonly logger?: Logger;
}

interface Entry {
  size: number;
  lastUsedMs: number;
  pins: number;
}

interface Verified {
  readonly size: number;
  readonly mtimeMs: number;
}

async function hashOf(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class ArtifactCache implements BlobProvider {
  private readonly logger: Logger;
  private readonly entries = new Map<string, Entry>();
  private readonly verified = new Map<string, Verified>();
  private readonly inflight = new Map<string, Promise<string>>();
  private indexed: Promise<void> | undefined;
  /** Downloads stop when the agent does. */
  private readonly closing = new AbortController();
  /** Bytes fetched from the coordinator by this process (bench, logs). */
  bytesFetched = 0;

  constructor(private readonly options: ArtifactCacheOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'artifact-cache' });
  }

  private blobPath(sha256: string): string {
    return join(this.options.dir, 'sha256', sha256);
  }

  /** What a previous process left: sizes, and mtime as the last use. */
  private index(): Promise<void> {
    this.indexed ??= (async () => {
      await mkdir(join(this.options.dir, 'sha256'), { recursive: true });
      await rm(join(this.options.dir, 'tmp'), { recursive: true, force: true });
      for (const name of await readdir(join(this.options.dir, 'sha256'))) {
        if (!SHA256_PATTERN.test(name)) continue;
        const stats = await stat(this.blobPath(name));
        this.entries.set(name, { size: stats.size, lastUsedMs: stats.mtimeMs, pins: 0 });
      }
    })();
    return this.indexed;
  }

  async acquire(ref: ArtifactRef, field: string): Promise<HeldBlob> {
    await this.index();
    const entry = this.entries.get(ref.sha256) ?? { size: ref.size, lastUsedMs: Date.now(), pins: 0 };
    this.entries.set(ref.sha256, entry);
    entry.pins += 1;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      entry.pins -= 1;
    };
    try {
      let loading = this.inflight.get(ref.sha256);
      if (loading === undefined) {
        loading = this.ensure(ref, field).finally(() => this.inflight.delete(ref.sha256));
        this.inflight.set(ref.sha256, loading);
      }
      const path = await loading;
      entry.lastUsedMs = Date.now();
      return { path, release };
    } catch (error) {
      release();
      if (entry.pins === 0 && !(await this.exists(ref.sha256))) this.entries.delete(ref.sha256);
      throw error;
    }
  }

  private async exists(sha256: string): Promise<boolean> {
    try {
      await stat(this.blobPath(sha256));
      return true;
    } catch {
      return false;
    }
  }

  /** The blob's verified local path: the cached copy, or a fresh download. */
  private async ensure(ref: ArtifactRef, field: string): Promise<string> {
    const file = this.blobPath(ref.sha256);
    let stats: { size: number; mtimeMs: number } | undefined;
    try {
      stats = await stat(file);
    } catch {
      stats = undefined;
    }
    if (stats !== undefined) {
      const marker = this.verified.get(ref.sha256);
      if (marker !== undefined && marker.size === stats.size && marker.mtimeMs === stats.mtimeMs) return file;
      const digest = await hashOf(file);
      if (digest === ref.sha256) {
        this.verified.set(ref.sha256, { size: stats.size, mtimeMs: stats.mtimeMs });
        // mtime is the last use for the next process's LRU; the marker follows it.
        return file;
      }
      this.logger.warn('artifact.cache-corrupt', { sha256: ref.sha256, file: ref.name, field, found: digest });
      await rm(file, { force: true });
      this.verified.delete(ref.sha256);
    }
    await this.download(ref, field, file);
    await this.evict();
    return file;
  }

  private async download(ref: ArtifactRef, field: string, file: string): Promise<void> {
    const tmpDir = join(this.options.dir, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${ref.sha256}.${randomUUID()}`);
    const hash = createHash('sha256');
    let size = 0;
    const started = Date.now();
    const handle = await open(tmp, 'w');
    try {
      const client = await this.options.client;
      try {
        for await (const chunk of client.fetch(ref.sha256, 0, this.closing.signal)) {
          if (size + chunk.byteLength > ref.size) throw new WorkloadFileError(`${field}: ${ref.name} (sha256 ${ref.sha256}): the coordinator sent more than its ${ref.size} bytes`, false);
          hash.update(chunk);
          await handle.write(chunk, 0, chunk.byteLength, size);
          size += chunk.byteLength;
        }
      } catch (error) {
        if (error instanceof WorkloadFileError) throw error;
        const detail = error instanceof Error ? error.message : String(error);
        // The coordinator could not be reached: worth another attempt. A refusal (missing, corrupt) is not.
        throw new WorkloadFileError(`${field}: cannot fetch ${ref.name} (sha256 ${ref.sha256}): ${detail}`, error instanceof CoordinatorUnavailableError);
      }
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(tmp, { force: true });
      throw error;
    }
    await handle.close();
    const digest = hash.digest('hex');
    if (size !== ref.size || digest !== ref.sha256) {
      await rm(tmp, { force: true });
      throw new WorkloadFileError(`${field}: ${ref.name}: the coordinator sent ${size} bytes hashing to sha256 ${digest}, not the blob sha256 ${ref.sha256} — nothing was cached`, false);
    }
    await rename(tmp, file);
    const stats = await stat(file);
    this.verified.set(ref.sha256, { size: stats.size, mtimeMs: stats.mtimeMs });
    this.bytesFetched += size;
    this.logger.info('artifact.fetched', { sha256: ref.sha256, file: ref.name, bytes: size, ms: Date.now() - started });
  }

  /** Least recently used first, while over the size; a held blob is never removed. */
  private async evict(): Promise<void> {
    let total = 0;
    for (const entry of this.entries.values()) total += entry.size;
    if (total <= this.options.maxBytes) return;
    const candidates = [...this.entries.entries()].filter(([sha256, entry]) => entry.pins === 0 && !this.inflight.has(sha256)).sort((a, b) => a[1].lastUsedMs - b[1].lastUsedMs);
    for (const [sha256, entry] of candidates) {
      if (total <= this.options.maxBytes) break;
      await rm(this.blobPath(sha256), { force: true });
      this.entries.delete(sha256);
      this.verified.delete(sha256);
      total -= entry.size;
      this.logger.info('artifact.evicted', { sha256, bytes: entry.size });
    }
    if (total > this.options.maxBytes) {
      this.logger.warn('artifact.cache-over-size', { bytes: total, maxBytes: this.options.maxBytes, note: `the blobs in use need ${formatBytes(total)}, over --cache-size ${formatBytes(this.options.maxBytes)}` });
    }
  }

  /** Stops downloads in flight (their trials fail and are handed back). */
  close(): void {
    this.closing.abort();
  }
}
