// What a worker reads from its environment before it can train: which backend to load and the
// agent's settings. Kept apart from worker-protocol.ts (zod schemas) so a worker can say `ready`
// before the message decoder has loaded.
import { isBackendRequest, type BackendRequest } from '../src/train/backend-request.js';

/** The backend a worker is asked to load, or null for a name no backend has (src/train/backend.ts decides). */
export function parseBackendRequest(value: string): BackendRequest | null {
  return isBackendRequest(value) ? value : null;
}

/** Environment variable that tells a worker which backend to load (argv[2] also works). */
export const WORKER_BACKEND_ENV = 'PLATEAU_WORKER_BACKEND';

/** Where a worker keeps trial checkpoints, and every how many epochs it saves one (both set, or neither). */
export const WORKER_CHECKPOINT_DIR_ENV = 'PLATEAU_CHECKPOINT_DIR';
export const WORKER_CHECKPOINT_EVERY_ENV = 'PLATEAU_CHECKPOINT_EVERY';

/** The memory budget (MiB) of a worker's fused bundles; the trainer's default when unset. */
export const WORKER_FUSE_MEMORY_MB_ENV = 'PLATEAU_FUSE_MEMORY_MB';
