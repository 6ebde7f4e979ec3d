// Worker child process (dist/agent/worker-main.js, started by WorkerProcess with
// child_process.fork). Loads the backend once, answers `ready`, then trains one trial at a
// time: `run` starts it, `cancel` aborts it through its AbortController (`stop-members` stops
// some members of a fused bundle alone), epochs stream back as they finish (those of one
// event-loop turn in one message) and the result closes it.
// Exits on `shutdown` or when the agent goes away.
import { resolvedFileResolver, type FileResolver } from '../src/artifacts/file-resolver.js';
import { selectBackend } from '../src/train/backend.js';
import type { LogFields, Logger, LogLevel } from '../src/log/logger.js';
import type { BackendName, CancelReason, EpochRecord, TrialResult, TrialSpec } from '../src/trial/types.js';
import { parseBackendRequest, WORKER_BACKEND_ENV, WORKER_CHECKPOINT_DIR_ENV, WORKER_CHECKPOINT_EVERY_ENV, WORKER_FUSE_MEMORY_MB_ENV } from './worker-env.js';
import type { ParentToWorker, TrialEpoch, WorkerToParent } from './worker-protocol.js';
import type { BundlePart } from '../src/train/fused/bundle-part.js';

// Only the backend is loaded before `ready`. The message decoder (zod) and the trainers
// (tfjs-layers) load after it, while the agent registers and polls for the first lease: the
// worker's start-up is on every run's critical path, its first message ~0.1 s later.
async function loadTraining(): Promise<{
  readonly decodeParentMessage: typeof import('./worker-protocol.js').decodeParentMessage;
  readonly runTrial: typeof import('../src/train/trial-runner.js').runTrial;
  readonly runFusedTrials: typeof import('../src/train/fused/fused-runner.js').runFusedTrials;
  readonly resumeFusedTrials: typeof import('../src/train/fused/fused-runner.js').resumeFusedTrials;
  readonly trainsOnKernels: typeof import('../src/train/fused/fused-runner.js').trainsOnKernels;
  readonly notFusableReason: typeof import('../src/train/fused/fused-runner.js').notFusableReason;
  readonly NotFusableError: typeof import('../src/train/fused/not-fusable-error.js').NotFusableError;
}> {
  const [protocol, trialRunner, fusedRunner, notFusable] = await Promise.all([
    import('./worker-protocol.js'),
    import('../src/train/trial-runner.js'),
    import('../src/train/fused/fused-runner.js'),
    import('../src/train/fused/not-fusable-error.js'),
  ]);
  return {
    decodeParentMessage: protocol.decodeParentMessage,
    runTrial: trialRunner.runTrial,
    runFusedTrials: fusedRunner.runFusedTrials,
    resumeFusedTrials: fusedRunner.resumeFusedTrials,
    trainsOnKernels: fusedRunner.trainsOnKernels,
    notFusableReason: fusedRunner.notFusableReason,
    NotFusableError: notFusable.NotFusableError,
  };
}

type Training = Awaited<ReturnType<typeof loadTraining>>;

interface RunningTrial {
  /** The trial, or the first member of a bundle (names it in logs and fatal reports). */
  readonly trialId: string;
  /** Every trial this run trains (one, or a bundle's members): a cancel naming any of them stops it. */
  readonly trialIds: readonly string[];
  readonly controller: AbortController;
  readonly done: Promise<void>;
  /** A fused run takes split requests (null: a single trial, which never splits). */
  readonly split: SplitRequests | null;
  /** A fused run's members told to stop alone (`stop-members`), which the runner reads before each batch (null: a single trial). */
  readonly stopped: Map<string, CancelReason> | null;
}

/**
 * The agent's open request for part of this worker's bundle (at most one): the fused runner asks
 * `wanted()` before each batch where it could split and hands a part to `take()`. Every request is answered once,
 * by `handoff` or `no-handoff`, so the agent never waits on a part that will not come.
 */
class SplitRequests {
  private pending: number | null = null;

  /** A newer request replaces an open one, which is answered now. */
  request(requestId: number): void {
    if (this.pending !== null) void send({ type: 'no-handoff', requestId: this.pending });
    this.pending = requestId;
  }

  withdraw(requestId: number): void {
    if (this.pending === requestId) this.close();
  }

  /** The run is over (or the request withdrawn): an open request gets no part. */
  close(): void {
    if (this.pending === null) return;
    void send({ type: 'no-handoff', requestId: this.pending });
    this.pending = null;
  }

