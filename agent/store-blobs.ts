// Blobs read where a coordinator in the same process keeps them (the embedded `plateau run`):
// no copy, no download. Each is hashed once per process before its first use, as a cache would.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ArtifactRef } from '../src/artifacts/file-ref.js';
import { WorkloadFileError, type BlobProvider, type HeldBlob } from './workload-files.js';

export class StoreBlobs implements BlobProvider {
  private readonly verified = new Map<string, Promise<void>>();

  constructor(private readonly blobPath: (sha256: string) => string) {}

  async acquire(ref: ArtifactRef, field: string): Promise<HeldBlob> {
    const path = this.blobPath(ref.sha256);
    let check = this.verified.get(ref.sha256);
    if (check === undefined) {
      check = this.verify(ref, field, path);
      this.verified.set(ref.sha256, check);
      check.catch(() => this.verified.delete(ref.sha256));
    }
    await check;
    return { path, release: () => undefined };
  }

  private async verify(ref: ArtifactRef, field: string, path: string): Promise<void> {
    const hash = createHash('sha256');
    try {
      for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
      throw new WorkloadFileError(`${field}: ${ref.name} (sha256 ${ref.sha256}) cannot be read from the store (${code})`, false);
    }
    const digest = hash.digest('hex');
    if (digest !== ref.sha256) throw new WorkloadFileError(`${field}: ${ref.name}: the stored blob sha256 ${ref.sha256} is corrupt (it hashes to ${digest})`, false);
  }
}
