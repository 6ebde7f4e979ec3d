// `plateau agent`: run trials for a coordinator until SIGTERM/SIGINT, then drain and exit 0.
import { homedir } from 'node:os';
import { isAbsolute } from 'node:path';
import { ArtifactCache, DEFAULT_CACHE_BYTES } from '../../agent/artifact-cache.js';
import { WorkloadFiles } from '../../agent/workload-files.js';
import { createGrpcArtifactClient } from '../../src/rpc/grpc-artifact-client.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Agent, AgentStoppedError } from '../../agent/agent.js';
import { AgentTelemetry } from '../../agent/agent-metrics.js';
import { AgentOptionsError, DEFAULT_FUSE } from '../../agent/agent-options.js';
import { parseBackendRequest, type BackendRequest } from '../../agent/worker-protocol.js';
import { createStreamLogger, type LogFormat, type Logger, type LogLevel } from '../../src/log/logger.js';
import { createGrpcAgentChannel } from '../../src/rpc/grpc-agent-channel.js';
import { UnauthenticatedError } from '../../src/rpc/rpc-errors.js';
import { addClientSecurityOptions, resolveClientSecurity, type ClientSecurity, type SecurityCommandOptions } from '../../src/security/connection-security.js';
import { MetricsServerBindError } from '../../src/metrics/metrics-server.js';
import { ExitCode } from '../exit-codes.js';
import { addMetricsOptions, resolveMetricsEndpoint, startMetricsEndpoint, type MetricsCommandOptions, type MetricsEndpoint } from '../metrics-options.js';
import { MAX_EPOCHS, MAX_FUSE, MAX_FUSE_MEMORY_MB, MAX_SLOTS, OptionValueError, parseByteSize, parseDuration, parseInteger } from '../option-values.js';

interface AgentCommandOptions extends SecurityCommandOptions, MetricsCommandOptions {
  readonly coordinator: string;
  readonly slots?: string;
  readonly gpus?: string;
  readonly backend: string;
  readonly drain: string;
  readonly epochTimeout?: string;
  readonly maxOldSpace?: string;
  readonly checkpointEvery?: string;
  readonly checkpointDir?: string;
  readonly fuse?: string;
  readonly fuseMemory?: string;
  readonly cacheDir?: string;
  readonly cacheSize?: string;
  readonly allowPaths?: string;
}

interface ParsedAgentCommand {
  readonly coordinator: string;
  readonly slots: number | undefined;
  readonly gpus: readonly number[] | undefined;
  readonly backend: BackendRequest;
  readonly drainMs: number;
  readonly epochTimeoutMs: number | undefined;
  readonly maxOldSpaceMb: number | undefined;
  readonly checkpoint: { readonly dir: string; readonly everyEpochs: number } | undefined;
  readonly fuse: number | undefined;
  readonly fuseMemoryMb: number | undefined;
  readonly cacheDir: string;
  readonly cacheBytes: number;
  readonly allowPaths: readonly string[];
}

/** '0,1' → [0, 1]. */
export function parseGpuList(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => !/^\d+$/.test(part))) throw new OptionValueError('--gpus', text, 'GPU indices separated by commas, e.g. 0,1');
  const gpus = parts.map(Number);
  if (new Set(gpus).size !== gpus.length) throw new OptionValueError('--gpus', text, 'distinct GPU indices');
  return gpus;
}

export function parseAgentCommand(options: AgentCommandOptions): ParsedAgentCommand {
  if (!/^[^\s:]+:\d+$/.test(options.coordinator) && !/^\[[^\]]+\]:\d+$/.test(options.coordinator)) {
    throw new OptionValueError('--coordinator', options.coordinator, 'HOST:PORT, e.g. coordinator.internal:50051');
  }
  const backend = parseBackendRequest(options.backend);
  if (backend === null) throw new OptionValueError('--backend', options.backend, 'auto, tensorflow-gpu, tensorflow, wasm or cpu');
  return {
    coordinator: options.coordinator,
    slots: options.slots === undefined ? undefined : parseInteger(options.slots, '--slots', { max: MAX_SLOTS, what: 'of slots' }),
    gpus: options.gpus === undefined ? undefined : parseGpuList(options.gpus),
    backend,
    drainMs: parseDuration(options.drain, '--drain', { allowZero: true }),
    epochTimeoutMs: options.epochTimeout === undefined ? undefined : parseDuration(options.epochTimeout, '--epoch-timeout', { minMs: 1_000, minReason: 'a shorter timeout kills workers whose epochs are merely slow' }),
    maxOldSpaceMb: options.maxOldSpace === undefined ? undefined : parseInteger(options.maxOldSpace, '--max-old-space', { min: 64, max: 1_048_576, what: 'of MiB' }),
    checkpoint:
      options.checkpointEvery === undefined
        ? undefined
        : { dir: resolve(options.checkpointDir ?? join(tmpdir(), 'plateau-checkpoints')), everyEpochs: parseInteger(options.checkpointEvery, '--checkpoint-every', { max: MAX_EPOCHS, what: 'of epochs' }) },
    fuse: options.fuse === undefined ? undefined : parseInteger(options.fuse, '--fuse', { max: MAX_FUSE, what: 'of trials' }),
    fuseMemoryMb: options.fuseMemory === undefined ? undefined : parseInteger(options.fuseMemory, '--fuse-memory', { max: MAX_FUSE_MEMORY_MB, what: 'of MiB' }),
    cacheDir: resolve(options.cacheDir ?? defaultCacheDir()),
    cacheBytes: options.cacheSize === undefined ? DEFAULT_CACHE_BYTES : parseByteSize(options.cacheSize, '--cache-size'),
    allowPaths: options.allowPaths === undefined ? [] : parseAllowPaths(options.allowPaths),
  };
}

