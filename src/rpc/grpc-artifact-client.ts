// ArtifactClient over grpc-js: uploads stream the file in 1 MiB chunks and wait for the
// transport to drain; fetches hand chunks to the caller as they arrive. Neither holds a blob.
import { createReadStream } from 'node:fs';
import { credentials as grpcCredentials, type ChannelCredentials, type ClientWritableStream } from '@grpc/grpc-js';
import { ArtifactServiceClient, type ArtifactChunk, type UploadArtifactRequest } from '../../gen/plateau/v1/coordinator.js';
import type { ArtifactClient, BlobSource, MissingBlob } from '../artifacts/artifact-client.js';
import { bearerTokenInterceptor } from '../security/client-auth.js';
import { callUnary, maxMessageBytes } from './grpc-call.js';
import { toRpcError } from './rpc-errors.js';

/** Bytes per upload message (the coordinator refuses more). */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;

export interface GrpcArtifactClientOptions {
  readonly credentials?: ChannelCredentials;
  readonly token?: string;
  /** Deadline of HasArtifacts. Default 30 s (uploads and fetches run as long as they need). */
  readonly callTimeoutMs?: number;
}

/** Resolves once the stream can take more (or rejects if the call fails meanwhile). */
function drained(call: ClientWritableStream<UploadArtifactRequest>): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('error', failed);
      resolve();
    };
    const failed = (error: unknown): void => {
      call.off('drain', done);
      call.off('error', failed);
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    call.on('drain', done);
    call.on('error', failed);
  });
}

export function createGrpcArtifactClient(address: string, options: GrpcArtifactClientOptions = {}): ArtifactClient {
  const client = new ArtifactServiceClient(address, options.credentials ?? grpcCredentials.createInsecure(), {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    interceptors: options.token === undefined ? [] : [bearerTokenInterceptor(options.token)],
  });
  const deadlineMs = options.callTimeoutMs ?? 30_000;

  return {
    async missing(hashes: readonly string[], signal?: AbortSignal): Promise<readonly MissingBlob[]> {
      try {
        const response = await callUnary(client.hasArtifacts.bind(client), { sha256: [...hashes] }, { deadlineMs, signal });
        return response.missing.map((blob) => ({ sha256: blob.sha256, heldBytes: blob.heldBytes }));
      } catch (error) {
        throw toRpcError('HasArtifacts', error);
      }
    },

    async upload(blob: BlobSource, offset: number, signal?: AbortSignal): Promise<number> {
      let call: ClientWritableStream<UploadArtifactRequest> | undefined;
      const answer = new Promise<number>((resolve, reject) => {
        call = client.uploadArtifact((error, response) => {
          if (error !== null) reject(toRpcError('UploadArtifact', error));
          else resolve(response?.bytesReceived ?? 0);
        });
      });
      const stream = call;
      if (stream === undefined) throw new Error('uploadArtifact returned no call');
      const onAbort = (): void => stream.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      // The answer may come early (a refusal): stop reading the file then.
      let settled = false;
      answer.then(
        () => (settled = true),
        () => (settled = true),
      );
      try {
        stream.write({ part: { $case: 'header', value: { sha256: blob.sha256, size: blob.size, name: blob.name, offset } } });
        if (offset < blob.size) {
          for await (const chunk of createReadStream(blob.path, { start: offset, highWaterMark: UPLOAD_CHUNK_BYTES })) {
            if (settled) break;
            if (!stream.write({ part: { $case: 'chunk', value: chunk as Buffer } })) await Promise.race([drained(stream), answer]);
          }
        }
        stream.end();
        return await answer;
      } catch (error) {
        stream.cancel();
        // The coordinator's answer says more than a broken pipe.
        return await answer.then(() => {
          throw error;
        });
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },

    async *fetch(sha256: string, offset: number, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
      const stream = client.fetchArtifact({ sha256, offset });
      const onAbort = (): void => stream.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const chunk of stream as AsyncIterable<ArtifactChunk>) yield chunk.data;
      } catch (error) {
        throw toRpcError('FetchArtifact', error);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        stream.cancel();
      }
    },

    close(): void {
      client.close();
    },
  };
}
