// Who may talk to the coordinator. A server interceptor refuses, before any handler runs,
// every call whose `authorization: Bearer` token does not match (UNAUTHENTICATED), and a
// pure policy decides whether a listen address may go without a token at all.
import { ResponderBuilder, ServerInterceptingCall, ServerListenerBuilder, status, type ServerInterceptor } from '@grpc/grpc-js';
import { authorizationMetadataKey, bearerToken, tokensMatch } from '../src/security/access-token.js';
import { isLoopbackHost } from '../src/security/loopback.js';

/** Health checks reveal nothing and must work for probes that carry no token (kubelet, grpc_health_probe). */
const UNAUTHENTICATED_SERVICE_PREFIX = '/grpc.health.v1.Health/';

/** Every call must carry `token` (except health checks); the check costs the same whatever the caller sent. */
export function tokenAuthInterceptor(token: string, onRejected?: (peer: string) => void): ServerInterceptor {
  return (method, call) => {
    if (method.path.startsWith(UNAUTHENTICATED_SERVICE_PREFIX)) return new ServerInterceptingCall(call);
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const presented = bearerToken(metadata.get(authorizationMetadataKey)[0]);
        if (presented !== null && tokensMatch(presented, token)) {
          next(metadata);
          return;
        }
        onRejected?.(call.getPeer());
        call.sendStatus({
          code: status.UNAUTHENTICATED,
          details:
            presented === null
              ? 'this coordinator requires a token: pass --token-file or set PLATEAU_TOKEN'
              : 'the token was refused: it does not match the coordinator\'s',
        });
      })
      .build();
    const responder = new ResponderBuilder().withStart((next) => next(listener)).build();
    return new ServerInterceptingCall(call, responder);
  };
}

export interface ExposureInput {
  readonly host: string;
  readonly token: boolean;
  /** TLS with client certificates checked against a CA. */
  readonly mutualTls: boolean;
  readonly tls: boolean;
  /** --insecure: the operator accepts an open coordinator off loopback. */
  readonly insecure: boolean;
}

export type ExposureDecision =
  | { readonly kind: 'allow'; readonly warning?: string }
  | { readonly kind: 'refuse'; readonly reason: string };

/**
 * Off loopback, something must authenticate callers: a token or client certificates.
 * `--insecure` overrides, and a token over plaintext off loopback is allowed with a warning.
 */
export function decideExposure(input: ExposureInput): ExposureDecision {
  if (isLoopbackHost(input.host)) return { kind: 'allow' };
  if (input.token || input.mutualTls) {
    if (!input.tls) return { kind: 'allow', warning: `the token travels in plaintext to ${input.host}: add --tls-cert/--tls-key unless the network is private` };
    return { kind: 'allow' };
  }
  if (input.insecure) return { kind: 'allow', warning: `listening on ${input.host} with no authentication (--insecure): anyone who reaches the port can submit sweeps and take trials` };
  return {
    kind: 'refuse',
    reason: `refusing to listen on ${input.host} without authentication — pass --token-file FILE (or set PLATEAU_TOKEN), use mutual TLS (--tls-ca with --tls-cert/--tls-key), or pass --insecure`,
  };
}

/** Thrown by startCoordinatorServer when decideExposure refuses. */
export class InsecureExposureError extends Error {
  override readonly name = 'InsecureExposureError';
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}
