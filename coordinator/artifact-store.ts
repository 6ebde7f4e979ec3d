// The coordinator's blob store: content-addressed files under <dataDir>/blobs. A blob is
// written to blobs/partial/<sha256> as it arrives (so an interrupted upload resumes from the
// bytes held), verified against its hash, fsynced with its directory and renamed into
// blobs/sha256/<ab>/<sha256>. Nothing here holds a whole blob in memory: chunks in, chunks out.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_ARTIFACT_NAME_LENGTH, SHA256_PATTERN } from '../src/artifacts/file-ref.js';
import { formatBytes } from '../src/artifacts/format-bytes.js';

/** Largest chunk either way: small enough to bound memory, large enough to stream fast. */
export const ARTIFACT_CHUNK_BYTES = 1024 * 1024;
/** Default --max-artifact-size. */
export const DEFAULT_MAX_ARTIFACT_BYTES = 8 * 1024 ** 3;

export interface UploadHeader {
  readonly sha256: string;
  readonly size: number;
  readonly name: string;
  readonly offset: number;
}

/** An upload or fetch the store refuses; `kind` picks the status code the gRPC shell answers. */
export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
  constructor(
    readonly kind: 'invalid' | 'too-large' | 'busy' | 'not-found' | 'corrupt' | 'resume-mismatch',
    message: string,
  ) {
    super(message);
  }
}

export interface MissingBlob {
  readonly sha256: string;
  readonly heldBytes: number;
}

export interface GcReport {
  readonly removedBlobs: number;
  readonly removedBytes: number;
  readonly removedPartials: number;
}

