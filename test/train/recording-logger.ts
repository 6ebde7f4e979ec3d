// A Logger that keeps what it was told, for asserting on log events.
import type { LogFields, Logger } from '../../src/log/logger.js';

export interface LoggedEvent {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly event: string;
  readonly fields: LogFields;
}

export function recordingLogger(events: LoggedEvent[] = [], bound: LogFields = {}): Logger & { readonly events: LoggedEvent[] } {
  const emit = (level: LoggedEvent['level']) => (event: string, fields: LogFields = {}) => {
    events.push({ level, event, fields: { ...bound, ...fields } });
  };
  return {
    events,
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => recordingLogger(events, { ...bound, ...fields }),
  };
}
