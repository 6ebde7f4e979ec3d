// The token's rules: where it is read from, what makes it unusable, how it is compared.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessTokenError, bearerHeader, bearerToken, readAccessToken, tokensMatch } from '../../src/security/access-token.js';
import { goodToken, removeTempDirs, tempDir } from './fixtures.js';

afterEach(() => removeTempDirs());

describe('reading the access token', () => {
  it('reads the token file and ignores its trailing newline', () => {
    const file = join(tempDir(), 'token');
    writeFileSync(file, `${goodToken}\n`);
    expect(readAccessToken({ tokenFile: file, env: {} })).toBe(goodToken);
  });

  it('prefers --token-file over PLATEAU_TOKEN', () => {
    const file = join(tempDir(), 'token');
    writeFileSync(file, goodToken);
    expect(readAccessToken({ tokenFile: file, env: { PLATEAU_TOKEN: 'another-token-0123456789' } })).toBe(goodToken);
  });

  it('falls back to PLATEAU_TOKEN, and to no token at all', () => {
    expect(readAccessToken({ env: { PLATEAU_TOKEN: goodToken } })).toBe(goodToken);
    expect(readAccessToken({ env: {} })).toBeUndefined();
  });

  it('names the file that cannot be read', () => {
    const missing = join(tempDir(), 'nope');
    expect(() => readAccessToken({ tokenFile: missing, env: {} })).toThrow(AccessTokenError);
    expect(() => readAccessToken({ tokenFile: missing, env: {} })).toThrow(`--token-file ${missing}: no such file`);
  });

  it.each([
    ['an empty token', ''],
    ['a short token', 'short'],
    ['a token with spaces', 'has spaces in it, 0123456789'],
    ['a token with a non-ASCII character', 'tøken-0123456789abcdef'],
  ])('refuses %s', (_name, token) => {
    const file = join(tempDir(), 'token');
    writeFileSync(file, token);
    expect(() => readAccessToken({ tokenFile: file, env: {} })).toThrow(AccessTokenError);
  });
});

describe('comparing tokens', () => {
  it('matches the same token and refuses any other, whatever its length', () => {
    expect(tokensMatch(goodToken, goodToken)).toBe(true);
    expect(tokensMatch(`${goodToken}x`, goodToken)).toBe(false);
    expect(tokensMatch(goodToken.slice(0, -1), goodToken)).toBe(false);
    expect(tokensMatch('', goodToken)).toBe(false);
  });

  it('reads a Bearer header back to its token, and nothing else', () => {
    expect(bearerToken(bearerHeader(goodToken))).toBe(goodToken);
    expect(bearerToken(`Basic ${goodToken}`)).toBeNull();
    expect(bearerToken('Bearer ')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken(Buffer.from(goodToken))).toBeNull();
  });
});
