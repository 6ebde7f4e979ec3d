// What a client of the coordinator sees when a call fails, in domain terms. The grpc-*
// adapters turn status codes into these classes (LeaseLostError, from agent-channel.ts,
// for FAILED_PRECONDITION on a lease call); callers branch on the class, never the text.
import { status, type ServiceError } from '@grpc/grpc-js';

export type RpcMethod =
  | 'RegisterAgent'
  | 'PollTrial'
  | 'Heartbeat'
  | 'CompleteTrial'
  | 'FailTrial'
  | 'SubmitSweep'
  | 'GetSweep'
  | 'ListSweeps'
  | 'CancelSweep'
  | 'WatchSweep'
  | 'GetResults'
  | 'HasArtifacts'
  | 'UploadArtifact'
  | 'FetchArtifact';

/** Any failed call: `code` is the gRPC status code, `details` the coordinator's message. */
export class CoordinatorRpcError extends Error {
  override readonly name: string = 'CoordinatorRpcError';
  constructor(
    readonly method: RpcMethod,
    readonly code: number,
    readonly details: string,
  ) {
    super(`${method}: ${status[code] ?? code}: ${details}`);
  }
}

/** The coordinator cannot be reached or is shutting down: retry with backoff. */
export class CoordinatorUnavailableError extends CoordinatorRpcError {
  override readonly name = 'CoordinatorUnavailableError';
}

/** The coordinator does not know this agent id (its store was replaced): register again. */
export class UnregisteredAgentError extends CoordinatorRpcError {
  override readonly name = 'UnregisteredAgentError';
}

export class SweepNotFoundError extends CoordinatorRpcError {
  override readonly name = 'SweepNotFoundError';
  constructor(
    method: RpcMethod,
    details: string,
    readonly sweepId: string,
  ) {
    super(method, status.NOT_FOUND, details);
  }
}

/** The coordinator refused the request as malformed (e.g. an invalid sweep spec). */
export class InvalidRequestError extends CoordinatorRpcError {
  override readonly name = 'InvalidRequestError';
}

/** The coordinator refused the caller's credentials (no token, a wrong token): retrying will not help. */
export class UnauthenticatedError extends CoordinatorRpcError {
  override readonly name = 'UnauthenticatedError';
}

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

/** The generic mapping; adapters handle their own special cases first. */
export function toRpcError(method: RpcMethod, error: unknown): Error {
  if (!isServiceError(error)) return error instanceof Error ? error : new Error(String(error));
  const details = error.details === '' ? error.message : error.details;
  switch (error.code) {
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
      return new CoordinatorUnavailableError(method, error.code, details);
    case status.INVALID_ARGUMENT:
      return new InvalidRequestError(method, error.code, details);
    case status.UNAUTHENTICATED:
      return new UnauthenticatedError(method, error.code, details);
    default:
      return new CoordinatorRpcError(method, error.code, details);
  }
}
