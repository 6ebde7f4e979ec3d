// Which backends can be asked for, without loading tfjs: the agent parent process and the CLI's
// option parsing check names here; src/train/backend.ts loads them.
import type { BackendName } from '../trial/types.js';

export type BackendRequest = 'auto' | BackendName;

export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export function isBackendRequest(value: string): value is BackendRequest {
  return value === 'auto' || BACKEND_NAMES.some((name) => name === value);
}
