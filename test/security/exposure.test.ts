// When the coordinator may listen without authenticating its callers.
import { describe, expect, it } from 'vitest';
import { decideExposure, type ExposureInput } from '../../coordinator/auth.js';
import { isLoopbackHost } from '../../src/security/loopback.js';

const open: ExposureInput = { host: '0.0.0.0', token: false, mutualTls: false, tls: false, insecure: false };

describe('loopback addresses', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '[::]', '10.0.0.5', 'coordinator.internal', '128.0.0.1', ''])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('the exposure policy', () => {
  it('lets loopback go without authentication', () => {
    expect(decideExposure({ ...open, host: '127.0.0.1' })).toEqual({ kind: 'allow' });
  });

  it('refuses an address off loopback with neither a token nor mutual TLS, and says how to fix it', () => {
    const decision = decideExposure(open);
    expect(decision.kind).toBe('refuse');
    if (decision.kind === 'refuse') expect(decision.reason).toMatch(/--token-file.*PLATEAU_TOKEN.*--insecure/);
  });

  it('allows a token over TLS without a warning', () => {
    expect(decideExposure({ ...open, token: true, tls: true })).toEqual({ kind: 'allow' });
  });

  it('allows mutual TLS without a token', () => {
    expect(decideExposure({ ...open, mutualTls: true, tls: true })).toEqual({ kind: 'allow' });
  });

  it('warns about a token that would travel in plaintext', () => {
    expect(decideExposure({ ...open, token: true })).toMatchObject({ kind: 'allow', warning: expect.stringMatching(/plaintext/) });
  });

  it('lets --insecure through with a warning', () => {
    expect(decideExposure({ ...open, insecure: true })).toMatchObject({ kind: 'allow', warning: expect.stringMatching(/no authentication/) });
  });
});
