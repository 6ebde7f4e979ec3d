// AgentChannel over grpc-js: the agent's only way to the coordinator. Wire types stay in
// here and wire.ts; a lease call answered FAILED_PRECONDITION becomes LeaseLostError.
import { credentials as grpcCredentials, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import {
  AgentServiceClient,
  type AgentFrame,
  type CompleteTrialRequest,
  type CompleteTrialResponse,
  type FailTrialRequest,
  type FailTrialResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type Lease,
  type PollTrialRequest,
  type PollTrialResponse,
} from '../../gen/plateau/v1/coordinator.js';
import { AgentSessionClient, SessionCallError } from './agent-session-client.js';
import { LeaseLostError, type AgentChannel, type AgentRegistration, type HeartbeatDirective, type LeaseRef, type TrialLease } from './agent-channel.js';
import { bearerTokenInterceptor } from '../security/client-auth.js';
import { callUnary, maxMessageBytes, trialIdMetadataKey } from './grpc-call.js';
import { isServiceError, toRpcError, UnregisteredAgentError, type RpcMethod } from './rpc-errors.js';
import { decodeDirective, decodeLease, encodeEpoch, encodeTrialError, encodeTrialResult } from './wire.js';
import type { BackendName, EpochRecord, TrialErrorInfo, TrialResult } from '../trial/types.js';

export interface GrpcAgentChannelOptions {
  /** Default: insecure (loopback, or a network protected otherwise). */
  readonly credentials?: ChannelCredentials;
  /** Sent on every call as `authorization: Bearer <token>` (a coordinator started with a token requires it). */
  readonly token?: string;
  /** Deadline of every call but PollTrial. Default 15 s. */
  readonly callTimeoutMs?: number;
  /** Added to a poll's wait for its deadline (network and scheduling slack). Default 10 s. */
  readonly pollGraceMs?: number;
  /**
   * How the lease calls travel: 'session' (default) multiplexes them on one AgentSession
   * stream; 'unary' makes one PollTrial / Heartbeat / CompleteTrial / FailTrial call each.
   */
  readonly transport?: 'session' | 'unary';
}

type CallOptionsOf = { readonly deadlineMs: number; readonly signal: AbortSignal | undefined };

/** The four lease calls, over either transport. */
interface LeaseTransport {
  poll(request: PollTrialRequest, options: CallOptionsOf): Promise<PollTrialResponse>;
  heartbeat(request: HeartbeatRequest, options: CallOptionsOf): Promise<HeartbeatResponse>;
  complete(request: CompleteTrialRequest, options: CallOptionsOf): Promise<CompleteTrialResponse>;
  fail(request: FailTrialRequest, options: CallOptionsOf): Promise<FailTrialResponse>;
  close(): void;
}

function unaryTransport(client: AgentServiceClient): LeaseTransport {
  return {
    poll: (request, options) => callUnary(client.pollTrial.bind(client), request, options),
    heartbeat: (request, options) => callUnary(client.heartbeat.bind(client), request, options),
    complete: (request, options) => callUnary(client.completeTrial.bind(client), request, options),
    fail: (request, options) => callUnary(client.failTrial.bind(client), request, options),
    close: () => undefined,
  };
}

/** Each lease call on the session: what it sends and what its answer carries. */
interface SessionExchanges {
  readonly poll: readonly [PollTrialRequest, PollTrialResponse];
  readonly heartbeat: readonly [HeartbeatRequest, HeartbeatResponse];
  readonly complete: readonly [CompleteTrialRequest, CompleteTrialResponse];
  readonly fail: readonly [FailTrialRequest, FailTrialResponse];
}

function sessionTransport(client: AgentServiceClient): LeaseTransport {
  const session = new AgentSessionClient(() => client.agentSession());
  const exchange = async <K extends keyof SessionExchanges>(kind: K, value: SessionExchanges[K][0], options: CallOptionsOf): Promise<SessionExchanges[K][1]> => {
    // TypeScript cannot pair a generic key with its member of the frame unions: the casts say what the proto pairs.
    const answer = await session.call({ $case: kind, value } as NonNullable<AgentFrame['call']>, options);
    if (answer.$case !== kind) throw new SessionCallError(status.INTERNAL, `a ${kind} call was answered with ${answer.$case}`);
    return answer.value as SessionExchanges[K][1];
  };
  return {
    poll: (value, options) => exchange('poll', value, options),
    heartbeat: (value, options) => exchange('heartbeat', value, options),
    complete: (value, options) => exchange('complete', value, options),
    fail: (value, options) => exchange('fail', value, options),
    close: () => session.close(),
  };
}

function trialIdOf(error: ServiceError): string {
  const value = error.metadata?.get(trialIdMetadataKey)[0];
  return typeof value === 'string' ? value : '';
}

export function createGrpcAgentChannel(address: string, options: GrpcAgentChannelOptions = {}): AgentChannel {
  const client = new AgentServiceClient(address, options.credentials ?? grpcCredentials.createInsecure(), {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    // Channelz bookkeeping on every call, for a debugging service nothing here reads.
    'grpc.enable_channelz': 0,
    interceptors: options.token === undefined ? [] : [bearerTokenInterceptor(options.token)],
  });
  const callTimeoutMs = options.callTimeoutMs ?? 15_000;
  const pollGraceMs = options.pollGraceMs ?? 10_000;
  const leaseCalls = options.transport === 'unary' ? unaryTransport(client) : sessionTransport(client);

  const failed = (method: RpcMethod, error: unknown, lease?: LeaseRef): Error => {
    if (isServiceError(error)) {
      if (lease !== undefined && error.code === status.FAILED_PRECONDITION) {
        return new LeaseLostError(trialIdOf(error), lease.fencingToken, error.details);
      }
      if (method === 'PollTrial' && error.code === status.NOT_FOUND) return new UnregisteredAgentError(method, error.code, error.details);
    }
    return toRpcError(method, error);
  };

  /** Hands a lease we cannot run straight back as a failed attempt, with the reason, rather than leaving it to expire silently. */
  const refuse = async (wireLease: Lease, error: unknown, signal: AbortSignal | undefined): Promise<void> => {
    const reason = { kind: error instanceof Error ? error.name : 'WireDecodeError', message: error instanceof Error ? error.message : String(error) };
    const request = { leaseId: wireLease.leaseId, fencingToken: wireLease.fencingToken, ...encodeTrialError(reason) };
    await leaseCalls.fail(request, { deadlineMs: callTimeoutMs, signal }).catch(() => undefined);
  };

  const pollLeases = async (input: { agentId: string; waitMs: number; maxBundle: number }, signal: AbortSignal | undefined): Promise<readonly TrialLease[]> => {
    let response: PollTrialResponse;
    try {
      response = await leaseCalls.poll(input, { deadlineMs: input.waitMs + pollGraceMs, signal });
    } catch (error) {
      throw failed('PollTrial', error);
    }
    const wireLeases = response.bundle.length > 0 ? response.bundle : response.lease === undefined ? [] : [response.lease];
    const leases: TrialLease[] = [];
    let firstError: unknown;
    for (const wireLease of wireLeases) {
      try {
        leases.push(decodeLease(wireLease));
      } catch (error) {
        firstError ??= error;
        await refuse(wireLease, error, signal);
      }
    }
    // One unreadable member costs only its own attempt; the bundle's other members still run.
    if (leases.length === 0 && firstError !== undefined) throw firstError;
    return leases;
  };

  return {
    async register(input: { hostname: string; slots: number; backend: BackendName; version: string }, signal?: AbortSignal): Promise<AgentRegistration> {
      try {
        const response = await callUnary(client.registerAgent.bind(client), input, { deadlineMs: callTimeoutMs, signal });
        return { agentId: response.agentId, heartbeatIntervalMs: response.heartbeatIntervalMs };
      } catch (error) {
        throw failed('RegisterAgent', error);
      }
    },

    async poll(input: { agentId: string; waitMs: number }, signal?: AbortSignal): Promise<TrialLease | null> {
      const leases = await pollLeases({ ...input, maxBundle: 1 }, signal);
      return leases[0] ?? null;
    },

    pollBundle(input: { agentId: string; waitMs: number; maxBundle: number }, signal?: AbortSignal): Promise<readonly TrialLease[]> {
      return pollLeases(input, signal);
    },

    async heartbeat(ref: LeaseRef, epochs: readonly EpochRecord[], signal?: AbortSignal): Promise<HeartbeatDirective> {
      try {
        const request = { leaseId: ref.leaseId, fencingToken: ref.fencingToken, epochs: epochs.map(encodeEpoch) };
        return decodeDirective(await leaseCalls.heartbeat(request, { deadlineMs: callTimeoutMs, signal }));
      } catch (error) {
        throw failed('Heartbeat', error, ref);
      }
    },

    async complete(ref: LeaseRef, result: TrialResult, signal?: AbortSignal): Promise<{ recorded: boolean }> {
      try {
        const request = { leaseId: ref.leaseId, fencingToken: ref.fencingToken, result: encodeTrialResult(result) };
        const response = await leaseCalls.complete(request, { deadlineMs: callTimeoutMs, signal });
        return { recorded: response.recorded };
      } catch (error) {
        throw failed('CompleteTrial', error, ref);
      }
    },

    async fail(ref: LeaseRef, error: TrialErrorInfo, signal?: AbortSignal): Promise<{ requeued: boolean }> {
      try {
        const request = { leaseId: ref.leaseId, fencingToken: ref.fencingToken, ...encodeTrialError(error) };
        const response = await leaseCalls.fail(request, { deadlineMs: callTimeoutMs, signal });
        return { requeued: response.requeued };
      } catch (caught) {
        throw failed('FailTrial', caught, ref);
      }
    },

    close(): void {
      leaseCalls.close();
      client.close();
    },
  };
}
