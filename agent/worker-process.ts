// Parent side of one worker child process: spawns it, runs one trial at a time in it, and
// turns every way a child can die (exit, signal, OOM, hang) into a typed rejection. A dead
// child is replaced by a fresh one on the next run, so a crash costs only its own trial.
import type { ResolvedFiles } from '../src/artifacts/file-resolver.js';
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { silentLogger, type Logger } from '../src/log/logger.js';
import type { BundlePart } from '../src/train/fused/bundle-part.js';
import type { BackendName, CancelReason, EpochRecord, TrialResult, TrialSpec } from '../src/trial/types.js';
import { workerEntryPath } from './package-root.js';
import {
  WorkerBusyError,
  WorkerClosedError,
  WorkerCrashedError,
  WorkerFatalError,
  WorkerProtocolError,
  WorkerStartError,
  WorkerTimeoutError,
} from './worker-errors.js';
import {
  decodeWorkerMessage,
  toCancelReason,
  WORKER_BACKEND_ENV,
  type BackendRequest,
  type ParentToWorker,
  type SkippedBackend,
  type WorkerToParent,
} from './worker-protocol.js';

export interface WorkerProcessOptions {
  readonly backend: BackendRequest;
  /** GPU index for this worker: sets CUDA_VISIBLE_DEVICES so it sees only that device. */
  readonly gpu?: number;
  /** Kill the worker when no epoch finishes within this time (a hang); no limit when absent. */
  readonly epochTimeoutMs?: number;
  /** After a cancel, how long the trial may take to stop before the worker is killed. */
  readonly cancelGraceMs?: number;
  /** Longest a fresh worker may take to load its backend. */
  readonly startTimeoutMs?: number;
  /** Longest close() waits for a clean exit before SIGKILL. */
  readonly closeTimeoutMs?: number;
  /** V8 heap limit of the worker: a trial that exceeds it crashes its worker, not the agent. */
  readonly maxOldSpaceMb?: number;
  readonly logger?: Logger;
  /** The worker entry script; defaults to dist/agent/worker-main.js of this package. */
  readonly entryPath?: string;
  /** Base environment of the worker; defaults to this process's. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface WorkerReady {
  readonly backend: BackendName;
  readonly skipped: readonly SkippedBackend[];
  readonly pid: number;
}

export interface WorkerRunOptions {
  /** Aborting sends the trial a cancel; its reason (a CancelReason) becomes the outcome's reason. */
  readonly signal?: AbortSignal;
  /** Where the trial's files lie on this machine (by fileRefKey); the worker reads nothing else. */
  readonly files?: ResolvedFiles;
  readonly onEpoch?: (record: EpochRecord) => void;
}

const STDERR_TAIL_LINES = 20;

interface Child {
  readonly process: ChildProcess;
  readonly stderrTail: string[];
  readonly exited: Promise<void>;
}

export interface WorkerBundleOptions {
  /** Aborting cancels the whole bundle; its reason (a CancelReason) becomes every unfinished member's outcome. */
  readonly signal?: AbortSignal;
  /** Where the trials' files lie on this machine (by fileRefKey); the worker reads nothing else. */
  readonly files?: ResolvedFiles;
  readonly onEpoch?: (trialId: string, record: EpochRecord) => void;
  /**
   * Each member's own stop: aborting one (reason: a CancelReason) stops that member alone
   * (`stop-members`), before the bundle's next batch, while the others train on; it resolves
   * cancelled with the epochs it had finished. One already aborted when the run starts is
   * stopped at once (a part whose trials were told to stop before they moved).
   */
  readonly memberSignals?: ReadonlyMap<string, AbortSignal>;
}

interface ActiveRun {
  /** The trial, or a bundle's first member: names the run in errors and logs. */
  readonly trialId: string;
  /** Every trial of the run still its own, in order (one, or a bundle's members less those handed off). */
  trialIds: readonly string[];
  /** A bundle or a part: it may hand trials off. */
  readonly fused: boolean;
  /** The results received so far, by trial id: the run resolves once every member has one. */
  readonly results: Map<string, TrialResult>;
  readonly resolve: (results: TrialResult[]) => void;
  readonly reject: (error: Error) => void;
  readonly onEpoch: ((trialId: string, record: EpochRecord) => void) | undefined;
  epochsDone: number;
  timer: NodeJS.Timeout | null;
  detachSignal: () => void;
}

