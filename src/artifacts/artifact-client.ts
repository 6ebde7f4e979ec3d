// A client's and an agent's view of the coordinator's blob store, in domain types
// (src/rpc/grpc-artifact-client.ts implements it over gRPC).

export interface MissingBlob {
  readonly sha256: string;
  /** Bytes of an interrupted upload the coordinator holds: resume there. */
  readonly heldBytes: number;
}

/** A local file to upload, named by its content. */
export interface BlobSource {
  readonly sha256: string;
  readonly size: number;
  /** Original base name, for messages. */
  readonly name: string;
  readonly path: string;
}

export interface ArtifactClient {
  /** Of `hashes`, those the coordinator does not hold. */
  missing(hashes: readonly string[], signal?: AbortSignal): Promise<readonly MissingBlob[]>;
  /** Sends the file's bytes from `offset` on; resolves to the bytes the coordinator received. */
  upload(blob: BlobSource, offset: number, signal?: AbortSignal): Promise<number>;
  /** The blob's bytes from `offset` on, in chunks; rejects with the coordinator's refusal. */
  fetch(sha256: string, offset: number, signal?: AbortSignal): AsyncIterable<Uint8Array>;
  close(): void;
}
