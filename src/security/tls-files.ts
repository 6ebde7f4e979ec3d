// TLS material named by --tls-cert / --tls-key / --tls-ca, read once at the edge into grpc-js
// credentials. With a CA the coordinator also demands and checks client certificates (mutual TLS).
import { readFileSync } from 'node:fs';
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';

export interface TlsFiles {
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly ca?: string | undefined;
}

export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
  constructor(
    readonly option: string,
    readonly problem: string,
  ) {
    super(`${option}: ${problem}`);
  }
}

function readPem(option: string, path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new TlsConfigError(option, `${path} — ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code})`}`);
  }
  if (!bytes.toString('latin1').includes('-----BEGIN ')) throw new TlsConfigError(option, `${path} — not a PEM file`);
  return bytes;
}

/** True when any TLS option was given. */
export function wantsTls(files: TlsFiles): boolean {
  return files.cert !== undefined || files.key !== undefined || files.ca !== undefined;
}

export interface ServerTls {
  readonly credentials: ServerCredentials;
  /** Clients must present a certificate signed by the CA. */
  readonly mutual: boolean;
}

/** Server credentials: cert + key required; a CA turns on client-certificate checks. */
export function serverTlsCredentials(files: TlsFiles): ServerTls {
  if (files.cert === undefined) throw new TlsConfigError('--tls-cert', 'missing — a TLS server needs its certificate (with --tls-key)');
  if (files.key === undefined) throw new TlsConfigError('--tls-key', 'missing — a TLS server needs the private key of --tls-cert');
  const cert = readPem('--tls-cert', files.cert);
  const key = readPem('--tls-key', files.key);
  const ca = files.ca === undefined ? null : readPem('--tls-ca', files.ca);
  return { credentials: ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], ca !== null), mutual: ca !== null };
}

/**
 * Channel credentials: --tls-ca (the CA that signed the coordinator's certificate; the
 * system roots when absent) and, for mutual TLS, --tls-cert + --tls-key together.
 */
export function channelTlsCredentials(files: TlsFiles): ChannelCredentials {
  if ((files.cert === undefined) !== (files.key === undefined)) {
    const missing = files.cert === undefined ? '--tls-cert' : '--tls-key';
    throw new TlsConfigError(missing, 'missing — a client certificate needs both --tls-cert and --tls-key');
  }
  const ca = files.ca === undefined ? null : readPem('--tls-ca', files.ca);
  const key = files.key === undefined ? null : readPem('--tls-key', files.key);
  const cert = files.cert === undefined ? null : readPem('--tls-cert', files.cert);
  return credentials.createSsl(ca, key, cert);
}
