// One structured event per call. Library code takes a Logger; only the CLI shell
// decides where lines go and in which format (`--log-format json|pretty`).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'pretty' | 'json';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger whose every line also carries `fields` (e.g. component, agent id). */
  child(fields: LogFields): Logger;
}

const LEVEL_ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface StreamLoggerOptions {
  readonly format: LogFormat;
  readonly level: LogLevel;
  readonly write: (line: string) => void;
  readonly now?: () => Date;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value) ?? String(value);
}

function serializable(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message } : value;
  }
  return out;
}

export function createStreamLogger(options: StreamLoggerOptions, bound: LogFields = {}): Logger {
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, event: string, fields: LogFields = {}): void => {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[options.level]) return;
    const all = { ...bound, ...fields };
    if (options.format === 'json') {
      options.write(JSON.stringify({ time: now().toISOString(), level, event, ...serializable(all) }));
      return;
    }
    const tail = Object.entries(all)
      .map(([key, value]) => `${key}=${formatValue(value)}`)
      .join(' ');
    const time = now().toISOString().slice(11, 19);
    options.write(`${time} ${level.toUpperCase().padEnd(5)} ${event}${tail ? ` ${tail}` : ''}`);
  };
  return {
    debug: (event, fields) => emit('debug', event, fields),
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
    child: (fields) => createStreamLogger(options, { ...bound, ...fields }),
  };
}

/** A logger that drops everything: the default for library calls and tests. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