function checkHash(sha256: string, field: string): void {
  if (!SHA256_PATTERN.test(sha256)) throw new ArtifactError('invalid', `${field}: expected a sha256 (64 lowercase hex digits)`);
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Feeds `hash` with the first `length` bytes of `file`, streamed. */
async function hashPrefix(file: string, length: number, hash: Hash): Promise<void> {
  if (length === 0) return;
  for await (const chunk of createReadStream(file, { start: 0, end: length - 1, highWaterMark: ARTIFACT_CHUNK_BYTES })) hash.update(chunk as Buffer);
}

export class ArtifactStore {
  readonly root: string;
  private readonly partialDir: string;
  /** Blobs being uploaded now: a second upload of one would interleave with the first. */
  private readonly receiving = new Set<string>();

  constructor(
    dataDir: string,
    readonly maxArtifactBytes: number = DEFAULT_MAX_ARTIFACT_BYTES,
  ) {
    this.root = join(dataDir, 'blobs');
    this.partialDir = join(this.root, 'partial');
  }

  /** Where a held blob lies (it may not exist). */
  blobPath(sha256: string): string {
    checkHash(sha256, 'sha256');
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  private partialPath(sha256: string): string {
    return join(this.partialDir, sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return (await sizeOf(this.blobPath(sha256))) !== undefined;
  }

  /** Of `hashes`, those not held, each with the bytes an interrupted upload left. */
  async missing(hashes: readonly string[]): Promise<MissingBlob[]> {
    hashes.forEach((sha256, index) => checkHash(sha256, `sha256[${index}]`));
    const missing: MissingBlob[] = [];
    for (const sha256 of new Set(hashes)) {
      if (await this.has(sha256)) continue;
      missing.push({ sha256, heldBytes: (await sizeOf(this.partialPath(sha256))) ?? 0 });
    }
    return missing;
  }

  /**
   * Receives one blob's bytes from `header.offset` on. Returns the bytes received. The blob is
   * stored only when all `size` bytes are in and hash to `sha256`; an interrupted upload keeps
   * its bytes in the partial file for the next try.
   */
  async receive(header: UploadHeader, chunks: AsyncIterable<Uint8Array>): Promise<number> {
    checkHash(header.sha256, 'header.sha256');
    if (header.name === '' || header.name.length > MAX_ARTIFACT_NAME_LENGTH || /[/\\\0]/.test(header.name)) {
      throw new ArtifactError('invalid', `header.name: expected a base file name of 1 to ${MAX_ARTIFACT_NAME_LENGTH} characters`);
    }
    if (!Number.isSafeInteger(header.size) || header.size < 0) throw new ArtifactError('invalid', 'header.size: expected a byte count');
    if (header.size > this.maxArtifactBytes) {
      throw new ArtifactError(
        'too-large',
        `${header.name} is ${formatBytes(header.size)}, over this coordinator's --max-artifact-size of ${formatBytes(this.maxArtifactBytes)}`,
      );
    }
    if (!Number.isSafeInteger(header.offset) || header.offset < 0 || header.offset > header.size) {
      throw new ArtifactError('invalid', `header.offset: ${header.offset} — expected 0 to the size, ${header.size}`);
    }
    if (await this.has(header.sha256)) return 0;
    if (this.receiving.has(header.sha256)) throw new ArtifactError('busy', `${header.name} (sha256 ${header.sha256}) is being uploaded by another call — try again`);
    this.receiving.add(header.sha256);
    try {
      return await this.receiveLocked(header, chunks);
    } finally {
      this.receiving.delete(header.sha256);
    }
  }

  private async receiveLocked(header: UploadHeader, chunks: AsyncIterable<Uint8Array>): Promise<number> {
    await mkdir(this.partialDir, { recursive: true });
    const partial = this.partialPath(header.sha256);
    const held = (await sizeOf(partial)) ?? 0;
    if (header.offset > held) {
      throw new ArtifactError('resume-mismatch', `${header.name}: the upload resumes at byte ${header.offset} but ${held} are held — ask HasArtifacts again`);
    }
    const hash = createHash('sha256');
    await hashPrefix(partial, header.offset, hash);
    const handle: FileHandle = await open(partial, held === 0 ? 'w' : 'r+');
    let position = header.offset;
    let received = 0;
    try {
      await handle.truncate(header.offset);
      for await (const chunk of chunks) {
        if (chunk.byteLength > ARTIFACT_CHUNK_BYTES) throw new ArtifactError('invalid', `chunk: ${chunk.byteLength} bytes — at most ${ARTIFACT_CHUNK_BYTES} per message`);
        if (position + chunk.byteLength > header.size) throw new ArtifactError('invalid', `${header.name}: more bytes than the ${header.size} announced`);
        await handle.write(chunk, 0, chunk.byteLength, position);
        hash.update(chunk);
        position += chunk.byteLength;
        received += chunk.byteLength;
      }
      if (position < header.size) {
        throw new ArtifactError('invalid', `${header.name}: the upload ended after ${position} of ${header.size} bytes — the bytes are kept; upload again to resume`);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    const digest = hash.digest('hex');
    if (digest !== header.sha256) {
      await rm(partial, { force: true });
      throw new ArtifactError('invalid', `${header.name}: the bytes received hash to sha256 ${digest}, not the announced ${header.sha256} — nothing was stored`);
    }
    const target = this.blobPath(header.sha256);
    const dir = join(this.root, 'sha256', header.sha256.slice(0, 2));
    await mkdir(dir, { recursive: true });
    await rename(partial, target);
    // The rename is durable only once the directories that name the file are synced.
    await fsyncDir(dir);
    await fsyncDir(this.partialDir);
    return received;
  }

  /**
   * The blob's bytes from `offset`, in chunks. Read from the start, the bytes are hashed on the
   * way: a blob that no longer matches its name is deleted and the stream fails with 'corrupt'.
   */
  async *read(sha256: string, offset: number): AsyncGenerator<Buffer, void, undefined> {
    const file = this.blobPath(sha256);
    const size = await sizeOf(file);
    if (size === undefined) throw new ArtifactError('not-found', `no blob sha256 ${sha256} in this coordinator's store — submit the sweep again to upload it`);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) throw new ArtifactError('invalid', `offset: ${offset} — expected 0 to ${size}`);
    const hash = offset === 0 ? createHash('sha256') : undefined;
    if (size > offset) {
      for await (const chunk of createReadStream(file, { start: offset, highWaterMark: ARTIFACT_CHUNK_BYTES })) {
        const bytes = chunk as Buffer;
        hash?.update(bytes);
        yield bytes;
      }
    }
    if (hash !== undefined) {
      const digest = hash.digest('hex');
      if (digest !== sha256) {
        await rm(file, { force: true });
        throw new ArtifactError('corrupt', `blob sha256 ${sha256} is corrupt in the coordinator's store (its bytes hash to ${digest}); it was deleted — submit the sweep again to upload it`);
      }
    }
  }

  /** Every held blob's hash (a walk of the two-level directory). */
  async heldBlobs(): Promise<string[]> {
    const held: string[] = [];
    const top = join(this.root, 'sha256');
    let prefixes: string[];
    try {
      prefixes = await readdir(top);
    } catch {
      return held;
    }
    for (const prefix of prefixes) {
      for (const name of await readdir(join(top, prefix))) if (SHA256_PATTERN.test(name)) held.push(name);
    }
    return held;
  }

  /**
   * Removes blobs no sweep references and partial uploads, both only when older than
   * `minAgeMs`: a client uploads before it submits, so a fresh unreferenced blob is on its way
   * to a sweep.
   */
  async gc(referenced: ReadonlySet<string>, minAgeMs: number, nowMs: number): Promise<GcReport> {
    let removedBlobs = 0;
    let removedBytes = 0;
    let removedPartials = 0;
    const old = async (file: string): Promise<{ size: number } | undefined> => {
      try {
        const stats = await stat(file);
        return nowMs - stats.mtimeMs >= minAgeMs ? { size: stats.size } : undefined;
      } catch {
        return undefined;
      }
    };
    for (const sha256 of await this.heldBlobs()) {
      if (referenced.has(sha256)) continue;
      const file = this.blobPath(sha256);
      const stale = await old(file);
      if (stale === undefined) continue;
      await rm(file, { force: true });
      removedBlobs += 1;
      removedBytes += stale.size;
    }
    let partials: string[] = [];
    try {
      partials = await readdir(this.partialDir);
    } catch {
      partials = [];
    }
    for (const name of partials) {
      if (this.receiving.has(name)) continue;
      const file = join(this.partialDir, name);
      if ((await old(file)) === undefined) continue;
      await rm(file, { force: true });
      removedPartials += 1;
    }
    return { removedBlobs, removedBytes, removedPartials };
  }
}
