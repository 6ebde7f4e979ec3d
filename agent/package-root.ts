// Where the agent's worker entry lies, the same way from dist/ (built JS) and from sources (vitest).
import { join } from 'node:path';
import { findPackageRoot } from '../src/package-root.js';

/** The built worker entry that `child_process.fork` starts. */
export function workerEntryPath(): string {
  return join(findPackageRoot(import.meta.url), 'dist', 'agent', 'worker-main.js');
}
