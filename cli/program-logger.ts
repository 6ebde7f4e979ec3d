// The CLI shell decides where log lines go: stderr, in the format the global options ask for.
import type { Command } from 'commander';
import { createStreamLogger, type LogFormat, type Logger, type LogLevel } from '../src/log/logger.js';

function parseLevel(text: string | undefined): LogLevel {
  return text === 'debug' || text === 'warn' || text === 'error' ? text : 'info';
}

/**
 * The logger for a command. `quietDefault` is the level used when the user did not pass
 * --log-level (the embedded run keeps its internals at 'warn' so the progress bar stays readable).
 */
export function programLogger(program: Command, quietDefault?: LogLevel): Logger {
  const { logFormat, logLevel } = program.opts<{ logFormat?: string; logLevel?: string }>();
  const format: LogFormat = logFormat === 'json' ? 'json' : 'pretty';
  const explicit = program.getOptionValueSource('logLevel') === 'cli';
  const level = !explicit && quietDefault !== undefined ? quietDefault : parseLevel(logLevel);
  return createStreamLogger({ format, level, write: (line) => process.stderr.write(`${line}\n`) });
}

/** Resolves with the first SIGTERM / SIGINT, then stops listening for both. */
export function nextStopSignal(signal?: AbortSignal): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    const done = (value: NodeJS.Signals | null): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onSignal = (received: NodeJS.Signals): void => done(received);
    const onAbort = (): void => done(null);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
