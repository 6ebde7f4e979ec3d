// Runtime backend selection. `auto` takes the fastest that loads: tfjs-node-gpu (CUDA) →
// tfjs-node → wasm → cpu. The two native ones are optional peer dependencies (they download
// libtensorflow when installed), so here they are imported by name at run time and a missing
// package is a reason to skip, logged, never a crash. An explicit request never falls back.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Logger } from '../log/logger.js';
import type { BackendName } from '../trial/types.js';

import { BACKEND_NAMES, BackendUnavailableError, type BackendRequest } from './backend-request.js';

export { BACKEND_NAMES, BackendUnavailableError, isBackendRequest, type BackendRequest } from './backend-request.js';

export interface SkippedBackend {
  readonly backend: BackendName;
  readonly reason: string;
}

export interface BackendSelection {
  readonly name: BackendName;
  /** Faster backends `auto` tried first, and why each did not load (empty for an explicit request). */
  readonly skipped: readonly SkippedBackend[];
}

/** Fastest first: the order `auto` tries. */
const AUTO_ORDER = BACKEND_NAMES;

/** The name each backend registers under in tfjs (both native packages register 'tensorflow'). */
const TFJS_NAME: Readonly<Record<BackendName, string>> = {
  'tensorflow-gpu': 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

const PACKAGE: Readonly<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

type LoadOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Whether the package is installed where this module can see it (before importing it). */
function isInstalled(specifier: string): boolean {
  try {
    createRequire(import.meta.url).resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** The wasm binaries ship next to the package's main file; Node needs their path (no fetch from a page URL). */
function configureWasmPaths(wasm: unknown): void {
  const require = createRequire(import.meta.url);
  const directory = path.dirname(require.resolve(PACKAGE.wasm));
  const setWasmPaths: unknown = typeof wasm === 'object' && wasm !== null ? Reflect.get(wasm, 'setWasmPaths') : undefined;
  if (typeof setWasmPaths !== 'function') throw new Error('@tensorflow/tfjs-backend-wasm has no setWasmPaths()');
  // A prefix ending in '/': tfjs picks tfjs-backend-wasm-simd.wasm when the runtime has SIMD (Node ≥ 16
  // does). The threaded build cannot start in Node (its worker is a blob: URL), and tfjs's feature
  // check already reports no multithreading there, so the single-threaded SIMD build is what runs.
  Reflect.apply(setWasmPaths, wasm, [`${directory}${path.sep}`]);
}

async function importBackend(backend: BackendName): Promise<LoadOutcome> {
  const specifier = PACKAGE[backend];
  if (!isInstalled(specifier)) return { ok: false, reason: `${specifier} is not installed` };
  try {
    // A variable specifier: the native packages are optional and have no types installed here.
    const loaded: unknown = await import(specifier);
    if (backend === 'wasm') configureWasmPaths(loaded);
  } catch (error) {
    // Installed but broken: typically libtensorflow or the CUDA libraries missing or mismatched.
    return { ok: false, reason: `${specifier} failed to load: ${firstLine(error)}` };
  }
  if (tf.findBackendFactory(TFJS_NAME[backend]) === null) {
    // The package registered itself with another copy of @tensorflow/tfjs-core than ours.
    return { ok: false, reason: `${specifier} loaded but did not register the "${TFJS_NAME[backend]}" backend with our @tensorflow/tfjs-core` };
  }
  try {
    if (!(await tf.setBackend(TFJS_NAME[backend]))) {
      return { ok: false, reason: `${specifier} loaded but its backend failed to initialize` };
    }
    await tf.ready();
  } catch (error) {
    return { ok: false, reason: `${specifier} failed to initialize: ${firstLine(error)}` };
  }
  return { ok: true };
}

/** One load attempt per backend per process: imports and initialization are not repeated. */
const attempts = new Map<BackendName, Promise<LoadOutcome>>();

function attempt(backend: BackendName): Promise<LoadOutcome> {
  let pending = attempts.get(backend);
  if (pending === undefined) {
    pending = importBackend(backend);
    attempts.set(backend, pending);
  }
  return pending;
}

async function activate(backend: BackendName): Promise<LoadOutcome> {
  const outcome = await attempt(backend);
  if (!outcome.ok) return outcome;
  // Loaded earlier, but another backend may be active since: switching back is cheap.
  if (tf.getBackend() !== TFJS_NAME[backend] && !(await tf.setBackend(TFJS_NAME[backend]))) {
    return { ok: false, reason: `${PACKAGE[backend]} failed to initialize` };
  }
  return outcome;
}

let prodModeSet = false;

function quietTfjs(): void {
  if (prodModeSet) return;
  prodModeSet = true;
  // tfjs prints advice with console.warn (e.g. the cpu backend's "install tfjs-node" banner); we
  // log our own reasons through the Logger instead. Production mode silences those warnings.
  tf.enableProdMode();
}

let autoSelection: Promise<BackendSelection> | undefined;

async function selectAuto(logger: Logger): Promise<BackendSelection> {
  const skipped: SkippedBackend[] = [];
  for (const backend of AUTO_ORDER) {
    const outcome = await activate(backend);
    if (outcome.ok) {
      logger.info('backend.selected', {
        backend,
        requested: 'auto',
        ...(skipped.length > 0 ? { skipped: skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ') } : {}),
      });
      return { name: backend, skipped };
    }
    skipped.push({ backend, reason: outcome.reason });
  }
  // The cpu backend is a regular dependency; reaching this means the install is broken.
  throw new BackendUnavailableError('cpu', skipped.map((s) => `${s.backend}: ${s.reason}`).join('; '));
}

/**
 * Makes `requested` the active tfjs backend (for `auto`, the fastest that loads) and says which
 * one runs and why faster ones were skipped. Safe to call before every trial: loading happens
 * once per process, and `auto` decides (and logs its choice) once. Rejects with
 * BackendUnavailableError when an explicit backend cannot load: no silent fallback.
 */
export async function selectBackend(requested: BackendRequest, logger: Logger): Promise<BackendSelection> {
  quietTfjs();
  if (requested === 'auto') {
    if (autoSelection === undefined) {
      autoSelection = selectAuto(logger);
      return autoSelection;
    }
    const selection = await autoSelection;
    const outcome = await activate(selection.name);
    if (!outcome.ok) throw new BackendUnavailableError(selection.name, outcome.reason);
    return selection;
  }
  const outcome = await activate(requested);
  if (!outcome.ok) throw new BackendUnavailableError(requested, outcome.reason);
  logger.debug('backend.selected', { backend: requested, requested });
  return { name: requested, skipped: [] };
}