interface Starting {
  readonly promise: Promise<WorkerReady>;
  readonly resolve: (ready: WorkerReady) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

type Phase =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'starting'; readonly child: Child; readonly starting: Starting }
  | { readonly kind: 'idle'; readonly child: Child; readonly ready: WorkerReady }
  | { readonly kind: 'running'; readonly child: Child; readonly ready: WorkerReady; readonly run: ActiveRun }
  /** Killed after a hang or protocol violation; replaced once it has exited. */
  | { readonly kind: 'dying'; readonly child: Child }
  | { readonly kind: 'closed' };

/** A split request waiting for the worker's answer (handoff or no-handoff). */
interface OpenSplit {
  readonly child: Child;
  readonly resolve: (part: BundlePart | null) => void;
}

/** Signals a terminal sends to its whole foreground process group. */
const TERMINAL_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGTSTP']);

export class WorkerProcess {
  private phase: Phase = { kind: 'stopped' };
  private nextRequestId = 0;
  private readonly openSplits = new Map<number, OpenSplit>();
  private closing: Promise<void> | null = null;
  private readonly logger: Logger;
  private readonly cancelGraceMs: number;
  private readonly startTimeoutMs: number;
  private readonly closeTimeoutMs: number;

  constructor(private readonly options: WorkerProcessOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'worker', ...(options.gpu === undefined ? {} : { gpu: options.gpu }) });
    this.cancelGraceMs = options.cancelGraceMs ?? 30_000;
    this.startTimeoutMs = options.startTimeoutMs ?? 120_000;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
  }

  /** The live worker's pid, or null when none runs (not started, crashed, closed). */
  get pid(): number | null {
    const phase = this.phase;
    if (phase.kind === 'stopped' || phase.kind === 'closed' || phase.kind === 'dying') return null;
    return phase.child.process.pid ?? null;
  }

  /** Starts the worker if none is live and resolves once it has loaded its backend. */
  async start(): Promise<WorkerReady> {
    for (;;) {
      const phase = this.phase;
      switch (phase.kind) {
        case 'closed':
          throw new WorkerClosedError(null);
        case 'idle':
        case 'running':
          return phase.ready;
        case 'starting':
          return phase.starting.promise;
        case 'dying':
          await phase.child.exited;
          continue;
        case 'stopped':
          if (this.closing !== null) throw new WorkerClosedError(null);
          return this.spawnRespawningOnStraySignal();
      }
    }
  }

  /**
   * A terminal's Ctrl-C sent to the foreground group between fork and the new worker's setsid
   * reaches the worker with its handlers already reset to the default: it dies of SIGINT before it
   * is ready, through no fault of its own. Spawn it again, once; the agent decides whether it
   * stops (the same Ctrl-C reaches it too).
   */
  private async spawnRespawningOnStraySignal(): Promise<WorkerReady> {
    try {
      return await this.spawn();
    } catch (error) {
      const stray = error instanceof WorkerStartError && error.signal !== null && TERMINAL_SIGNALS.has(error.signal);
      if (!stray || this.closing !== null || this.phase.kind !== 'stopped') throw error;
      this.logger.info('worker.respawned', { afterSignal: error.signal });
      return this.spawn();
    }
  }

  /**
   * Trains one trial in the worker. Resolves with the trainer's result (cancelled included);
   * rejects with WorkerCrashedError, WorkerTimeoutError, WorkerStartError, WorkerFatalError,
   * WorkerProtocolError or WorkerClosedError when the worker could not deliver one.
   */
  async run(trial: TrialSpec, options: WorkerRunOptions = {}): Promise<TrialResult> {
    const onEpoch = options.onEpoch;
    const results = await this.runTrials([trial], { type: 'run', trial, files: options.files ?? {} }, {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(onEpoch === undefined ? {} : { onEpoch: (_trialId: string, record: EpochRecord) => onEpoch(record) }),
    });
    const [result] = results;
    // runTrials resolves only once every trial has its result.
    if (result === undefined) throw new WorkerProtocolError(trial.id, 'no result');
    return result;
  }

  /**
   * Trains the trials as one fused bundle in the worker (which falls back to one by one should
   * they not be fusable). Resolves with one result per trial, in order, once all have finished;
   * rejects as run() does when the worker could not deliver them (a crash costs every member).
   */
  async runBundle(trials: readonly TrialSpec[], options: WorkerBundleOptions = {}): Promise<TrialResult[]> {
    return this.runTrials(trials, { type: 'run-bundle', trials, files: options.files ?? {} }, options);
  }

  /**
   * Trains on a part another worker's bundle handed off (see requestPart). Resolves with one
   * result per member still its own at the end, in part order; rejects as runBundle does.
   */
  async runPart(part: BundlePart, options: WorkerBundleOptions = {}): Promise<TrialResult[]> {
    return this.runTrials(
      part.members.map((member) => member.spec),
      { type: 'run-part', part, files: options.files ?? {} },
      options,
    );
  }

  /** Whether a fused run (bundle or part) is training now with at least two trials of its own: one it could split. */
  get splittable(): boolean {
    const phase = this.phase;
    return phase.kind === 'running' && phase.run.fused && phase.run.trialIds.length >= 2;
  }

  /**
   * Asks the running bundle for a part of its trials, handed off before its next batch where it
   * can split (two physical members, enough batches left). Resolves with the part, whose trials this
   * run no longer reports (runBundle resolves without them), or null when none comes: the bundle
   * ended first, the worker had nothing to split, or `signal` withdrew the request before the
   * part was sent. A part already on its way when the signal fires still arrives: run it.
   */
  requestPart(signal?: AbortSignal): Promise<BundlePart | null> {
    const phase = this.phase;
    if (phase.kind !== 'running' || !phase.run.fused || signal?.aborted === true) return Promise.resolve(null);
    const requestId = this.nextRequestId++;
    const child = phase.child;
    return new Promise<BundlePart | null>((resolve) => {
      const onAbort = (): void => this.send(child, { type: 'split-withdrawn', requestId });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.openSplits.set(requestId, {
        child,
        resolve: (part) => {
          signal?.removeEventListener('abort', onAbort);
          this.openSplits.delete(requestId);
          resolve(part);
        },
      });
      this.send(child, { type: 'split', requestId });
    });
  }

  /** Split requests to a child that is gone get no part. */
  private closeSplits(child: Child): void {
    for (const open of [...this.openSplits.values()]) if (open.child === child) open.resolve(null);
  }

  private async runTrials(trials: readonly TrialSpec[], message: ParentToWorker, options: WorkerBundleOptions): Promise<TrialResult[]> {
    const trialId = trials[0]?.id ?? '';
    const phase = await this.idleWorker(trialId);

    return new Promise<TrialResult[]>((resolve, reject) => {
      const run: ActiveRun = {
        trialId,
        trialIds: trials.map((trial) => trial.id),
        fused: message.type !== 'run',
        results: new Map(),
        resolve,
        reject,
        onEpoch: options.onEpoch,
        epochsDone: 0,
        timer: null,
        detachSignal: () => undefined,
      };
      this.phase = { kind: 'running', child: phase.child, ready: phase.ready, run };
      this.send(phase.child, message);
      this.armEpochTimer(phase.child, run);
      const signal = options.signal;
      if (signal !== undefined) {
        const onAbort = (): void => this.cancel(phase.child, run, signal.reason);
        if (signal.aborted) onAbort();
        else {
          signal.addEventListener('abort', onAbort, { once: true });
          run.detachSignal = () => signal.removeEventListener('abort', onAbort);
        }
      }
      if (run.fused && options.memberSignals !== undefined) this.watchMemberStops(phase.child, run, options.memberSignals);
    });
  }

  /** Sends `stop-members` for each member of the fused run whose own signal aborts (now, or later while the run is on). */
  private watchMemberStops(child: Child, run: ActiveRun, memberSignals: ReadonlyMap<string, AbortSignal>): void {
    const stopNow: string[] = [];
    const detach: (() => void)[] = [run.detachSignal];
    const stop = (trialIds: readonly string[], reason: unknown): void => {
      // Only members still this run's own (not handed off, no result yet): a stop names members of the bundle.
      const own = trialIds.filter((id) => run.trialIds.includes(id) && !run.results.has(id));
      const phase = this.phase;
      if (own.length === 0 || phase.kind !== 'running' || phase.run !== run) return;
      this.send(child, { type: 'stop-members', trialIds: own, reason: toCancelReason(reason) });
    };
    for (const [trialId, signal] of memberSignals) {
      if (signal.aborted) {
        stopNow.push(trialId);
        continue;
      }
      const onAbort = (): void => stop([trialId], signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      detach.push(() => signal.removeEventListener('abort', onAbort));
    }
    // Members stopped before the run began share one message per reason.
    const byReason = new Map<CancelReason, string[]>();
    for (const trialId of stopNow) {
      const reason = toCancelReason(memberSignals.get(trialId)?.reason);
      byReason.set(reason, [...(byReason.get(reason) ?? []), trialId]);
    }
    for (const [reason, trialIds] of byReason) stop(trialIds, reason);
    run.detachSignal = () => {
      for (const undo of detach) undo();
    };
  }

  private async idleWorker(trialId: string): Promise<Extract<Phase, { kind: 'idle' }>> {
    // A worker that died between ready and now (idle crash) is replaced once; a second
    // death in a row is this trial's crash.
    for (let attempt = 0; ; attempt += 1) {
      const before = this.current();
      if (before.kind === 'running') throw new WorkerBusyError(trialId, before.run.trialId);
      await this.start();
      // Re-read: the phase moves on while we wait (TypeScript keeps the narrowing across await).
      const phase = this.current();
      if (phase.kind === 'closed' || this.closing !== null) throw new WorkerClosedError(trialId);
      if (phase.kind === 'running') throw new WorkerBusyError(trialId, phase.run.trialId);
      if (phase.kind === 'idle') return phase;
      if (attempt >= 1) throw new WorkerStartError(`worker exited right after becoming ready (trial ${trialId})`);
    }
  }

  private current(): Phase {
    return this.phase;
  }

  /** Asks the worker to exit (a running trial is abandoned with WorkerClosedError). Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const phase = this.phase;
    this.phase = { kind: 'closed' };
    if (phase.kind !== 'stopped' && phase.kind !== 'closed') this.closeSplits(phase.child);
    switch (phase.kind) {
      case 'stopped':
      case 'closed':
        return;
      case 'starting':
        clearTimeout(phase.starting.timer);
        phase.starting.reject(new WorkerClosedError(null));
        break;
      case 'running':
        this.settle(phase.run);
        phase.run.reject(new WorkerClosedError(phase.run.trialId));
        break;
      case 'idle':
      case 'dying':
        break;
    }
    const child = phase.child;
    this.send(child, { type: 'shutdown' });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.closeTimeoutMs);
    });
    const outcome = await Promise.race([child.exited.then(() => 'exited' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn('worker.close-timeout', { pid: child.process.pid, timeoutMs: this.closeTimeoutMs });
      child.process.kill('SIGKILL');
      await child.exited;
    }
  }

  private spawn(): Promise<WorkerReady> {
    const env: NodeJS.ProcessEnv = { ...(this.options.env ?? process.env), [WORKER_BACKEND_ENV]: this.options.backend };
    if (this.options.gpu !== undefined) env['CUDA_VISIBLE_DEVICES'] = String(this.options.gpu);
    const processHandle = fork(this.options.entryPath ?? workerEntryPath(), [this.options.backend], {
      env,
      // Not the parent's flags: under vitest or a loader they would not apply to built JS.
      execArgv: this.options.maxOldSpaceMb === undefined ? [] : [`--max-old-space-size=${this.options.maxOldSpaceMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // A process group of its own: a terminal's Ctrl-C goes to the whole foreground group, and a
      // worker that died of it mid-trial cost an attempt. The agent decides how its trials stop;
      // a worker whose agent is gone exits on the IPC disconnect.
      detached: true,
    });
    const exited = new Promise<void>((resolve) => {
      processHandle.once('exit', (code, signal) => {
        resolve();
        this.onExit(child, code, signal);
      });
    });
    const child: Child = { process: processHandle, stderrTail: [], exited };
    this.pipeLines(processHandle.stdout, (line) => this.logger.debug('worker.stdout', { pid: processHandle.pid, line }));
    this.pipeLines(processHandle.stderr, (line) => {
      child.stderrTail.push(line);
      if (child.stderrTail.length > STDERR_TAIL_LINES) child.stderrTail.shift();
      this.logger.debug('worker.stderr', { pid: processHandle.pid, line });
    });
    processHandle.on('message', (raw: unknown) => this.onMessage(child, raw));
    // 'error': the process could not be spawned or signalled; 'exit' follows when it existed.
    processHandle.on('error', (error) => {
      this.logger.warn('worker.process-error', { error });
      const phase = this.phase;
      if (phase.kind === 'starting' && phase.child === child && processHandle.pid === undefined) {
        this.failStart(phase, new WorkerStartError(error.message));
        this.phase = { kind: 'stopped' };
      }
    });

    let resolveReady!: (ready: WorkerReady) => void;
    let rejectReady!: (error: Error) => void;
    const promise = new Promise<WorkerReady>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    const timer = setTimeout(() => {
      const phase = this.phase;
      if (phase.kind !== 'starting' || phase.child !== child) return;
      this.failStart(phase, new WorkerStartError(`not ready within ${this.startTimeoutMs} ms`));
      this.kill(child);
    }, this.startTimeoutMs);
    this.phase = { kind: 'starting', child, starting: { promise, resolve: resolveReady, reject: rejectReady, timer } };
    this.logger.debug('worker.spawned', { pid: processHandle.pid, backend: this.options.backend });
    return promise;
  }

  private failStart(phase: Extract<Phase, { kind: 'starting' }>, error: Error): void {
    clearTimeout(phase.starting.timer);
    phase.starting.reject(error);
  }

  private pipeLines(stream: Readable | null, onLine: (line: string) => void): void {
    if (stream === null) return;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
  }

  private send(child: Child, message: ParentToWorker): void {
    if (!child.process.connected) return;
    try {
      child.process.send(message);
    } catch (error) {
      // The child is going away; its 'exit' will settle whatever waits on it.
      this.logger.debug('worker.send-failed', { type: message.type, error });
    }
  }

  private kill(child: Child): void {
    this.phase = { kind: 'dying', child };
    this.closeSplits(child);
    child.process.kill('SIGKILL');
  }

  private settle(run: ActiveRun): void {
    if (run.timer !== null) clearTimeout(run.timer);
    run.timer = null;
    run.detachSignal();
  }

  private armEpochTimer(child: Child, run: ActiveRun): void {
    const timeoutMs = this.options.epochTimeoutMs;
    if (timeoutMs === undefined) return;
    if (run.timer !== null) clearTimeout(run.timer);
    run.timer = setTimeout(() => {
      if (!this.isRunning(child, run)) return;
      this.settle(run);
      this.logger.warn('worker.epoch-timeout', { trial: run.trialId, epochsDone: run.epochsDone, timeoutMs });
      this.kill(child);
      run.reject(new WorkerTimeoutError(run.trialId, 'epoch', run.epochsDone, timeoutMs));
    }, timeoutMs);
  }

  private cancel(child: Child, run: ActiveRun, reason: unknown): void {
    if (!this.isRunning(child, run)) return;
    const cancelReason = toCancelReason(reason);
    this.send(child, { type: 'cancel', trialId: run.trialId, reason: cancelReason });
    if (run.timer !== null) clearTimeout(run.timer);
    run.timer = setTimeout(() => {
      if (!this.isRunning(child, run)) return;
      this.settle(run);
      this.logger.warn('worker.cancel-timeout', { trial: run.trialId, timeoutMs: this.cancelGraceMs });
      this.kill(child);
      run.reject(new WorkerTimeoutError(run.trialId, 'cancel', run.epochsDone, this.cancelGraceMs));
    }, this.cancelGraceMs);
  }

  private isRunning(child: Child, run: ActiveRun): boolean {
    const phase = this.phase;
    return phase.kind === 'running' && phase.child === child && phase.run === run;
  }

  private onMessage(child: Child, raw: unknown): void {
    const phase = this.phase;
    if (phase.kind === 'stopped' || phase.kind === 'closed' || phase.child !== child) return;
    const decoded = decodeWorkerMessage(raw);
    if (!decoded.ok) {
      this.violation(phase, decoded.problem);
      return;
    }
    const message: WorkerToParent = decoded.message;
    switch (message.type) {
      case 'log':
        this.logger[message.level](message.event, { pid: child.process.pid, ...message.fields });
        return;
      case 'ready':
        if (phase.kind !== 'starting') {
          this.violation(phase, `ready received while ${phase.kind}`);
          return;
        }
        clearTimeout(phase.starting.timer);
        {
          const ready: WorkerReady = { backend: message.backend, skipped: message.skipped, pid: child.process.pid ?? -1 };
          this.phase = { kind: 'idle', child, ready };
          this.logger.info('worker.ready', { pid: ready.pid, backend: ready.backend, skipped: ready.skipped });
          phase.starting.resolve(ready);
        }
        return;
      case 'epochs':
        for (const { trialId, record } of message.records) {
          if (!this.receiveEpoch(child, trialId, record)) return;
        }
        return;
      case 'result':
        if (phase.kind !== 'running' || !phase.run.trialIds.includes(message.result.trialId) || phase.run.results.has(message.result.trialId)) {
          this.violation(phase, `result for trial ${message.result.trialId} received while ${phase.kind}`);
          return;
        }
        phase.run.results.set(message.result.trialId, message.result);
        if (phase.run.results.size < phase.run.trialIds.length) return;
        this.settle(phase.run);
        this.phase = { kind: 'idle', child, ready: phase.ready };
        {
          const results = phase.run.results;
          phase.run.resolve(phase.run.trialIds.flatMap((id) => results.get(id) ?? []));
        }
        return;
      case 'handoff': {
        const open = this.openSplits.get(message.requestId);
        const ids = message.part.members.map((member) => member.spec.id);
        if (open === undefined || open.child !== child || phase.kind !== 'running' || !ids.every((id) => phase.run.trialIds.includes(id) && !phase.run.results.has(id))) {
          this.violation(phase, `a handoff of ${ids.join(', ')} nobody asked for (request ${message.requestId}) received while ${phase.kind}`);
          return;
        }
        phase.run.trialIds = phase.run.trialIds.filter((id) => !ids.includes(id));
        open.resolve(message.part);
        return;
      }
      case 'no-handoff':
        this.openSplits.get(message.requestId)?.resolve(null);
        return;
      case 'fatal':
        this.logger.error('worker.fatal', { pid: child.process.pid, trial: message.trialId, error: message.error });
        if (phase.kind === 'starting') {
          this.failStart(phase, new WorkerStartError(`${message.error.kind}: ${message.error.message}`));
          this.phase = { kind: 'dying', child };
        } else if (phase.kind === 'running') {
          this.settle(phase.run);
          this.kill(child);
          phase.run.reject(new WorkerFatalError(phase.run.trialId, message.error.kind, message.error.message));
        } else if (phase.kind === 'idle') {
          this.phase = { kind: 'dying', child };
        }
        return;
    }
  }

  /**
   * One epoch record of an `epochs` message, taken as if it had come alone: the listener of the
   * one before may have closed the worker or ended the run. False when the rest are not for this run.
   */
  private receiveEpoch(child: Child, trialId: string, record: EpochRecord): boolean {
    const phase = this.phase;
    if (phase.kind === 'stopped' || phase.kind === 'closed' || phase.child !== child) return false;
    if (phase.kind !== 'running' || !phase.run.trialIds.includes(trialId)) {
      this.violation(phase, `epoch for trial ${trialId} received while ${phase.kind}`);
      return false;
    }
    phase.run.epochsDone += 1;
    this.armEpochTimer(child, phase.run);
    try {
      phase.run.onEpoch?.(trialId, record);
    } catch (error) {
      this.logger.error('worker.epoch-listener-failed', { trial: phase.run.trialId, error });
    }
    return true;
  }

  private violation(phase: Exclude<Phase, { kind: 'stopped' | 'closed' }>, problem: string): void {
    const trialId = phase.kind === 'running' ? phase.run.trialId : null;
    this.logger.error('worker.protocol-violation', { pid: phase.child.process.pid, trial: trialId, problem });
    const error = new WorkerProtocolError(trialId, problem);
    if (phase.kind === 'running') {
      this.settle(phase.run);
      this.kill(phase.child);
      phase.run.reject(error);
    } else {
      if (phase.kind === 'starting') this.failStart(phase, error);
      this.kill(phase.child);
    }
  }

  private onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    this.closeSplits(child);
    const phase = this.phase;
    if (phase.kind === 'stopped' || phase.kind === 'closed' || phase.child !== child) return;
    this.phase = { kind: 'stopped' };
    const pid = child.process.pid;
    switch (phase.kind) {
      case 'starting':
        this.logger.warn('worker.start-failed', { pid, code, signal, stderr: child.stderrTail.slice(-3) });
        this.failStart(phase, new WorkerStartError(`exited before ready (${signal ?? `code ${String(code)}`})`, code, signal));
        return;
      case 'running':
        this.logger.error('worker.crashed', { pid, trial: phase.run.trialId, code, signal, stderr: child.stderrTail.slice(-3) });
        this.settle(phase.run);
        phase.run.reject(new WorkerCrashedError(phase.run.trialId, code, signal, [...child.stderrTail]));
        return;
      case 'idle':
        this.logger.warn('worker.exited-idle', { pid, code, signal });
        return;
      case 'dying':
        return;
    }
  }
}
