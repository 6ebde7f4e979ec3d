// The Agent's options, compiled once at the edge into a fully-defaulted, validated form.
import { hostname as osHostname } from 'node:os';
import { silentLogger, type Logger } from '../src/log/logger.js';
import type { AgentChannel } from '../src/rpc/agent-channel.js';
import { defaultReconnectBackoff, type BackoffPolicy } from './backoff.js';
import { packageVersion } from '../src/package-root.js';
import type { BackendRequest } from './worker-protocol.js';

export interface AgentOptions {
  /**
   * The coordinator. A promise lets the workers start loading before the coordinator is
   * reachable (`plateau run` starts both at once); the agent registers once it resolves.
   */
  readonly channel: AgentChannel | Promise<AgentChannel>;
  /** Trials run at once: one worker process each. Defaults to the number of GPUs when gpus are given. */
  readonly slots?: number;
  /** GPU indices; slot i gets CUDA_VISIBLE_DEVICES=gpus[i mod gpus.length]. */
  readonly gpus?: readonly number[];
  readonly backend: BackendRequest;
  readonly logger?: Logger;
  /** How long one PollTrial may wait for work. Default 30 s. */
  readonly pollWaitMs?: number;
  readonly hostname?: string;
  /** Least time between heartbeats that carry new epochs. Default 1 s. */
  readonly epochFlushMs?: number;
  /** Kill a worker whose trial finishes no epoch in this long (a hang). Default: no limit. */
  readonly epochTimeoutMs?: number;
  /** How long a cancelled trial may take to stop before its worker is killed. Default 30 s. */
  readonly cancelGraceMs?: number;
  /** Heap limit per worker, in MiB (a trial over it crashes its worker only). Default: Node's. */
  readonly maxOldSpaceMb?: number;
  /** Backoff between retries of failed coordinator calls. */
  readonly reconnect?: BackoffPolicy;
  /** In [0, 1): the jitter source (injected so tests are deterministic). */
  readonly random?: () => number;
  /** The worker entry script; defaults to this package's dist/agent/worker-main.js. */
  readonly workerEntryPath?: string;
  /** Reported at registration; defaults to this package's version. */
  readonly version?: string;
  /** Workers save each trial's training state every `everyEpochs` epochs under `dir`; a requeued trial resumes from it. Off when absent. */
  readonly checkpoint?: { readonly dir: string; readonly everyEpochs: number };
  /**
   * Most trials one slot trains at once as a fused bundle (1 = fusion off). Default
   * DEFAULT_FUSE, or 1 when checkpoints are on (a fused bundle does not checkpoint).
   */
  readonly fuse?: number;
  /** Memory (MiB) one slot's fused bundle may hold; a bundle beyond it trains in chunks. Default: the trainer's (1 GiB). */
  readonly fuseMemoryMb?: number;
  /**
   * A slot with nothing to poll takes over part of another slot's bundle once its schedules have
   * parted (work stealing between this agent's workers). Default true.
   */
  readonly steal?: boolean;
  /** How long an idle slot waits for a busy bundle to split before it polls the coordinator again. Default 1 s. */
  readonly stealWaitMs?: number;
}

/**
 * Bundle size asked for by default. The fused trainer's memory grows with K only by each
 * member's weights, optimizer state and activations (the data set is shared), which for the
 * small dense models that are fusable is far below a worker's heap at this size.
 */
export const DEFAULT_FUSE = 32;

export interface ResolvedAgentOptions {
  readonly channel: AgentChannel | Promise<AgentChannel>;
  readonly slots: number;
  /** One entry per slot: its GPU, or null. */
  readonly slotGpus: readonly (number | null)[];
  readonly backend: BackendRequest;
  readonly logger: Logger;
  readonly pollWaitMs: number;
  readonly hostname: string;
  readonly epochFlushMs: number;
  readonly epochTimeoutMs: number | undefined;
  readonly cancelGraceMs: number;
  readonly maxOldSpaceMb: number | undefined;
  readonly reconnect: BackoffPolicy;
  readonly random: () => number;
  readonly workerEntryPath: string | undefined;
  readonly version: string;
  readonly checkpoint: { readonly dir: string; readonly everyEpochs: number } | undefined;
  readonly fuse: number;
  readonly fuseMemoryMb: number | undefined;
  readonly steal: boolean;
  readonly stealWaitMs: number;
}

export class AgentOptionsError extends Error {
  override readonly name = 'AgentOptionsError';
  constructor(
    readonly option: string,
    readonly found: unknown,
    readonly expected: string,
  ) {
    super(`${option}: ${JSON.stringify(found) ?? String(found)} — expected ${expected}`);
  }
}

function positiveInteger(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new AgentOptionsError(option, value, 'a positive integer');
  return value;
}

function positiveMs(option: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new AgentOptionsError(option, value, 'a positive number of milliseconds');
  return value;
}

export function resolveAgentOptions(options: AgentOptions): ResolvedAgentOptions {
  const gpus = options.gpus ?? [];
  for (const [index, gpu] of gpus.entries()) {
    if (!Number.isInteger(gpu) || gpu < 0) throw new AgentOptionsError(`gpus[${index}]`, gpu, 'a GPU index (integer ≥ 0)');
  }
  if (new Set(gpus).size !== gpus.length) throw new AgentOptionsError('gpus', gpus, 'distinct GPU indices');
  const slots = positiveInteger('slots', options.slots ?? (gpus.length > 0 ? gpus.length : 1));
  const reconnect = options.reconnect ?? defaultReconnectBackoff;
  positiveMs('reconnect.baseMs', reconnect.baseMs);
  if (reconnect.capMs < reconnect.baseMs) throw new AgentOptionsError('reconnect.capMs', reconnect.capMs, `at least reconnect.baseMs (${reconnect.baseMs})`);
  return {
    channel: options.channel,
    slots,
    slotGpus: Array.from({ length: slots }, (_, slot) => (gpus.length > 0 ? (gpus[slot % gpus.length] ?? null) : null)),
    backend: options.backend,
    logger: options.logger ?? silentLogger,
    pollWaitMs: positiveMs('pollWaitMs', options.pollWaitMs ?? 30_000),
    hostname: options.hostname ?? osHostname(),
    epochFlushMs: positiveMs('epochFlushMs', options.epochFlushMs ?? 1_000),
    epochTimeoutMs: options.epochTimeoutMs === undefined ? undefined : positiveMs('epochTimeoutMs', options.epochTimeoutMs),
    cancelGraceMs: positiveMs('cancelGraceMs', options.cancelGraceMs ?? 30_000),
    maxOldSpaceMb: options.maxOldSpaceMb === undefined ? undefined : positiveInteger('maxOldSpaceMb', options.maxOldSpaceMb),
    reconnect,
    random: options.random ?? Math.random,
    workerEntryPath: options.workerEntryPath,
    version: options.version ?? packageVersion(),
    checkpoint:
      options.checkpoint === undefined
        ? undefined
        : { dir: options.checkpoint.dir, everyEpochs: positiveInteger('checkpoint.everyEpochs', options.checkpoint.everyEpochs) },
    fuse: positiveInteger('fuse', options.fuse ?? (options.checkpoint === undefined ? DEFAULT_FUSE : 1)),
    fuseMemoryMb: options.fuseMemoryMb === undefined ? undefined : positiveInteger('fuseMemoryMb', options.fuseMemoryMb),
    steal: options.steal ?? true,
    stealWaitMs: positiveMs('stealWaitMs', options.stealWaitMs ?? 1_000),
  };
}
