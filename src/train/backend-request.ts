// Which backends can be asked for, without loading tfjs: the agent parent process and the CLI's
// option parsing check names here; src/train/backend.ts loads them.
import type { BackendName } from '../trial/types.js';

export type BackendRequest = 'auto' | BackendName;

export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export function isBackendRequest(value: string): value is BackendRequest {
  return value === 'auto' || BACKEND_NAMES.some((name) => name === value);
}

/** An explicitly requested backend that cannot run in this process. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  constructor(
    readonly backend: BackendName,
    readonly reason: string,
  ) {
    super(`backend "${backend}" is unavailable: ${reason}`);
  }
}
