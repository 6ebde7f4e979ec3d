// The client half of token auth: a grpc-js interceptor that puts the token on every call,
// over plaintext loopback and TLS alike (grpc-js call credentials refuse insecure channels).
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { authorizationMetadataKey, bearerHeader } from './access-token.js';

export function bearerTokenInterceptor(token: string): Interceptor {
  const header = bearerHeader(token);
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(authorizationMetadataKey, header);
        next(metadata, listener);
      },
    });
}