/** Where blobs are cached unless --cache-dir says: the OS's per-user cache directory. */
export function defaultCacheDir(): string {
  const base = process.env['XDG_CACHE_HOME'] ?? (process.platform === 'darwin' ? join(homedir(), 'Library', 'Caches') : join(homedir(), '.cache'));
  return join(base, 'plateau', 'artifacts');
}

/** --allow-paths DIR[,DIR]: absolute directories whose files a spec's shared paths may name. */
export function parseAllowPaths(text: string): string[] {
  const dirs = text.split(',').map((dir) => dir.trim()).filter((dir) => dir !== '');
  if (dirs.length === 0 || dirs.some((dir) => !isAbsolute(dir))) throw new OptionValueError('--allow-paths', text, 'absolute directories separated by commas, e.g. /mnt/data');
  return dirs.map((dir) => resolve(dir));
}

function programLogger(program: Command): Logger {
  const { logFormat, logLevel } = program.opts<{ logFormat?: string; logLevel?: string }>();
  const format: LogFormat = logFormat === 'json' ? 'json' : 'pretty';
  const level: LogLevel = logLevel === 'debug' || logLevel === 'warn' || logLevel === 'error' ? logLevel : 'info';
  return createStreamLogger({ format, level, write: (line) => process.stderr.write(`${line}\n`) });
}

