// The shared secret that lets agents and clients in: read once at the edge (a file, or
// PLATEAU_TOKEN), sent as `authorization: Bearer <token>` metadata, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Environment variable that carries the token when no --token-file is given. */
export const TOKEN_ENV = 'PLATEAU_TOKEN';

/** gRPC metadata key of the token (lower case, as HTTP/2 sends it). */
export const authorizationMetadataKey = 'authorization';

/** Shortest token accepted: a guessable secret protects nothing. */
export const minTokenLength = 16;

export class AccessTokenError extends Error {
  override readonly name = 'AccessTokenError';
  constructor(
    /** Where the token came from: '--token-file <path>' or 'PLATEAU_TOKEN'. */
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
  }
}

function checked(token: string, source: string): string {
  if (token === '') throw new AccessTokenError(source, 'the token is empty');
  if (token.length < minTokenLength) throw new AccessTokenError(source, `the token is ${token.length} characters — use at least ${minTokenLength} (e.g. \`openssl rand -hex 32\`)`);
  if (/[\s\0]/.test(token) || !/^[\x21-\x7e]+$/.test(token)) {
    throw new AccessTokenError(source, 'the token must be printable ASCII without spaces (it travels as an HTTP/2 header)');
  }
  return token;
}

/**
 * The token from `tokenFile` (trailing newline ignored), else from `env.PLATEAU_TOKEN`, else
 * undefined. Throws AccessTokenError for an unreadable file or an unusable token.
 */
export function readAccessToken(input: { readonly tokenFile?: string | undefined; readonly env?: NodeJS.ProcessEnv }): string | undefined {
  if (input.tokenFile !== undefined) {
    const source = `--token-file ${input.tokenFile}`;
    let text: string;
    try {
      text = readFileSync(input.tokenFile, 'utf8');
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
      throw new AccessTokenError(source, code === 'ENOENT' ? 'no such file' : `cannot be read (${code})`);
    }
    return checked(text.replace(/\r?\n$/, ''), source);
  }
  const fromEnv = (input.env ?? process.env)[TOKEN_ENV];
  if (fromEnv === undefined || fromEnv === '') return undefined;
  return checked(fromEnv, TOKEN_ENV);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Constant-time comparison: both sides are hashed first, so the comparison neither leaks
 * the token's length nor stops at the first differing byte.
 */
export function tokensMatch(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token of an `authorization` header value, or null when it is not a Bearer token. */
export function bearerToken(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer ([\x21-\x7e]+)$/.exec(header);
  return match?.[1] ?? null;
}

export function bearerHeader(token: string): string {
  return `Bearer ${token}`;
}
