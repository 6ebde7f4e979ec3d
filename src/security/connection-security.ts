// The security options every networked command shares (--token-file, --tls-*, --insecure),
// declared once and compiled once into what startCoordinatorServer / the gRPC clients take.
import type { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import type { Command } from 'commander';
import { readAccessToken, TOKEN_ENV } from './access-token.js';
import { channelTlsCredentials, serverTlsCredentials, wantsTls } from './tls-files.js';

export interface SecurityCommandOptions {
  readonly tokenFile?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsCa?: string;
  readonly insecure?: boolean;
}

export interface ServerSecurity {
  readonly token?: string;
  readonly credentials?: ServerCredentials;
  readonly mutualTls: boolean;
  readonly insecure: boolean;
}

export interface ClientSecurity {
  readonly token?: string;
  readonly credentials?: ChannelCredentials;
}

function addTokenOption(command: Command): Command {
  return command.option('--token-file <path>', `file holding the shared access token (default: $${TOKEN_ENV})`);
}

export function addServerSecurityOptions(command: Command): Command {
  return addTokenOption(command)
    .option('--tls-cert <pem>', 'serve TLS with this certificate (chain)')
    .option('--tls-key <pem>', 'private key of --tls-cert')
    .option('--tls-ca <pem>', 'require client certificates signed by this CA (mutual TLS)')
    .option('--insecure', 'allow listening off loopback with neither a token nor mutual TLS');
}

export function addClientSecurityOptions(command: Command): Command {
  return addTokenOption(command)
    .option('--tls-ca <pem>', 'connect with TLS, trusting this CA for the coordinator\'s certificate')
    .option('--tls-cert <pem>', 'client certificate for mutual TLS (with --tls-key)')
    .option('--tls-key <pem>', 'private key of --tls-cert');
}

/** Throws AccessTokenError / TlsConfigError (exit code 2 at the CLI). */
export function resolveServerSecurity(options: SecurityCommandOptions, env: NodeJS.ProcessEnv = process.env): ServerSecurity {
  const token = readAccessToken({ tokenFile: options.tokenFile, env });
  const files = { cert: options.tlsCert, key: options.tlsKey, ca: options.tlsCa };
  const tls = wantsTls(files) ? serverTlsCredentials(files) : undefined;
  return {
    ...(token === undefined ? {} : { token }),
    ...(tls === undefined ? {} : { credentials: tls.credentials }),
    mutualTls: tls?.mutual ?? false,
    insecure: options.insecure === true,
  };
}

/** Throws AccessTokenError / TlsConfigError (exit code 2 at the CLI). */
export function resolveClientSecurity(options: SecurityCommandOptions, env: NodeJS.ProcessEnv = process.env): ClientSecurity {
  const token = readAccessToken({ tokenFile: options.tokenFile, env });
  const files = { cert: options.tlsCert, key: options.tlsKey, ca: options.tlsCa };
  const credentials = wantsTls(files) ? channelTlsCredentials(files) : undefined;
  return { ...(token === undefined ? {} : { token }), ...(credentials === undefined ? {} : { credentials }) };
}
