// `plateau coordinator`: serve sweeps to clients and trials to agents until SIGTERM/SIGINT.
import type { Command } from 'commander';
import { ServerBindError, startCoordinatorServer } from '../../../coordinator/grpc-server.js';
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

interface CoordinatorCommandOptions {
  readonly host: string;
  readonly port: string;
  readonly dataDir: string;
  readonly leaseTimeout: string;
}

export function registerCoordinatorCommand(program: Command): void {
  program
    .command('coordinator')
    .description('serve sweeps (SubmitSweep, WatchSweep…) and trials (PollTrial, Heartbeat…) over gRPC')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '50051')
    .requiredOption('--data-dir <dir>', 'directory of the SQLite store (created if missing; reopening resumes)')
    .option('--lease-timeout <duration>', 'requeue a trial whose heartbeats stop for this long', '30s')
    .action(async (options: CoordinatorCommandOptions) => {
      const logger = programLogger(program);
      const port = parsePort(options.port);
      let leaseTimeoutMs: number;
      try {
        leaseTimeoutMs = parseDurationMs(options.leaseTimeout, '--lease-timeout');
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
      try {
        running = await startCoordinatorServer({ host: options.host, port, dataDir: options.dataDir, leaseTimeoutMs, logger });
      } catch (error) {
        startFailed.abort();
        if (!(error instanceof ServerBindError)) throw error;
        logger.error('coordinator.cannot-listen', { address: error.address, reason: error.reason });
        process.exitCode = ExitCode.badInput;
        return;
      }
      // Scripts and tests that pass --port 0 read the bound address from this line.
      process.stdout.write(`coordinator listening on ${running.address}\n`);
      const signal = await stop;
      logger.info('coordinator.stopping', { signal });
      await running.close();
    });
}
