// `plateau coordinator`: serve sweeps to clients and trials to agents until SIGTERM/SIGINT.
import type { Command } from 'commander';
import { InsecureExposureError } from '../../../coordinator/auth.js';
import { CoordinatorTelemetry } from '../../../coordinator/coordinator-telemetry.js';
import { DEFAULT_MAX_TRIALS_PER_SWEEP, ServerBindError, startCoordinatorServer } from '../../../coordinator/grpc-server.js';
import { StoreOpenError, StoreSchemaError } from '../../../coordinator/sweep-store.js';
import { MetricsServerBindError } from '../../metrics/metrics-server.js';
import { addMetricsOptions, resolveMetricsEndpoint, startMetricsEndpoint, type MetricsCommandOptions, type MetricsEndpoint } from '../metrics-options.js';
import { addServerSecurityOptions, resolveServerSecurity, type SecurityCommandOptions, type ServerSecurity } from '../../security/connection-security.js';
import { ExitCode } from '../exit-codes.js';
import { nextStopSignal, programLogger } from '../program-logger.js';

const durationUnits: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export class DurationError extends Error {
  override readonly name = 'DurationError';
  constructor(
    readonly option: string,
    readonly found: string,
  ) {
    super(`${option}: "${found}" — expected a duration such as 30s, 500ms, 2m`);
  }
}

/** '30s' | '500ms' | '2m' | '1h' | '1500' (milliseconds) → milliseconds. */
export function parseDurationMs(text: string, option: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  const amount = match?.[1];
  if (match === null || amount === undefined) throw new DurationError(option, text);
  const ms = Number(amount) * (durationUnits[match[2] ?? 'ms'] ?? 1);
  if (!Number.isFinite(ms) || ms <= 0) throw new DurationError(option, text);
  return Math.round(ms);
}

function parsePort(text: string): number | undefined {
  const port = Number(text);
  return Number.isInteger(port) && port >= 0 && port <= 65_535 ? port : undefined;
}

export class MaxTrialsOptionError extends Error {
  override readonly name = 'MaxTrialsOptionError';
  constructor(readonly found: string) {
    super(`--max-trials: ${JSON.stringify(found)} — expected a whole number ≥ 1`);
  }
}

function parseMaxTrials(text: string): number {
  const value = /^[0-9]{1,12}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw new MaxTrialsOptionError(text);
  return value;
}

interface CoordinatorCommandOptions extends SecurityCommandOptions, MetricsCommandOptions {
  readonly host: string;
  readonly port: string;
  readonly dataDir: string;
  readonly leaseTimeout: string;
  readonly maxTrials: string;
}

export function registerCoordinatorCommand(program: Command): void {
  const command = program
    .command('coordinator')
    .description('serve sweeps (SubmitSweep, WatchSweep…) and trials (PollTrial, Heartbeat…) over gRPC')
    .addHelpText('after', '\nExample:\n  $ plateau coordinator --port 50051 --data-dir /var/lib/plateau --metrics-port 9464\n\nExit codes: 0 stopped by SIGTERM/SIGINT, 2 a bad option, an unusable store or a port it cannot bind.\n')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '50051')
    .requiredOption('--data-dir <dir>', 'directory of the SQLite store (created if missing; reopening resumes)')
    .option('--lease-timeout <duration>', 'requeue a trial whose heartbeats stop for this long', '30s')
    .option('--max-trials <count>', 'refuse sweeps of more trials than this, whatever the client allows', String(DEFAULT_MAX_TRIALS_PER_SWEEP));
  addServerSecurityOptions(addMetricsOptions(command, 9464)).action(async (options: CoordinatorCommandOptions) => {
    const logger = programLogger(program);
    const port = parsePort(options.port);
    let leaseTimeoutMs: number;
    let maxTrialsPerSweep: number;
    let security: ServerSecurity;
    let metricsEndpoint: MetricsEndpoint | null;
    try {
      leaseTimeoutMs = parseDurationMs(options.leaseTimeout, '--lease-timeout');
      maxTrialsPerSweep = parseMaxTrials(options.maxTrials);
      security = resolveServerSecurity(options);
      metricsEndpoint = resolveMetricsEndpoint(command, options);
    } catch (error) {
      logger.error('coordinator.bad-option', { error });
      process.exitCode = ExitCode.badInput;
      return;
    }
    if (port === undefined) {
      logger.error('coordinator.bad-option', { option: '--port', found: options.port, expected: 'an integer in [0, 65535]' });
      process.exitCode = ExitCode.badInput;
      return;
    }
    // Listen for signals before starting, so a SIGTERM during start-up still shuts down cleanly.
    const startFailed = new AbortController();
    const stop = nextStopSignal(startFailed.signal);
    let running;
    let telemetry: CoordinatorTelemetry | null = null;
    try {
      if (metricsEndpoint !== null) {
        telemetry = await startMetricsEndpoint(metricsEndpoint, logger, (host, metricsPort) =>
          CoordinatorTelemetry.start({ host, port: metricsPort, dataDir: options.dataDir, logger }),
        );
      }
      const observeCall = telemetry?.observeCall;
      running = await startCoordinatorServer({
        host: options.host,
        port,
        dataDir: options.dataDir,
        leaseTimeoutMs,
        maxTrialsPerSweep,
        logger,
        ...security,
        ...(observeCall === undefined ? {} : { observeCall }),
      });
    } catch (error) {
      startFailed.abort();
      await telemetry?.close();
      if (error instanceof MetricsServerBindError) {
        logger.error('coordinator.cannot-serve-metrics', { address: error.address, reason: error.reason });
        process.exitCode = ExitCode.badInput;
        return;
      }
      if (error instanceof StoreOpenError || error instanceof StoreSchemaError) {
        logger.error('coordinator.bad-store', { file: error.file, reason: error.message });
        process.exitCode = ExitCode.badInput;
        return;
      }
      if (error instanceof InsecureExposureError) {
        logger.error('coordinator.insecure', { host: error.host, reason: error.reason });
        process.exitCode = ExitCode.badInput;
        return;
      }
      if (!(error instanceof ServerBindError)) throw error;
      logger.error('coordinator.cannot-listen', { address: error.address, reason: error.reason });
      process.exitCode = ExitCode.badInput;
      return;
    }
    // Scripts and tests that pass --port 0 read the bound address from this line.
    process.stdout.write(`coordinator listening on ${running.address}\n`);
    if (telemetry !== null) {
      telemetry.attach(running);
      process.stdout.write(`coordinator metrics on ${telemetry.url}\n`);
    }
    const signal = await stop;
    logger.info('coordinator.stopping', { signal });
    await running.close();
    await telemetry?.close();
  });
}