  readonly handoff = {
    wanted: (): boolean => this.pending !== null,
    take: (part: BundlePart): void => {
      const requestId = this.pending;
      if (requestId === null) throw new Error('a bundle part was handed off with no split request open');
      this.pending = null;
      void send({ type: 'handoff', requestId, part });
      logger.info('bundle.handed-off', { trials: part.members.map((member) => member.spec.id), epochsDone: part.epochsDone, batchesDone: part.batchesDone, physical: part.engine.count });
    },
  };
}

type WorkerState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'idle'; readonly backend: BackendName }
  | { readonly kind: 'training'; readonly backend: BackendName; readonly trial: RunningTrial }
  | { readonly kind: 'exiting' };

const sendToParent = process.send?.bind(process);
if (sendToParent === undefined) {
  process.stderr.write('worker-main must be started with child_process.fork (no IPC channel)\n');
  process.exit(2);
}

function transmit(message: WorkerToParent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || sendToParent === undefined) {
      resolve();
      return;
    }
    try {
      sendToParent(message, undefined, undefined, () => resolve());
    } catch {
      // The agent went away mid-send: nobody is left to tell.
      resolve();
    }
  });
}

// A fused bundle ends an epoch for all its members in one synchronous loop: their records wait
// here and leave as one `epochs` message once that turn of the event loop is over, so the
// bundle pays one serialization and pipe write per epoch, and the agent one decode, not one per
// member. Every other message sends them first, so the agent sees the order they happened in.
let pendingEpochs: TrialEpoch[] = [];
let epochFlushScheduled = false;

function sendEpoch(trialId: string, record: EpochRecord): void {
  pendingEpochs.push({ trialId, record });
  if (epochFlushScheduled) return;
  epochFlushScheduled = true;
  setImmediate(() => {
    epochFlushScheduled = false;
    flushEpochs();
  });
}

function flushEpochs(): void {
  if (pendingEpochs.length === 0) return;
  const records = pendingEpochs;
  pendingEpochs = [];
  void transmit({ type: 'epochs', records });
}

/** Sends a message after the epochs finished before it. Resolves once it is written (or the agent is gone). */
function send(message: Exclude<WorkerToParent, { type: 'epochs' }>): Promise<void> {
  flushEpochs();
  return transmit(message);
}

// Only plain data crosses the IPC channel: errors become {name, message}.
function plainFields(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message } : value;
  }
  return out;
}

function ipcLogger(bound: LogFields): Logger {
  const emit = (level: LogLevel, event: string, fields: LogFields = {}): void => {
    void send({ type: 'log', level, event, fields: plainFields({ ...bound, ...fields }) });
  };
  return {
    debug: (event, fields) => emit('debug', event, fields),
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
    child: (fields) => ipcLogger({ ...bound, ...fields }),
  };
}

const logger = ipcLogger({});
let state: WorkerState = { kind: 'loading' };

// Set by the agent (--checkpoint-every): a requeued trial on this machine resumes from its last checkpoint.
const checkpointDir = process.env[WORKER_CHECKPOINT_DIR_ENV] ?? '';
const checkpointEvery = Number(process.env[WORKER_CHECKPOINT_EVERY_ENV] ?? '0');
// Set by the agent (--fuse-memory): the memory budget of a fused bundle, in MiB.
const fuseMemoryMb = Number(process.env[WORKER_FUSE_MEMORY_MB_ENV] ?? '0');
const fusedMemory = Number.isInteger(fuseMemoryMb) && fuseMemoryMb > 0 ? { memoryBudgetBytes: fuseMemoryMb * 2 ** 20 } : {};
const checkpoint = checkpointDir !== '' && Number.isInteger(checkpointEvery) && checkpointEvery > 0 ? { dir: checkpointDir, everyEpochs: checkpointEvery } : undefined;

async function exitWorker(code: number): Promise<never> {
  state = { kind: 'exiting' };
  if (process.connected) process.disconnect();
  process.exit(code);
}

async function fail(trialId: string | null, kind: string, message: string): Promise<never> {
  await send({ type: 'fatal', trialId, error: { kind, message } });
  return exitWorker(1);
}

