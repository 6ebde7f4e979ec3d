// A Logger that keeps every line, so tests can wait on and assert what a component logged.
import type { LogFields, Logger, LogLevel } from '../../src/log/logger.js';

export interface LoggedLine {
  readonly level: LogLevel;
  readonly event: string;
  readonly fields: LogFields;
}

export interface RecordingLogger {
  readonly logger: Logger;
  readonly lines: LoggedLine[];
  /** Resolves with the first line (already logged or still to come) that matches. */
  waitFor(event: string, match?: (fields: LogFields) => boolean): Promise<LoggedLine>;
}

export function recordingLogger(): RecordingLogger {
  const lines: LoggedLine[] = [];
  const waiters: { event: string; match: (fields: LogFields) => boolean; resolve: (line: LoggedLine) => void }[] = [];
  const make = (bound: LogFields): Logger => {
    const emit = (level: LogLevel, event: string, fields: LogFields = {}): void => {
      const line = { level, event, fields: { ...bound, ...fields } };
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.event === event && waiter.match(line.fields)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    };
    return {
      debug: (event, fields) => emit('debug', event, fields),
      info: (event, fields) => emit('info', event, fields),
      warn: (event, fields) => emit('warn', event, fields),
      error: (event, fields) => emit('error', event, fields),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return {
    logger: make({}),
    lines,
    waitFor(event, match = () => true) {
      const seen = lines.find((line) => line.event === event && match(line.fields));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ event, match, resolve }));
    },
  };
}
