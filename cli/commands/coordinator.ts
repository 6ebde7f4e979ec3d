// `plateau coordinator`: serve sweeps to clients and trials to agents until SIGTERM/SIGINT.
import type { Command } from 'commander';
import { InsecureExposureError } from '../../coordinator/auth.js';
import { CoordinatorTelemetry } from '../../coordinator/coordinator-telemetry.js';
import { DEFAULT_MAX_TRIALS_PER_SWEEP, ServerBindError, startCoordinatorServer } from '../../coordinator/grpc-server.js';
import { StoreOpenError, StoreSchemaError } from '../../coordinator/sweep-store.js';
import { MetricsServerBindError } from '../../src/metrics/metrics-server.js';
import { addMetricsOptions, resolveMetricsEndpoint, startMetricsEndpoint, type MetricsCommandOptions, type MetricsEndpoint } from '../metrics-options.js';
import { addServerSecurityOptions, resolveServerSecurity, type SecurityCommandOptions, type ServerSecurity } from '../../src/security/connection-security.js';
import { ExitCode } from '../exit-codes.js';
import { nextStopSignal, programLogger } from '../program-logger.js';
import { parseByteSize, parseDuration, parseInteger, parsePort } from '../option-values.js';

/** Agents heartbeat at a third of the lease: below a second, one slow round trip loses a healthy lease. */
const MIN_LEASE_TIMEOUT_MS = 1_000;

interface CoordinatorCommandOptions extends SecurityCommandOptions, MetricsCommandOptions {
  readonly host: string;
  readonly port: string;
  readonly dataDir: string;
  readonly leaseTimeout: string;
  readonly maxArtifactSize: string;
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
    .option('--max-artifact-size <size>', 'largest file (dataset, model) a client may upload, e.g. 8GiB, 512MiB', '8GiB')
    .option('--max-trials <count>', 'refuse sweeps of more trials than this, whatever the client allows', String(DEFAULT_MAX_TRIALS_PER_SWEEP));
  addServerSecurityOptions(addMetricsOptions(command, 9464)).action(async (options: CoordinatorCommandOptions) => {
    const logger = programLogger(program);
    let port: number;
    let leaseTimeoutMs: number;
    let maxArtifactBytes: number;
    let maxTrialsPerSweep: number;
    let security: ServerSecurity;
    let metricsEndpoint: MetricsEndpoint | null;
    try {
      port = parsePort(options.port, '--port');
      leaseTimeoutMs = parseDuration(options.leaseTimeout, '--lease-timeout', {
        minMs: MIN_LEASE_TIMEOUT_MS,
        minReason: 'agents heartbeat three times per lease; a shorter lease expires on one slow round trip',
      });
      maxArtifactBytes = parseByteSize(options.maxArtifactSize, '--max-artifact-size');
      maxTrialsPerSweep = parseInteger(options.maxTrials, '--max-trials', { what: 'of trials' });
      security = resolveServerSecurity(options);
      metricsEndpoint = resolveMetricsEndpoint(command, options);
    } catch (error) {
      logger.error('coordinator.bad-option', { error });
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
        maxArtifactBytes,
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