function startTrial(training: Training, backend: BackendName, message: Extract<ParentToWorker, { type: 'run' }>): RunningTrial {
  const controller = new AbortController();
  const trialId = message.trial.id;
  const options = { backend, files: resolvedFileResolver(message.files), signal: controller.signal, onEpoch: (record: EpochRecord) => sendEpoch(trialId, record), logger: logger.child({ trial: trialId }) };
  // On wasm a lone dense trial trains on the fused kernels as a bundle of one (several times faster than model.fit).
  const { runTrial, runFusedTrials, trainsOnKernels } = training;
  // A model.json is read to see whether its layers have kernels.
  const trained = (checkpoint === undefined ? trainsOnKernels(message.trial, backend, options.files) : Promise.resolve(false)).then(async (onKernels) => {
    if (!onKernels) await logNotFusableOnce(training, message.trial, options.files);
    if (!onKernels) return runTrial(message.trial, { ...options, ...(checkpoint === undefined ? {} : { checkpoint }) });
    const [result] = await runFusedTrials([message.trial], { ...options, onEpoch: (_id: string, record: EpochRecord) => options.onEpoch(record) });
    if (result === undefined) throw new Error(`no result for ${trialId}`);
    return result;
  });
  const done = trained.then(
    async (result) => {
      await send({ type: 'result', result });
      if (state.kind === 'training' && state.trial.trialId === trialId) state = { kind: 'idle', backend };
    },
    // Neither runner rejects for training problems: a rejection is a bug, and this process's last word.
    async (error: unknown) => {
      const name = error instanceof Error ? error.name : 'Error';
      await fail(trialId, name, error instanceof Error ? error.message : String(error));
    },
  );
  return { trialId, trialIds: [trialId], controller, done, split: null, stopped: null };
}

/** Reasons already logged by this worker: a sweep of unfusable trials says why once, not per trial. */
const loggedNotFusable = new Set<string>();

async function logNotFusableOnce(training: Training, trial: TrialSpec, files: FileResolver): Promise<void> {
  const reason = await training.notFusableReason(trial, files);
  if (reason === undefined || loggedNotFusable.has(reason)) return;
  if (loggedNotFusable.size < 100) loggedNotFusable.add(reason);
  logger.info('trial.not-fusable', { trial: trial.id, reason, trainsOn: 'model.fit' });
}

/**
 * Trains a bundle fused. Trials that turn out not fusable (the coordinator groups by fusionKey,
 * so this should not happen) train one after another instead, with the same messages.
 */
async function trainBundle(training: Training, backend: BackendName, trials: readonly TrialSpec[], files: FileResolver, run: FusedRunControls): Promise<TrialResult[]> {
  const { runTrial, runFusedTrials, NotFusableError } = training;
  const { signal, split, stopped } = run;
  try {
    return await runFusedTrials(trials, { backend, files, signal, onEpoch: sendEpoch, logger: logger.child({ bundle: trials.length }), handoff: split.handoff, stopped, ...fusedMemory });
  } catch (error) {
    if (!(error instanceof NotFusableError)) throw error;
    logger.warn('bundle.not-fusable', { trials: error.trialIds, reason: error.reason });
    const results: TrialResult[] = [];
    for (const trial of trials) {
      // One by one, a trial stopped before its turn starts cancelled (one stopped while it trains finishes: rare, this path should not happen).
      const stopReason = stopped.get(trial.id);
      const trialSignal = stopReason === undefined ? signal : AbortSignal.abort(stopReason);
      results.push(await runTrial(trial, { backend, files, signal: trialSignal, onEpoch: (record) => sendEpoch(trial.id, record), logger: logger.child({ trial: trial.id }) }));
    }
    return results;
  }
}

/** What a fused run is steered by while it trains: the whole run's cancel, split requests, and members stopped alone. */
interface FusedRunControls {
  readonly signal: AbortSignal;
  readonly split: SplitRequests;
  readonly stopped: ReadonlyMap<string, CancelReason>;
}

/** A fused run: a bundle from its start, or a part another worker handed off. Results go out as they are, in order. */
function startFused(backend: BackendName, trialIds: readonly string[], train: (run: FusedRunControls) => Promise<TrialResult[]>): RunningTrial {
  const controller = new AbortController();
  const split = new SplitRequests();
  const stopped = new Map<string, CancelReason>();
  const trialId = trialIds[0] ?? '';
  const done = train({ signal: controller.signal, split, stopped }).then(
    async (results) => {
      split.close();
      for (const result of results) await send({ type: 'result', result });
      if (state.kind === 'training' && state.trial.trialId === trialId) state = { kind: 'idle', backend };
    },
    async (error: unknown) => {
      const name = error instanceof Error ? error.name : 'Error';
      await fail(trialId, name, error instanceof Error ? error.message : String(error));
    },
  );
  return { trialId, trialIds, controller, done, split, stopped };
}

