// What the client commands (submit, status, watch, results, cancel) share: the
// --coordinator option, one client per command, and turning a failed call into a message
// that names the coordinator's address and the documented exit code.
import { relative } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { Command } from 'commander';
import { ResultsDocumentError } from '../src/results/parse-results.js';
import { createGrpcSweepClient } from '../src/rpc/grpc-sweep-client.js';
import { CoordinatorRpcError, CoordinatorUnavailableError, InvalidRequestError, SweepNotFoundError } from '../src/rpc/rpc-errors.js';
import type { SweepClient } from '../src/rpc/sweep-client.js';
import { AccessTokenError, TOKEN_ENV } from '../src/security/access-token.js';
import { addClientSecurityOptions, resolveClientSecurity, type SecurityCommandOptions } from '../src/security/connection-security.js';
import { TlsConfigError } from '../src/security/tls-files.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { AmbiguousSweepNameError } from './sweep-reference.js';

export const DEFAULT_COORDINATOR = '127.0.0.1:50051';

/** Unary calls give up after this long: a client command should fail, not hang. */
const CLIENT_CALL_TIMEOUT_MS = 15_000;

export const CLIENT_EXIT_CODES_HELP = `
Exit codes:
  0    ok
  1    the sweep failed, or the coordinator could not be reached
  2    bad input: an invalid spec or option, or a sweep id the coordinator does not know
  130  interrupted (Ctrl-C)`;

export class CoordinatorAddressError extends Error {
  override readonly name = 'CoordinatorAddressError';
  constructor(readonly found: string) {
    super(`--coordinator: "${found}" — expected HOST:PORT, e.g. 127.0.0.1:50051 or coordinator.internal:50051`);
  }
}

export function parseCoordinatorAddress(text: string): string {
  const trimmed = text.trim();
  if (!/^[^\s:/]+:\d{1,5}$/.test(trimmed) && !/^\[[^\]\s]+\]:\d{1,5}$/.test(trimmed)) throw new CoordinatorAddressError(text);
  return trimmed;
}

/** What every client command takes: where the coordinator is and how to prove who we are. */
export interface CoordinatorConnectionOptions extends SecurityCommandOptions {
  readonly coordinator: string;
}

/** --coordinator plus the shared --token-file / --tls-* options. */
export function addCoordinatorOption(command: Command): Command {
  return addClientSecurityOptions(command.option('--coordinator <host:port>', 'address of a running `plateau coordinator`', DEFAULT_COORDINATOR));
}

/** grpc-js's text for an unreachable server ("No connection established. Last error: …") told as one reason a person reads. */
export function unreachableReason(details: string): string {
  if (/ECONNREFUSED/.test(details)) return 'nothing listens there';
  if (/ENOTFOUND|EAI_AGAIN|Name resolution failed|DNS resolution failed/i.test(details)) return 'the host name does not resolve';
  if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|Deadline exceeded/i.test(details)) return 'no answer in time';
  if (/ECONNRESET|EPIPE/.test(details)) return 'the connection was reset';
  if (/SSL|TLS|certificate|handshake/i.test(details)) return 'the TLS handshake failed (check --tls-ca, and whether it serves TLS at all)';
  return 'no connection could be made';
}

/**
 * The message and exit code for an error a client command expects (unreachable coordinator,
 * unknown sweep, refused request, invalid results); undefined for anything else (a bug).
 */
export function describeClientError(error: unknown, address: string): { message: string; exitCode: ExitCodeValue } | undefined {
  if (error instanceof CoordinatorAddressError || error instanceof AccessTokenError || error instanceof TlsConfigError) return { message: error.message, exitCode: ExitCode.badInput };
  if (error instanceof SweepNotFoundError) {
    return {
      message: `no sweep with the id or name "${error.sweepId}" on the coordinator at ${address} — \`plateau status --coordinator ${address}\` lists its sweeps`,
      exitCode: ExitCode.badInput,
    };
  }
  if (error instanceof AmbiguousSweepNameError) return { message: error.message, exitCode: ExitCode.badInput };
  if (error instanceof CoordinatorUnavailableError) {
    return {
      message: `cannot reach a coordinator at ${address}: ${unreachableReason(error.details)} — start one with \`plateau coordinator --data-dir DIR\`, or point at a running one with --coordinator HOST:PORT`,
      exitCode: ExitCode.sweepFailed,
    };
  }
  if (error instanceof CoordinatorRpcError && (error.code === status.UNAUTHENTICATED || error.code === status.PERMISSION_DENIED)) {
    return {
      message: `the coordinator at ${address} refused our credentials (${error.details}) — pass its token with --token-file or $${TOKEN_ENV}, and --tls-ca if it serves TLS`,
      exitCode: ExitCode.badInput,
    };
  }
  if (error instanceof InvalidRequestError) return { message: `the coordinator at ${address} refused the request: ${error.details}`, exitCode: ExitCode.badInput };
  if (error instanceof CoordinatorRpcError) return { message: `the coordinator at ${address} failed: ${error.message}`, exitCode: ExitCode.sweepFailed };
  if (error instanceof ResultsDocumentError) return { message: error.message, exitCode: ExitCode.sweepFailed };
  return undefined;
}

/**
 * Runs `body` with a client for `--coordinator` and returns the exit code: `body`'s, or the
 * documented one for an expected failure (printed to stderr). The client is always closed.
 */
export async function runClientCommand(
  options: CoordinatorConnectionOptions,
  body: (client: SweepClient, address: string) => Promise<ExitCodeValue>,
): Promise<ExitCodeValue> {
  let address = options.coordinator;
  let client: SweepClient | undefined;
  try {
    address = parseCoordinatorAddress(options.coordinator);
    client = createGrpcSweepClient(address, { ...resolveClientSecurity(options), callTimeoutMs: CLIENT_CALL_TIMEOUT_MS });
    return await body(client, address);
  } catch (error) {
    const described = describeClientError(error, address);
    if (described === undefined) throw error;
    process.stderr.write(`${described.message}\n`);
    return described.exitCode;
  } finally {
    client?.close();
  }
}

/** A folder name people can read from the sweep's name (runs/<name>). */
export function resultsFolderName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'sweep' : cleaned;
}

/** A path as the user should see it: relative to where they are, unless that means climbing out. */
export function displayPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere === '' || fromHere.startsWith('..') ? path : fromHere;
}