export function registerAgentCommand(program: Command): void {
  const command = program
    .command('agent')
    .description('run trials for a coordinator: one worker process per slot (per GPU with --gpus)')
    .addHelpText('after', '\nExample:\n  $ plateau agent --coordinator coordinator.internal:50051 --gpus 0,1 --backend tensorflow-gpu\n\nExit codes: 0 drained after SIGTERM/SIGINT, 2 a bad option or a refused token.\n')
    .requiredOption('--coordinator <host:port>', 'the coordinator to pull trials from')
    .option('--slots <n>', 'trials run at once (default: the number of --gpus, else 1)')
    .option('--gpus <list>', 'GPU indices, e.g. 0,1: one slot per GPU, each worker sees only its GPU')
    .option('--backend <name>', 'auto | tensorflow-gpu | tensorflow | wasm | cpu', 'auto')
    .option('--drain <duration>', 'on SIGTERM, how long running trials may finish before they are handed back', '30s')
    .option('--epoch-timeout <duration>', 'kill a worker whose trial finishes no epoch in this long')
    .option('--max-old-space <MiB>', 'heap limit per worker process')
    .option('--checkpoint-every <epochs>', 'save each trial\'s training state every N epochs; a requeued trial resumes from it (default: off)')
    .option('--checkpoint-dir <dir>', 'where checkpoints go, one folder per trial (default: <tmp>/plateau-checkpoints)')
    .option('--fuse <k>', `train up to K compatible trials of a sweep at once in one slot, as one fused model; 1 turns fusion off (default: ${DEFAULT_FUSE}, or 1 with --checkpoint-every)`)
    .option('--fuse-memory <mb>', 'memory one slot\'s fused bundle may hold (estimated from the network); a bigger bundle trains in chunks (default: 1024)')
    .option('--cache-dir <dir>', 'where datasets and models fetched from the coordinator are kept, by sha256 (default: $XDG_CACHE_HOME/plateau/artifacts, else ~/.cache/plateau/artifacts)')
    .option('--cache-size <size>', 'most the cache may hold; least recently used blobs go first, never one in use (default: 20GiB)')
    .option('--allow-paths <dirs>', 'directories (comma-separated) whose files a spec may name with `location: shared`, read in place (default: none)');
  addClientSecurityOptions(addMetricsOptions(command, 9465)).action(async (raw: AgentCommandOptions) => {
    const logger = programLogger(program);
    let parsed: ParsedAgentCommand;
    let security: ClientSecurity;
    let metricsEndpoint: MetricsEndpoint | null;
    let agent: Agent;
    try {
      parsed = parseAgentCommand(raw);
      security = resolveClientSecurity(raw);
      metricsEndpoint = resolveMetricsEndpoint(command, raw);
    } catch (error) {
      logger.error('agent.bad-option', { error });
      process.exitCode = ExitCode.badInput;
      return;
    }
    const channel = createGrpcAgentChannel(parsed.coordinator, security);
    const artifactClient = createGrpcArtifactClient(parsed.coordinator, security);
    const cache = new ArtifactCache({ dir: parsed.cacheDir, maxBytes: parsed.cacheBytes, client: artifactClient, logger });
    try {
      agent = new Agent({
        files: new WorkloadFiles(cache, parsed.allowPaths),
        channel,
        ...(parsed.slots === undefined ? {} : { slots: parsed.slots }),
        ...(parsed.gpus === undefined ? {} : { gpus: parsed.gpus }),
        ...(parsed.epochTimeoutMs === undefined ? {} : { epochTimeoutMs: parsed.epochTimeoutMs }),
        ...(parsed.maxOldSpaceMb === undefined ? {} : { maxOldSpaceMb: parsed.maxOldSpaceMb }),
        ...(parsed.checkpoint === undefined ? {} : { checkpoint: parsed.checkpoint }),
        ...(parsed.fuse === undefined ? {} : { fuse: parsed.fuse }),
        ...(parsed.fuseMemoryMb === undefined ? {} : { fuseMemoryMb: parsed.fuseMemoryMb }),
        backend: parsed.backend,
        logger,
      });
    } catch (error) {
      channel.close();
      if (!(error instanceof AgentOptionsError)) throw error;
      logger.error('agent.bad-option', { error });
      process.exitCode = ExitCode.badInput;
      return;
    }
    let telemetry: AgentTelemetry | null = null;
    if (metricsEndpoint !== null) {
      try {
        telemetry = await startMetricsEndpoint(metricsEndpoint, logger, (host, port) => AgentTelemetry.start({ host, port, agent, logger }));
      } catch (error) {
        channel.close();
        if (!(error instanceof MetricsServerBindError)) throw error;
        logger.error('agent.cannot-serve-metrics', { address: error.address, reason: error.reason });
        process.exitCode = ExitCode.badInput;
        return;
      }
      // Scripts and tests that pass --metrics-port 0 read the bound port from this line.
      if (telemetry !== null) process.stdout.write(`agent metrics on ${telemetry.url}\n`);
    }

    // The first SIGTERM/SIGINT drains; a second one cuts the drain short.
    let stopping: Promise<void> | null = null;
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info('agent.signal', { signal, draining: stopping === null });
      telemetry?.markStopping();
      stopping = agent.stop({ drainMs: stopping === null ? parsed.drainMs : 0 });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const stopped = new Promise<void>((resolve) => agent.on('stopped', () => resolve()));
    // A refused token never starts working by itself: stop with a clear error instead of retrying forever.
    let refused: UnauthenticatedError | null = null;
    agent.on('connection-lost', ({ error }) => {
      if (!(error instanceof UnauthenticatedError) || refused !== null) return;
      refused = error;
      logger.error('agent.unauthenticated', { coordinator: parsed.coordinator, reason: error.details });
      stopping = agent.stop({ drainMs: 0 });
    });
    try {
      await agent.start();
      // Scripts and tests wait for this line before they send work or signals.
      process.stdout.write(`agent started (${agent.slots} slots, backend ${agent.backendName ?? 'unknown'})\n`);
      await stopped;
      process.exitCode = refused === null ? ExitCode.ok : ExitCode.badInput;
    } catch (error) {
      if (error instanceof AgentStoppedError) {
        // A signal arrived while the workers were still loading: a clean stop all the same.
        await agent.stop();
        process.exitCode = ExitCode.ok;
      } else {
        logger.error('agent.failed', { error });
        await agent.stop({ drainMs: 0 });
        process.exitCode = ExitCode.sweepFailed;
      }
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      cache.close();
      artifactClient.close();
      channel.close();
      await telemetry?.close();
    }
  });
}