async function onMessage(training: Training, raw: unknown): Promise<void> {
  const decoded = training.decodeParentMessage(raw);
  if (!decoded.ok) {
    await fail(state.kind === 'training' ? state.trial.trialId : null, 'WorkerProtocolError', decoded.problem);
    return;
  }
  const message = decoded.message;
  switch (message.type) {
    case 'run':
      if (state.kind !== 'idle') {
        await fail(message.trial.id, 'WorkerProtocolError', `run received while ${state.kind}`);
        return;
      }
      state = { kind: 'training', backend: state.backend, trial: startTrial(training, state.backend, message) };
      return;
    case 'run-bundle':
      if (state.kind !== 'idle') {
        await fail(message.trials[0]?.id ?? null, 'WorkerProtocolError', `run-bundle received while ${state.kind}`);
        return;
      }
      {
        const backend = state.backend;
        const trials = message.trials;
        const files = resolvedFileResolver(message.files);
        state = { kind: 'training', backend, trial: startFused(backend, trials.map((trial) => trial.id), (run) => trainBundle(training, backend, trials, files, run)) };
      }
      return;
    case 'run-part':
      if (state.kind !== 'idle') {
        await fail(message.part.members[0]?.spec.id ?? null, 'WorkerProtocolError', `run-part received while ${state.kind}`);
        return;
      }
      {
        const backend = state.backend;
        const part = message.part;
        const files = resolvedFileResolver(message.files);
        const partLogger = logger.child({ part: part.members.length });
        state = {
          kind: 'training',
          backend,
          trial: startFused(
            backend,
            part.members.map((member) => member.spec.id),
            ({ signal, split, stopped }) => training.resumeFusedTrials(part, { backend, files, signal, onEpoch: sendEpoch, logger: partLogger, handoff: split.handoff, stopped, ...fusedMemory }),
          ),
        };
      }
      return;
    case 'split':
      if (state.kind === 'training' && state.trial.split !== null) state.trial.split.request(message.requestId);
      else await send({ type: 'no-handoff', requestId: message.requestId });
      return;
    case 'split-withdrawn':
      if (state.kind === 'training' && state.trial.split !== null) state.trial.split.withdraw(message.requestId);
      return;
    case 'stop-members':
      // Only members of the running fused run; the rest crossed a handoff or a result (nothing to stop).
      if (state.kind === 'training' && state.trial.stopped !== null) {
        const { stopped, trialIds } = state.trial;
        const own = message.trialIds.filter((id) => trialIds.includes(id) && !stopped.has(id));
        for (const id of own) stopped.set(id, message.reason);
        if (own.length < message.trialIds.length) logger.debug('bundle.stop-ignored', { trials: message.trialIds.filter((id) => !own.includes(id)).slice(0, 10) });
      }
      return;
    case 'cancel':
      // A cancel for a trial that already finished crossed its result: nothing to stop.
      if (state.kind === 'training' && state.trial.trialIds.includes(message.trialId)) {
        state.trial.controller.abort(message.reason);
      }
      return;
    case 'shutdown':
      await shutDown('shutdown');
      return;
  }
}

async function shutDown(reason: CancelReason): Promise<void> {
  const current = state;
  if (current.kind === 'exiting') return;
  state = { kind: 'exiting' };
  if (current.kind === 'training') {
    current.trial.controller.abort(reason);
    await current.trial.done;
  }
  await exitWorker(0);
}

async function main(): Promise<void> {
  // The agent's messages may arrive while the backend or the trainers load; they wait their turn in order.
  const pending: unknown[] = [];
  let handle: ((raw: unknown) => void) | null = null;
  process.on('message', (raw: unknown) => {
    if (handle === null) pending.push(raw);
    else handle(raw);
  });
  // Without its agent a worker has no one to report to: stop now.
  process.on('disconnect', () => {
    if (state.kind === 'training') state.trial.controller.abort('interrupted');
    process.exit(0);
  });

  const requestedText = process.env[WORKER_BACKEND_ENV] ?? process.argv[2] ?? 'auto';
  const requested = parseBackendRequest(requestedText);
  if (requested === null) {
    await fail(null, 'WorkerStartError', `unknown backend "${requestedText}"`);
    return;
  }
  try {
    const selected = await selectBackend(requested, logger);
    state = { kind: 'idle', backend: selected.name };
    await send({ type: 'ready', backend: selected.name, skipped: selected.skipped });
  } catch (error) {
    await fail(null, 'WorkerStartError', error instanceof Error ? error.message : String(error));
    return;
  }
  let training: Training;
  try {
    training = await loadTraining();
  } catch (error) {
    await fail(null, 'WorkerStartError', error instanceof Error ? error.message : String(error));
    return;
  }
  let queue: Promise<void> = Promise.resolve();
  handle = (raw) => {
    queue = queue.then(() => onMessage(training, raw));
  };
  for (const raw of pending.splice(0)) handle(raw);
}

void main();
