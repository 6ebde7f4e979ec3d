// Public API of plateau-sweep.
export type * from './trial/types.js';
export type { Logger, LogFields, LogFormat, LogLevel } from './log/logger.js';
export { createStreamLogger, silentLogger } from './log/logger.js';
