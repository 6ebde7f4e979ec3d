// The Coordinator's options, compiled once into a fully-defaulted internal form.
import { randomUUID } from 'node:crypto';
import { silentLogger, type Logger } from '../src/log/logger.js';
import { DEFAULT_MAX_ARTIFACT_BYTES } from './artifact-store.js';

export interface CoordinatorOptions {
  /** Directory of the SQLite store (created if missing). */
  readonly dataDir: string;
  /** A lease whose heartbeats stop for this long is expired and its trial requeued. Default 30 s. */
  readonly leaseTimeoutMs?: number;
  /** What agents are told to heartbeat at. Default a third of the lease timeout. */
  readonly heartbeatIntervalMs?: number;
  /** How often the owned timer looks for expired leases; 0 turns the timer off (tests call checkLeases). */
  readonly expiryCheckIntervalMs?: number;
  /** Longest a PollTrial may be held, whatever the agent asks. Default 60 s. */
  readonly maxPollWaitMs?: number;
  /** Least time between two progress events of one watch. Default 250 ms. */
  readonly watchThrottleMs?: number;
  /** Milliseconds since the epoch; injected so lease expiry is testable without waiting. */
  readonly clock?: () => number;
  readonly logger?: Logger;
  /** Recorded in every results document's environment (e.g. { 'plateau-sweep': '0.1.0' }). */
  readonly versions?: Readonly<Record<string, string>>;
  readonly newId?: () => string;
  /** Largest blob an upload may announce (`--max-artifact-size`). Default 8 GiB. */
  readonly maxArtifactBytes?: number;
}

export interface ResolvedCoordinatorOptions {
  readonly dataDir: string;
  readonly leaseTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly expiryCheckIntervalMs: number;
  readonly maxPollWaitMs: number;
  readonly watchThrottleMs: number;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly versions: Readonly<Record<string, string>>;
  readonly newId: () => string;
  readonly maxArtifactBytes: number;
}

export class CoordinatorOptionsError extends Error {
  override readonly name = 'CoordinatorOptionsError';
  constructor(
    readonly option: string,
    readonly found: unknown,
    readonly expected: string,
  ) {
    super(`${option}: ${String(found)} — expected ${expected}`);
  }
}

function positive(option: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new CoordinatorOptionsError(option, value, 'a positive number of milliseconds');
  return value;
}

function positiveBytes(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new CoordinatorOptionsError(option, value, 'a positive number of bytes');
  return value;
}

export function resolveCoordinatorOptions(options: CoordinatorOptions): ResolvedCoordinatorOptions {
  const leaseTimeoutMs = positive('leaseTimeoutMs', options.leaseTimeoutMs ?? 30_000);
  const heartbeatIntervalMs = positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? Math.max(1, Math.floor(leaseTimeoutMs / 3)));
  if (heartbeatIntervalMs >= leaseTimeoutMs) {
    throw new CoordinatorOptionsError('heartbeatIntervalMs', heartbeatIntervalMs, `less than the lease timeout (${leaseTimeoutMs} ms)`);
  }
  const expiryCheckIntervalMs = options.expiryCheckIntervalMs ?? Math.min(1_000, Math.max(10, Math.floor(leaseTimeoutMs / 4)));
  if (!Number.isFinite(expiryCheckIntervalMs) || expiryCheckIntervalMs < 0) {
    throw new CoordinatorOptionsError('expiryCheckIntervalMs', expiryCheckIntervalMs, '0 (off) or a positive number of milliseconds');
  }
  return {
    dataDir: options.dataDir,
    leaseTimeoutMs,
    heartbeatIntervalMs,
    expiryCheckIntervalMs,
    maxPollWaitMs: positive('maxPollWaitMs', options.maxPollWaitMs ?? 60_000),
    watchThrottleMs: options.watchThrottleMs ?? 250,
    clock: options.clock ?? Date.now,
    logger: options.logger ?? silentLogger,
    versions: options.versions ?? {},
    newId: options.newId ?? randomUUID,
    maxArtifactBytes: positiveBytes('maxArtifactBytes', options.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES),
  };
}
