// Token auth and (mutual) TLS over real gRPC on 127.0.0.1, through the adapters agents and
// clients use. Certificates are made with openssl at test time; without openssl the TLS
// cases are skipped.
import { rmSync } from 'node:fs';
import { credentials } from '@grpc/grpc-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InsecureExposureError } from '../../coordinator/auth.js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '../../gen/grpc/health/v1/health.js';
import { startCoordinatorServer, type CoordinatorServerOptions, type RunningCoordinator } from '../../coordinator/grpc-server.js';
import { createGrpcAgentChannel, type GrpcAgentChannelOptions } from '../../src/rpc/grpc-agent-channel.js';
import { createGrpcSweepClient, type GrpcSweepClientOptions } from '../../src/rpc/grpc-sweep-client.js';
import { CoordinatorUnavailableError, UnauthenticatedError } from '../../src/rpc/rpc-errors.js';
import { channelTlsCredentials, serverTlsCredentials } from '../../src/security/tls-files.js';
import { goodToken, hasOpenssl, makeCertificates, removeTempDirs, tempDir, wrongToken, type TestCertificates } from './fixtures.js';
import { describeWithTool } from '../support/required-tool.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeTempDirs();
});

async function serve(options: Partial<CoordinatorServerOptions> = {}): Promise<RunningCoordinator> {
  const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir: tempDir(), expiryCheckIntervalMs: 0, ...options });
  cleanups.push(() => server.close());
  return server;
}

/** ListSweeps through a sweep client: resolves with the error it failed with, or 'ok'. */
async function listWith(server: RunningCoordinator, options: GrpcSweepClientOptions): Promise<unknown> {
  const client = createGrpcSweepClient(server.address, { callTimeoutMs: 5_000, ...options });
  try {
    await client.list();
    return 'ok';
  } catch (error) {
    return error;
  } finally {
    client.close();
  }
}

async function registerWith(server: RunningCoordinator, options: GrpcAgentChannelOptions): Promise<unknown> {
  const channel = createGrpcAgentChannel(server.address, { callTimeoutMs: 5_000, ...options });
  try {
    await channel.register({ hostname: 'h', slots: 1, backend: 'cpu', version: '0' });
    return 'ok';
  } catch (error) {
    return error;
  } finally {
    channel.close();
  }
}

describe('a coordinator that requires a token', () => {
  it('serves a client and an agent that send the token', async () => {
    const server = await serve({ token: goodToken });
    expect(await listWith(server, { token: goodToken })).toBe('ok');
    expect(await registerWith(server, { token: goodToken })).toBe('ok');
  });

  it('refuses a client without a token as UNAUTHENTICATED, saying how to pass one', async () => {
    const server = await serve({ token: goodToken });
    const error = await listWith(server, {});
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect((error as UnauthenticatedError).message).toMatch(/ListSweeps: UNAUTHENTICATED: .*--token-file or set PLATEAU_TOKEN/);
  });

  it('refuses a wrong token from an agent as UNAUTHENTICATED', async () => {
    const server = await serve({ token: goodToken });
    const error = await registerWith(server, { token: wrongToken });
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect((error as UnauthenticatedError).details).toMatch(/refused/);
  });

  it('answers gRPC health checks without a token, for probes that cannot carry one', async () => {
    const server = await serve({ token: goodToken });
    const client = new HealthClient(server.address, credentials.createInsecure());
    try {
      const response = await new Promise<{ status: HealthCheckResponse_ServingStatus }>((resolve, reject) =>
        client.check({ service: '' }, (error, answer) => (error === null ? resolve(answer) : reject(error))),
      );
      expect(response.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      client.close();
    }
  });

  it('runs no handler for a refused call: nothing is registered or stored', async () => {
    const server = await serve({ token: goodToken });
    await registerWith(server, { token: wrongToken });
    expect(await registerWith(server, { token: goodToken })).toBe('ok');
    expect(server.coordinator.listSweeps()).toEqual([]);
  });
});

describe('listening off loopback', () => {
  it('refuses to start without a token, mutual TLS or insecure', async () => {
    await expect(startCoordinatorServer({ host: '0.0.0.0', port: 0, dataDir: tempDir() })).rejects.toBeInstanceOf(InsecureExposureError);
  });

  it('starts with a token', async () => {
    const server = await serve({ host: '0.0.0.0', token: goodToken });
    expect(server.port).toBeGreaterThan(0);
  });

  it('starts with insecure', async () => {
    const server = await serve({ host: '0.0.0.0', insecure: true });
    expect(server.port).toBeGreaterThan(0);
  });
});

describeWithTool('openssl', hasOpenssl(), 'TLS and mutual TLS on 127.0.0.1', () => {
  let certs: TestCertificates | undefined;
  const certificates = (): TestCertificates => (certs ??= makeCertificates());
  afterAll(() => {
    if (certs !== undefined) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('serves a client that trusts the CA, and a token still applies', async () => {
    const c = certificates();
    const tls = serverTlsCredentials({ cert: c.serverCert, key: c.serverKey });
    const server = await serve({ credentials: tls.credentials, token: goodToken });
    const credentials = channelTlsCredentials({ ca: c.caCert });
    expect(await listWith(server, { credentials, token: goodToken })).toBe('ok');
    expect(await listWith(server, { credentials })).toBeInstanceOf(UnauthenticatedError);
  });

  it('cannot be reached in plaintext', async () => {
    const c = certificates();
    const server = await serve({ credentials: serverTlsCredentials({ cert: c.serverCert, key: c.serverKey }).credentials });
    expect(await listWith(server, { callTimeoutMs: 2_000 })).toBeInstanceOf(CoordinatorUnavailableError);
  });

  it('with mutual TLS, serves a client certificate from its CA and refuses none or a stranger\'s', async () => {
    const c = certificates();
    const tls = serverTlsCredentials({ cert: c.serverCert, key: c.serverKey, ca: c.caCert });
    expect(tls.mutual).toBe(true);
    const server = await serve({ credentials: tls.credentials, mutualTls: true });
    expect(await registerWith(server, { credentials: channelTlsCredentials({ ca: c.caCert, cert: c.clientCert, key: c.clientKey }) })).toBe('ok');
    expect(await registerWith(server, { credentials: channelTlsCredentials({ ca: c.caCert }), callTimeoutMs: 2_000 })).toBeInstanceOf(CoordinatorUnavailableError);
    expect(
      await registerWith(server, { credentials: channelTlsCredentials({ ca: c.caCert, cert: c.strangerCert, key: c.strangerKey }), callTimeoutMs: 2_000 }),
    ).toBeInstanceOf(CoordinatorUnavailableError);
  });

  it('lets mutual TLS stand in for a token off loopback', async () => {
    const c = certificates();
    const tls = serverTlsCredentials({ cert: c.serverCert, key: c.serverKey, ca: c.caCert });
    const server = await serve({ host: '0.0.0.0', credentials: tls.credentials, mutualTls: true });
    expect(server.port).toBeGreaterThan(0);
  });
});
