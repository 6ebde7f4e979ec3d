// SweepClient over grpc-js. Wire types stay in here and wire.ts.
import { credentials as grpcCredentials, status, type ChannelCredentials } from '@grpc/grpc-js';
import { SweepServiceClient, type SweepEvent } from '../../gen/plateau/v1/coordinator.js';
import type { SweepSpec } from '../spec/sweep-spec.js';
import { bearerTokenInterceptor } from '../security/client-auth.js';
import { callUnary, maxMessageBytes } from './grpc-call.js';
import { isServiceError, SweepNotFoundError, toRpcError, type RpcMethod } from './rpc-errors.js';
import type { SweepClient } from './sweep-client.js';
import type { SubmittedSweep, SweepProgress, SweepSummary } from './sweep-progress.js';
import { decodeSweepEvent, decodeSweepSummary, WireDecodeError } from './wire.js';

export interface GrpcSweepClientOptions {
  readonly credentials?: ChannelCredentials;
  /** Sent on every call as `authorization: Bearer <token>` (a coordinator started with a token requires it). */
  readonly token?: string;
  /** Deadline of every unary call. Default 30 s. */
  readonly callTimeoutMs?: number;
}

export function createGrpcSweepClient(address: string, options: GrpcSweepClientOptions = {}): SweepClient {
  const client = new SweepServiceClient(address, options.credentials ?? grpcCredentials.createInsecure(), {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    interceptors: options.token === undefined ? [] : [bearerTokenInterceptor(options.token)],
  });
  const deadlineMs = options.callTimeoutMs ?? 30_000;

  const failed = (method: RpcMethod, error: unknown, sweepId?: string): Error => {
    if (sweepId !== undefined && isServiceError(error) && error.code === status.NOT_FOUND) return new SweepNotFoundError(method, error.details, sweepId);
    return toRpcError(method, error);
  };

  async function* watch(sweepId: string, signal?: AbortSignal): AsyncGenerator<SweepProgress, void, undefined> {
    const aborted = (): boolean => signal?.aborted === true;
    if (aborted()) return;
    const stream = client.watchSweep({ sweepId });
    const onAbort = (): void => stream.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const event of stream as AsyncIterable<SweepEvent>) yield decodeSweepEvent(event);
    } catch (error) {
      // Our own cancel ends the stream with CANCELLED: that is the normal end of a watch.
      if (isServiceError(error) && error.code === status.CANCELLED && aborted()) return;
      throw failed('WatchSweep', error, sweepId);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stream.cancel();
    }
  }

  return {
    async submit(spec: SweepSpec, source: string, signal?: AbortSignal): Promise<SubmittedSweep> {
      try {
        const response = await callUnary(client.submitSweep.bind(client), { specJson: JSON.stringify(spec), specSource: source }, { deadlineMs, signal });
        return { sweepId: response.sweepId, resumed: response.resumed, totalTrials: response.totalTrials };
      } catch (error) {
        throw failed('SubmitSweep', error);
      }
    },

    async get(sweepId: string, signal?: AbortSignal): Promise<SweepSummary> {
      let response;
      try {
        response = await callUnary(client.getSweep.bind(client), { sweepId }, { deadlineMs, signal });
      } catch (error) {
        throw failed('GetSweep', error, sweepId);
      }
      return decodeSweepSummary(response.sweep);
    },

    /** Every sweep, following ListSweeps' pages to the last. */
    async list(signal?: AbortSignal): Promise<readonly SweepSummary[]> {
      const sweeps: SweepSummary[] = [];
      let pageToken = '';
      do {
        let response;
        try {
          response = await callUnary(client.listSweeps.bind(client), { pageSize: 0, pageToken }, { deadlineMs, signal });
        } catch (error) {
          throw failed('ListSweeps', error);
        }
        for (const sweep of response.sweeps) sweeps.push(decodeSweepSummary(sweep));
        pageToken = response.nextPageToken;
      } while (pageToken !== '');
      return sweeps;
    },

    async cancel(sweepId: string, signal?: AbortSignal): Promise<SweepSummary> {
      let response;
      try {
        response = await callUnary(client.cancelSweep.bind(client), { sweepId }, { deadlineMs, signal });
      } catch (error) {
        throw failed('CancelSweep', error, sweepId);
      }
      return decodeSweepSummary(response.sweep);
    },

    watch,

    async results(sweepId: string, signal?: AbortSignal): Promise<unknown> {
      let response;
      try {
        response = await callUnary(client.getResults.bind(client), { sweepId }, { deadlineMs, signal });
      } catch (error) {
        throw failed('GetResults', error, sweepId);
      }
      try {
        return JSON.parse(response.resultsJson) as unknown;
      } catch (error) {
        throw new WireDecodeError('results_json', `not JSON (${error instanceof Error ? error.message : String(error)})`);
      }
    },

    close(): void {
      client.close();
    },
  };
}
