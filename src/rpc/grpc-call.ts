// One unary gRPC call as a promise with an AbortSignal and a deadline (nice-grpc's shape,
// over plain grpc-js): the adapters stay a list of one-liners.
import { Metadata, type CallOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';

export type UnaryInvoker<Request, Response> = (
  request: Request,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Response) => void,
) => ClientUnaryCall;

/** Trailer the coordinator puts on FAILED_PRECONDITION: the trial of the refused lease. */
export const trialIdMetadataKey = 'plateau-trial-id';

/** Largest message either side accepts (a results document of a big sweep fits). */
export const maxMessageBytes = 32 * 1024 * 1024;

export function callUnary<Request, Response>(
  invoke: UnaryInvoker<Request, Response>,
  request: Request,
  options: { readonly deadlineMs: number; readonly signal?: AbortSignal | undefined; readonly metadata?: Metadata | undefined },
): Promise<Response> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted === true) {
      reject(options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted'));
      return;
    }
    const onAbort = (): void => call.cancel();
    const call = invoke(request, options.metadata ?? new Metadata(), { deadline: Date.now() + options.deadlineMs }, (error, response) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (error !== null) reject(error);
      else resolve(response);
    });
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
