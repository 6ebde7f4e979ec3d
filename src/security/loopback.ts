// Whether a listen address is reachable only from this machine: what decides if the
// coordinator may run without a token.
import { isIP } from 'node:net';

/** 'localhost', 127.0.0.0/8, ::1 and ::ffff:127.x are loopback; anything else (0.0.0.0, ::, a name) is not. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === 'localhost') return true;
  if (isIP(lower) === 4) return lower.startsWith('127.');
  if (isIP(lower) === 6) return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
  return false;
}
