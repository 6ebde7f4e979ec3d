// The agent: registers with the coordinator, long-polls for trials and runs each in a worker
// child process (one per slot), heartbeating the epochs as they finish and reporting the
// result once. Every call to the coordinator survives network errors (capped backoff with
// jitter, re-registration); a worker crash costs only its own trial.
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import PQueue from 'p-queue';
import type { Logger } from '../src/log/logger.js';
import { LeaseLostError, type AgentChannel, type AgentRegistration, type LeaseRef, type TrialLease } from '../src/rpc/agent-channel.js';
import { UnregisteredAgentError } from '../src/rpc/rpc-errors.js';
import { trialObjective } from '../src/train/objective.js';
import { asWorkloadError } from '../src/trial/workload-error.js';
import type { BackendName, CancelReason, TrialErrorInfo, TrialResult, TrialSpec, WorkloadSpec } from '../src/trial/types.js';
import { WorkloadFileError, type AcquiredFiles } from './workload-files.js';
import { AgentEvents, type AgentEventName, type AgentListener, type TrialReport } from './agent-events.js';
import { resolveAgentOptions, type AgentOptions, type ResolvedAgentOptions } from './agent-options.js';
import { initialBackoffState, nextBackoff, type BackoffState } from './backoff.js';
import { LeaseHeartbeat } from './lease-heartbeat.js';
import { isWorkerRunError } from './worker-errors.js';
import { WorkerProcess, type WorkerBundleOptions } from './worker-process.js';
import type { BundlePart } from '../src/train/fused/bundle-part.js';
import { toCancelReason, WORKER_CHECKPOINT_DIR_ENV, WORKER_CHECKPOINT_EVERY_ENV, WORKER_FUSE_MEMORY_MB_ENV } from './worker-protocol.js';

export interface AgentStopOptions {
  /** How long running trials may go on before they are cancelled and handed back. Default 30 s. */
  readonly drainMs?: number;
  /** After the drain, how long reports to the coordinator may still be retried. Default 10 s. */
  readonly reportMs?: number;
}

/** The agent was stopped before it could finish starting. */
/** How a failed attempt is reported: a file no retry can fix is a workload error, the rest by class. */
function failureOf(error: Error): TrialErrorInfo {
  return { kind: error instanceof WorkloadFileError ? error.kind : error.name, message: error.message };
}

export class AgentStoppedError extends Error {
  override readonly name = 'AgentStoppedError';
  constructor() {
    super('the agent was stopped');
  }
}

type AgentLifecycle =
  | { readonly kind: 'created' }
  | { readonly kind: 'starting'; readonly done: Promise<void> }
  | { readonly kind: 'running'; readonly backend: BackendName }
  | { readonly kind: 'stopping'; readonly done: Promise<void> }
  | { readonly kind: 'stopped' };

interface RunningTrial {
  readonly slot: number;
  readonly lease: TrialLease;
  readonly abort: AbortController;
}

/** One trial of a fused bundle, with its own lease, heartbeat and cancellation. */
interface BundleMember {
  readonly lease: TrialLease;
  readonly abort: AbortController;
  readonly heartbeat: LeaseHeartbeat;
  /** Epochs passed on (heartbeat and events) so far. */
  epochs: number;
  /** Set when this member alone was cancelled (or its lease lost) while the bundle trains on. */
  cancelled: { readonly reason: CancelReason; readonly atEpochs: number } | null;
  /** The worker run that trains it now (a part of the bundle may move to another slot). */
  share: BundleShare;
}

/** The members of one bundle that one worker run trains: the whole bundle, or a part handed over. */
interface BundleShare {
  readonly members: Map<string, BundleMember>;
  /** Stops the run: aborted once every member in it has been told to stop. */
  readonly abort: AbortController;
}

/** A slot training a share, which an idle slot may ask for a part of. */
interface BusySlot {
  readonly slot: number;
  readonly worker: WorkerProcess;
  readonly share: BundleShare;
  /** A split request is open (one at a time). */
  asked: boolean;
}

/** Stops the share's run once every member in it has been told to stop (with the first one's reason). */
function stopShareIfAllCancelled(share: BundleShare): void {
  if (share.abort.signal.aborted) return;
  const reasons = [...share.members.values()].map((member) => member.cancelled?.reason);
  const [first] = reasons;
  if (first !== undefined && reasons.every((reason) => reason !== undefined)) share.abort.abort(first);
}

interface Registration {
  readonly promise: Promise<AgentRegistration>;
}

export class Agent {
  private readonly options: ResolvedAgentOptions;
  private readonly logger: Logger;
  private readonly events: AgentEvents;
  private lifecycle: AgentLifecycle = { kind: 'created' };
  private workers: WorkerProcess[] = [];
  private readonly queue: PQueue;
  private readonly running = new Map<string, RunningTrial>();
  /** Fused runs in progress, by slot: what an idle slot may steal from. */
  private readonly busySlots = new Set<BusySlot>();
  private slotLoops: Promise<void>[] = [];
  /** Aborted when stop() begins: ends long-polls and reconnect waits. */
  private readonly polling = new AbortController();
  /** Aborted when the report window after the drain ends: gives up on coordinator calls. */
  private readonly reporting = new AbortController();
  private registration: Registration | null = null;
  private backend: BackendName | null = null;
  /** The coordinator, once options.channel has resolved (before any call: start() awaits it). */
  private resolvedChannel: AgentChannel | null = null;
  private drain: { atMs: number; timer: NodeJS.Timeout; readonly end: () => void } | null = null;

  constructor(options: AgentOptions) {
    this.options = resolveAgentOptions(options);
    this.logger = this.options.logger.child({ component: 'agent' });
    this.events = new AgentEvents(this.logger);
    this.queue = new PQueue({ concurrency: this.options.slots });
    // Every coordinator call in flight listens on these: a bundle of K trials completes K at once.
    setMaxListeners(0, this.polling.signal, this.reporting.signal);
  }

  on<K extends AgentEventName>(event: K, listener: AgentListener<K>): () => void {
    return this.events.on(event, listener);
  }

  get slots(): number {
    return this.options.slots;
  }

  /** The backend the workers loaded; null until start() has resolved. */
  get backendName(): BackendName | null {
    return this.backend;
  }

  /** Each slot's live worker process id (null while it restarts or after stop). */
  get workerPids(): readonly (number | null)[] {
    return this.workers.map((worker) => worker.pid);
  }

  /** Trials running now (by trial id). */
  get runningTrialIds(): readonly string[] {
    return [...this.running.values()].map((trial) => trial.lease.trialId);
  }

  /**
   * Starts one worker per slot, waits until they have loaded their backend, then starts
   * polling. Resolves once polling has begun (registration happens in the background,
   * retried until the coordinator answers). Rejects when no worker can start.
   */
  start(): Promise<void> {
    const lifecycle = this.lifecycle;
    switch (lifecycle.kind) {
      case 'created': {
        const done = this.startWorkers();
        this.lifecycle = { kind: 'starting', done };
        return done;
      }
      case 'starting':
        return lifecycle.done;
      case 'running':
        return Promise.resolve();
      case 'stopping':
      case 'stopped':
        return Promise.reject(new AgentStoppedError());
    }
  }

  /**
   * Graceful stop: polling ends now; running trials may finish for `drainMs`, then they are
   * cancelled with reason 'shutdown' and handed back (a cancelled result the coordinator requeues without spending an attempt); the
   * workers exit. Safe to call twice; a second call with a shorter drain shortens it.
   */
  stop(options: AgentStopOptions = {}): Promise<void> {
    const drainMs = options.drainMs ?? 30_000;
    const lifecycle = this.lifecycle;
    if (lifecycle.kind === 'stopping') {
      this.shortenDrain(drainMs);
      return lifecycle.done;
    }
    if (lifecycle.kind === 'stopped') return Promise.resolve();
    const starting = lifecycle.kind === 'starting' ? lifecycle.done : null;
    const done = this.shutDown(starting, drainMs, options.reportMs ?? 10_000);
    this.lifecycle = { kind: 'stopping', done };
    return done;
  }

  private async startWorkers(): Promise<void> {
    const options = this.options;
    const checkpoint = options.checkpoint;
    const extra = {
      ...(checkpoint === undefined ? {} : { [WORKER_CHECKPOINT_DIR_ENV]: checkpoint.dir, [WORKER_CHECKPOINT_EVERY_ENV]: String(checkpoint.everyEpochs) }),
      ...(options.fuseMemoryMb === undefined ? {} : { [WORKER_FUSE_MEMORY_MB_ENV]: String(options.fuseMemoryMb) }),
    };
    const env = Object.keys(extra).length === 0 ? undefined : { ...process.env, ...extra };
    this.workers = options.slotGpus.map(
      (gpu, slot) =>
        new WorkerProcess({
          backend: options.backend,
          ...(gpu === null ? {} : { gpu }),
          ...(options.epochTimeoutMs === undefined ? {} : { epochTimeoutMs: options.epochTimeoutMs }),
          ...(options.maxOldSpaceMb === undefined ? {} : { maxOldSpaceMb: options.maxOldSpaceMb }),
          ...(options.workerEntryPath === undefined ? {} : { entryPath: options.workerEntryPath }),
          cancelGraceMs: options.cancelGraceMs,
          ...(env === undefined ? {} : { env }),
          logger: this.logger.child({ slot }),
        }),
    );
    let backend: BackendName;
    try {
      // The workers load while the channel comes up (a promise when the coordinator starts alongside).
      const [readies, channel] = await Promise.all([Promise.all(this.workers.map((worker) => worker.start())), options.channel]);
      this.resolvedChannel = channel;
      const first = readies[0];
      if (first === undefined) throw new AgentStoppedError();
      backend = first.backend;
      const mixed = readies.filter((ready) => ready.backend !== backend);
      if (mixed.length > 0) this.logger.warn('agent.mixed-backends', { backends: readies.map((ready) => ready.backend) });
    } catch (error) {
      if (this.lifecycle.kind !== 'starting') throw new AgentStoppedError();
      await Promise.all(this.workers.map((worker) => worker.close()));
      this.lifecycle = { kind: 'stopped' };
      throw error;
    }
    if (this.lifecycle.kind !== 'starting') throw new AgentStoppedError();
    this.backend = backend;
    this.lifecycle = { kind: 'running', backend };
    this.logger.info('agent.started', { slots: options.slots, backend, gpus: options.slotGpus, hostname: options.hostname });
    this.slotLoops = this.workers.map((worker, slot) => this.slotLoop(slot, worker));
  }

  private isPolling(): boolean {
    return this.lifecycle.kind === 'running' && !this.polling.signal.aborted;
  }

  /** The coordinator; every call to it comes after start() has resolved the channel. */
  private get channel(): AgentChannel {
    if (this.resolvedChannel === null) throw new AgentStoppedError();
    return this.resolvedChannel;
  }

  // ---- registration ----

  /** The current registration, registering (with retries) when there is none. */
  private registered(): Promise<AgentRegistration> {
    if (this.registration === null) {
      const promise = this.register();
      const registration: Registration = { promise };
      this.registration = registration;
      // A failed registration attempt (only when stopping) must not stick.
      promise.catch(() => {
        if (this.registration === registration) this.registration = null;
      });
    }
    return this.registration.promise;
  }

  /** Forget a registration a failed call was made under: the next call registers again. */
  private forgetRegistration(promise: Promise<AgentRegistration>): void {
    if (this.registration?.promise === promise) this.registration = null;
  }

  private async register(): Promise<AgentRegistration> {
    const backend = this.backend;
    if (backend === null) throw new AgentStoppedError();
    const options = this.options;
    const registration = await this.retrying('register', this.polling.signal, (signal) =>
      this.channel.register({ hostname: options.hostname, slots: options.slots, backend, version: options.version }, signal),
    );
    this.logger.info('agent.registration-accepted', { agentId: registration.agentId, heartbeatIntervalMs: registration.heartbeatIntervalMs });
    this.events.emit('registered', { agentId: registration.agentId, backend, heartbeatIntervalMs: registration.heartbeatIntervalMs });
    return registration;
  }

  /**
   * Calls `call` until it succeeds, waiting a capped, jittered backoff after each failure.
   * LeaseLostError is not a network error and passes straight through; so does `signal`'s abort.
   */
  private async retrying<T>(operation: string, signal: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let backoff: BackoffState = initialBackoffState;
    for (;;) {
      if (signal.aborted) throw new AgentStoppedError();
      try {
        return await call(signal);
      } catch (error) {
        if (error instanceof LeaseLostError) throw error;
        if (signal.aborted) throw new AgentStoppedError();
        const step = nextBackoff(this.options.reconnect, backoff, { kind: 'failure', random: this.options.random() });
        backoff = step.state;
        const retryInMs = step.output.kind === 'retry-after' ? step.output.delayMs : 0;
        this.logger.warn('coordinator.call-failed', { operation, error, retryInMs, failures: backoff.failures });
        this.events.emit('connection-lost', { operation, error, retryInMs });
        await this.pause(retryInMs, signal);
      }
    }
  }

  private async pause(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await sleep(ms, undefined, { signal });
    } catch {
      throw new AgentStoppedError();
    }
  }

  // ---- the slot loop ----

  private async slotLoop(slot: number, worker: WorkerProcess): Promise<void> {
    let backoff: BackoffState = initialBackoffState;
    let workerBackoff: BackoffState = initialBackoffState;
    while (this.isPolling()) {
      // Take work only with a live worker: one that cannot start must not burn trials' attempts.
      try {
        await worker.start();
        workerBackoff = initialBackoffState;
      } catch (error) {
        if (!this.isPolling()) break;
        const step = nextBackoff(this.options.reconnect, workerBackoff, { kind: 'failure', random: this.options.random() });
        workerBackoff = step.state;
        const retryInMs = step.output.kind === 'retry-after' ? step.output.delayMs : 0;
        this.logger.error('worker.start-failed', { slot, error, retryInMs });
        try {
          await this.pause(retryInMs, this.polling.signal);
        } catch {
          break;
        }
        continue;
      }
      let leases: readonly TrialLease[];
      let heartbeatIntervalMs: number;
      let registration: Promise<AgentRegistration> | null = null;
      try {
        registration = this.registered();
        const registered = await registration;
        heartbeatIntervalMs = registered.heartbeatIntervalMs;
        // With a bundle to steal from, ask the coordinator without waiting: queued trials come first.
        leases = await this.pollLeases(registered.agentId, this.stealable(slot) === undefined ? this.options.pollWaitMs : 0);
        backoff = initialBackoffState;
      } catch (error) {
        if (!this.isPolling()) break;
        // A coordinator whose store does not know us (replaced, wiped): register again before the next poll.
        if (error instanceof UnregisteredAgentError && registration !== null) this.forgetRegistration(registration);
        const step = nextBackoff(this.options.reconnect, backoff, { kind: 'failure', random: this.options.random() });
        backoff = step.state;
        const retryInMs = step.output.kind === 'retry-after' ? step.output.delayMs : 0;
        this.logger.warn('poll.failed', { slot, error, retryInMs, failures: backoff.failures });
        this.events.emit('connection-lost', { operation: 'poll', error, retryInMs });
        try {
          await this.pause(retryInMs, this.polling.signal);
        } catch {
          break;
        }
        continue;
      }
      const [lease] = leases;
      if (lease === undefined) {
        const victim = this.stealable(slot);
        if (victim !== undefined && this.isPolling()) {
          try {
            await this.stealPart(slot, worker, victim);
          } catch (error) {
            this.logger.error('slot.unexpected-error', { slot, error });
          }
        }
        continue;
      }
      if (!this.isPolling()) {
        // stop() raced the grant: hand the trials straight back.
        for (const granted of leases) await this.handBack(slot, granted);
        break;
      }
      try {
        if (leases.length === 1) await this.queue.add(() => this.runLease(slot, worker, lease, heartbeatIntervalMs));
        else await this.queue.add(() => this.runBundle(slot, worker, leases, heartbeatIntervalMs));
      } catch (error) {
        // runLease/runBundle turn every known failure into a report; this is a bug, and must not end the slot.
        this.logger.error('slot.unexpected-error', { slot, trial: lease.trialId, error });
      }
    }
  }

  /** One poll: up to `fuse` leases when the channel can hand out bundles, else one. */
  private async pollLeases(agentId: string, waitMs: number): Promise<readonly TrialLease[]> {
    const channel = this.channel;
    if (this.options.fuse > 1 && channel.pollBundle !== undefined) {
      return channel.pollBundle({ agentId, waitMs, maxBundle: this.options.fuse }, this.polling.signal);
    }
    const lease = await channel.poll({ agentId, waitMs }, this.polling.signal);
    return lease === null ? [] : [lease];
  }

  /**
   * Trains the leases' trials as one fused bundle in the slot's worker. Each member keeps its
   * own lease: its own heartbeat carries its own epochs, and it is completed or failed on its
   * own. The bundle stops only when every member has been told to stop (shutdown, a cancelled
   * sweep). A member cancelled alone (pruned) or whose lease is lost leaves the bundle at once:
   * the worker is told to stop it (`stop-members`), and before the bundle's next batch it stops
   * costing work while the others train on bit for bit (docs/fused-training.md, "Stopping one
   * member"). From then on its epochs are not sent; at the end a cancelled member is reported as
   * cancelled with the history it had when told to stop (epochs the worker finished before the
   * stop reached it are cut), and a member whose lease was lost is not reported at all. A worker crash
   * fails every member still owned. Part of the bundle may move to another slot on the way
   * (stealPart): those members keep their leases and heartbeats, and are reported from there.
   */
  private async runBundle(slot: number, worker: WorkerProcess, leases: readonly TrialLease[], heartbeatIntervalMs: number): Promise<void> {
    const logger = this.logger.child({ slot, bundle: leases.length });
    const share: BundleShare = { members: new Map(), abort: new AbortController() };
    for (const lease of leases) {
      const trialId = lease.trialId;
      const abort = new AbortController();
      const memberLogger = logger.child({ trial: trialId, attempt: lease.attempt });
      const heartbeat = new LeaseHeartbeat({
        channel: this.channel,
        lease,
        intervalMs: heartbeatIntervalMs,
        epochFlushMs: this.options.epochFlushMs,
        logger: memberLogger,
        onCancel: (reason) => {
          memberLogger.info('trial.cancel-requested', { reason });
          this.events.emit('trial-cancel-requested', { slot: this.running.get(lease.leaseId)?.slot ?? slot, trialId, reason });
          abort.abort(reason);
        },
        onLeaseLost: () => {
          this.events.emit('lease-lost', { slot: this.running.get(lease.leaseId)?.slot ?? slot, trialId });
          abort.abort('lease-lost');
        },
      });
      const member: BundleMember = { lease, abort, heartbeat, epochs: 0, cancelled: null, share };
      share.members.set(trialId, member);
      // Aborted by its heartbeat, or by stop() through `running`.
      abort.signal.addEventListener(
        'abort',
        () => {
          member.cancelled ??= { reason: toCancelReason(abort.signal.reason), atEpochs: member.epochs };
          stopShareIfAllCancelled(member.share);
        },
        { once: true },
      );
      this.running.set(lease.leaseId, { slot, lease, abort });
      this.events.emit('trial-started', { slot, lease });
    }
    logger.info('bundle.started', { sweep: leases[0]?.sweepId, trials: leases.map((lease) => lease.trialId) });
    const specs = leases.map((lease) => lease.trial);
    await this.trainShare(slot, worker, share, logger, specs, (options) => worker.runBundle(specs, options));
  }

  /**
   * Trains a share of a bundle (all of it, or a part handed over) in the slot's worker, then
   * reports each member it still owns at the end. While it trains, an idle slot may take part of
   * it (stealPart), and those members leave this share.
   */
  private async trainShare(
    slot: number,
    worker: WorkerProcess,
    share: BundleShare,
    logger: Logger,
    specs: readonly TrialSpec[],
    train: (options: WorkerBundleOptions) => Promise<TrialResult[]>,
  ): Promise<void> {
    const busy: BusySlot = { slot, worker, share, asked: false };
    this.busySlots.add(busy);
    let outcome: { readonly kind: 'results'; readonly results: readonly TrialResult[] } | { readonly kind: 'worker-error'; readonly error: Error };
    let files: AcquiredFiles | undefined;
    try {
      files = await this.acquireFiles(specs);
      const results = await train({
        signal: share.abort.signal,
        // Each member's own stop reaches the worker, which drops that member alone.
        memberSignals: new Map([...share.members].map(([trialId, member]) => [trialId, member.abort.signal])),
        files: files.paths,
        onEpoch: (trialId, record) => {
          const member = share.members.get(trialId);
          if (member === undefined || member.cancelled !== null) return;
          member.epochs += 1;
          member.heartbeat.epoch(record);
          this.events.emit('trial-epoch', { slot, trialId, record });
        },
      });
      outcome = { kind: 'results', results };
    } catch (error) {
      outcome = { kind: 'worker-error', error: error instanceof Error ? error : new Error(String(error)) };
    } finally {
      files?.release();
      this.busySlots.delete(busy);
      for (const member of share.members.values()) {
        member.heartbeat.stop();
        this.running.delete(member.lease.leaseId);
      }
    }

    const resultOf = new Map(outcome.kind === 'results' ? outcome.results.map((result) => [result.trialId, result]) : []);
    if (outcome.kind === 'worker-error') {
      logger.error('bundle.worker-failed', { error: outcome.error });
      const first = share.members.keys().next();
      if (isWorkerRunError(outcome.error)) this.events.emit('worker-crashed', { slot, trialId: first.done === true ? '' : first.value, error: outcome.error });
    }
    await Promise.all(
      [...share.members.values()].map(async (member) => {
        const { lease } = member;
        const trialId = lease.trialId;
        let report: TrialReport;
        let result: TrialResult | null = null;
        if (member.heartbeat.leaseLost) {
          logger.warn('trial.abandoned', { trial: trialId, reason: 'lease-lost' });
          report = { kind: 'none', why: 'lease-lost' };
        } else if (outcome.kind === 'worker-error') {
          report = await this.reportFailure(slot, lease, failureOf(outcome.error));
        } else {
          const trained = resultOf.get(trialId);
          if (trained === undefined) {
            report = await this.reportFailure(slot, lease, { kind: 'WorkerProtocolError', message: `the bundle gave no result for trial ${trialId}` });
          } else {
            // Cut at what the member had when told to stop, whatever the worker trained or ended it with after.
            result = member.cancelled === null ? trained : cancelledAt(trained, member.cancelled, lease);
            report = await this.reportResult(slot, lease, result);
          }
        }
        logger.info('trial.finished', { trial: trialId, status: result?.outcome.status ?? 'no-result', report: report.kind });
        this.events.emit('trial-finished', { slot, trialId, result, report });
      }),
    );
  }

  /** Another slot's fused run this slot could take part of (the one with the most trials), if any. */
  private stealable(slot: number): BusySlot | undefined {
    if (!this.options.steal) return undefined;
    let best: BusySlot | undefined;
    for (const busy of this.busySlots) {
      if (busy.slot === slot || busy.asked || !busy.worker.splittable) continue;
      if (best === undefined || busy.share.members.size > best.share.members.size) best = busy;
    }
    return best;
  }

  /**
   * Work stealing: asks another slot's bundle for part of its trials (handed off before its next
   * batch, once its schedules have parted) and trains that part here. Waits at most
   * stealWaitMs for it, so the slot polls the coordinator again soon; a part already on its way
   * is trained all the same.
   */
  private async stealPart(slot: number, worker: WorkerProcess, victim: BusySlot): Promise<void> {
    victim.asked = true;
    const withdraw = new AbortController();
    const timer = setTimeout(() => withdraw.abort(), this.options.stealWaitMs);
    const onStop = (): void => withdraw.abort();
    this.polling.signal.addEventListener('abort', onStop, { once: true });
    let part: BundlePart | null;
    try {
      part = await victim.worker.requestPart(withdraw.signal);
    } finally {
      clearTimeout(timer);
      this.polling.signal.removeEventListener('abort', onStop);
      victim.asked = false;
    }
    if (part === null) return;
    const share: BundleShare = { members: new Map(), abort: new AbortController() };
    for (const { spec } of part.members) {
      const member = victim.share.members.get(spec.id);
      if (member === undefined) continue;
      victim.share.members.delete(spec.id);
      member.share = share;
      share.members.set(spec.id, member);
      this.running.set(member.lease.leaseId, { slot, lease: member.lease, abort: member.abort });
    }
    // Members told to stop before the move stop here too; the giver's share may now be all stopped.
    stopShareIfAllCancelled(share);
    stopShareIfAllCancelled(victim.share);
    const logger = this.logger.child({ slot, part: share.members.size });
    logger.info('bundle.part-taken', { fromSlot: victim.slot, trials: [...share.members.keys()], epochsDone: part.epochsDone, batchesDone: part.batchesDone, physical: part.engine.count });
    this.events.emit('bundle-part-taken', { slot, fromSlot: victim.slot, trialIds: [...share.members.keys()], epochsDone: part.epochsDone, batchesDone: part.batchesDone });
    const taken = part;
    await this.queue.add(() => this.trainShare(slot, worker, share, logger, taken.members.map((member) => member.spec), (options) => worker.runPart(taken, options)));
  }

  private async runLease(slot: number, worker: WorkerProcess, lease: TrialLease, heartbeatIntervalMs: number): Promise<void> {
    const trialId = lease.trialId;
    const abort = new AbortController();
    const current: RunningTrial = { slot, lease, abort };
    this.running.set(lease.leaseId, current);
    const logger = this.logger.child({ slot, trial: trialId, attempt: lease.attempt });
    const heartbeat = new LeaseHeartbeat({
      channel: this.channel,
      lease,
      intervalMs: heartbeatIntervalMs,
      epochFlushMs: this.options.epochFlushMs,
      logger,
      onCancel: (reason) => {
        logger.info('trial.cancel-requested', { reason });
        this.events.emit('trial-cancel-requested', { slot, trialId, reason });
        abort.abort(reason);
      },
      onLeaseLost: () => {
        this.events.emit('lease-lost', { slot, trialId });
        abort.abort('lease-lost');
      },
    });
    logger.info('trial.started', { sweep: lease.sweepId, epochs: lease.trial.workload.epochs });
    this.events.emit('trial-started', { slot, lease });

    let outcome: { readonly kind: 'result'; readonly result: TrialResult } | { readonly kind: 'worker-error'; readonly error: Error };
    let files: AcquiredFiles | undefined;
    try {
      files = await this.acquireFiles([lease.trial]);
      const result = await worker.run(lease.trial, {
        signal: abort.signal,
        files: files.paths,
        onEpoch: (record) => {
          heartbeat.epoch(record);
          this.events.emit('trial-epoch', { slot, trialId, record });
        },
      });
      outcome = { kind: 'result', result };
    } catch (error) {
      // Typed worker errors in practice; anything else is still this trial's failure, not the agent's.
      outcome = { kind: 'worker-error', error: error instanceof Error ? error : new Error(String(error)) };
    } finally {
      files?.release();
      heartbeat.stop();
      this.running.delete(lease.leaseId);
    }

    let report: TrialReport;
    if (heartbeat.leaseLost) {
      // The trial is someone else's now (or done): our result must not be reported.
      logger.warn('trial.abandoned', { reason: 'lease-lost' });
      report = { kind: 'none', why: 'lease-lost' };
    } else if (outcome.kind === 'worker-error') {
      logger.error('trial.worker-failed', { error: outcome.error });
      if (isWorkerRunError(outcome.error)) this.events.emit('worker-crashed', { slot, trialId, error: outcome.error });
      report = await this.reportFailure(slot, lease, failureOf(outcome.error));
    } else {
      // A trial cancelled for 'shutdown' is reported too: the coordinator hands it back to the
      // queue without spending one of its attempts (the agent, not the trial, went away).
      report = await this.reportResult(slot, lease, outcome.result);
    }
    const result = outcome.kind === 'result' ? outcome.result : null;
    logger.info('trial.finished', { status: result?.outcome.status ?? 'no-result', report: report.kind });
    this.events.emit('trial-finished', { slot, trialId, result, report });
  }

  /**
   * Local paths for every file the trials name (one fetch per blob, shared by every slot), held
   * until released. A bundle's trials share a workload, so this is mostly one lookup per file.
   */
  private async acquireFiles(specs: readonly TrialSpec[]): Promise<AcquiredFiles> {
    const acquired: AcquiredFiles[] = [];
    const release = (): void => {
      for (const files of acquired.splice(0)) files.release();
    };
    try {
      const seen = new Set<WorkloadSpec>();
      for (const spec of specs) {
        if (seen.has(spec.workload)) continue;
        seen.add(spec.workload);
        acquired.push(await this.options.files.acquire(spec.workload));
      }
    } catch (error) {
      release();
      throw error;
    }
    const paths: Record<string, string> = {};
    for (const files of acquired) Object.assign(paths, files.paths);
    return { paths, release };
  }

  private async reportResult(slot: number, lease: TrialLease, result: TrialResult): Promise<TrialReport> {
    // A workload error (no retry can fix it) is a failed attempt of kind 'workload': the
    // coordinator then fails the trial without a retry and stops the trials that would meet it.
    const workload = result.outcome.status === 'failed' ? asWorkloadError(result.outcome.error) : null;
    if (workload !== null) return this.reportFailure(slot, lease, workload);
    return this.report(slot, lease, async (ref, signal) => {
      const { recorded } = await this.channel.complete(ref, result, signal);
      return { kind: 'completed', recorded };
    });
  }

  private async reportFailure(slot: number, lease: TrialLease, error: TrialErrorInfo): Promise<TrialReport> {
    return this.report(slot, lease, async (ref, signal) => {
      const { requeued } = await this.channel.fail(ref, error, signal);
      return { kind: 'failed', requeued };
    });
  }

  private async report(
    slot: number,
    lease: TrialLease,
    call: (ref: LeaseRef, signal: AbortSignal) => Promise<TrialReport>,
  ): Promise<TrialReport> {
    const ref: LeaseRef = { leaseId: lease.leaseId, fencingToken: lease.fencingToken };
    try {
      return await this.retrying('report', this.reporting.signal, (signal) => call(ref, signal));
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.logger.warn('report.refused', { slot, trial: lease.trialId, reason: 'lease-lost' });
        this.events.emit('lease-lost', { slot, trialId: lease.trialId });
        return { kind: 'none', why: 'lease-lost' };
      }
      if (error instanceof AgentStoppedError) {
        // The coordinator stayed unreachable past the report window: its lease expiry requeues the trial.
        this.logger.error('report.abandoned', { slot, trial: lease.trialId });
        return { kind: 'none', why: 'gave-up' };
      }
      throw error;
    }
  }

  /** Gives back a lease whose trial never started, without spending one of its attempts. */
  private async handBack(slot: number, lease: TrialLease): Promise<void> {
    const untouched: TrialResult = {
      trialId: lease.trialId,
      outcome: { status: 'cancelled', reason: 'shutdown' },
      history: [],
      lrReductions: [],
      objective: null,
      wallSeconds: 0,
      backend: this.backend ?? 'cpu',
      seed: lease.trial.seed,
    };
    const report = await this.reportResult(slot, lease, untouched);
    this.events.emit('trial-finished', { slot, trialId: lease.trialId, result: null, report });
  }

  // ---- stopping ----


  private async shutDown(starting: Promise<void> | null, drainMs: number, reportMs: number): Promise<void> {
    this.logger.info('agent.stopping', { running: this.running.size, drainMs });
    this.polling.abort();
    if (starting !== null) {
      // Stopped while the workers were still loading: closing them ends start().
      await Promise.all(this.workers.map((worker) => worker.close()));
      await starting.catch(() => undefined);
    }

    // Let running trials finish, up to the drain deadline.
    await Promise.race([this.queue.onIdle(), this.drainWindow(drainMs)]);
    this.endDrain();
    if (this.running.size > 0) {
      this.logger.info('agent.cancelling-trials', { trials: this.runningTrialIds });
      for (const trial of this.running.values()) trial.abort.abort('shutdown');
    }
    // Cancelled trials stop and are handed back; the reports get a bounded window.
    const reportTimer = setTimeout(() => this.reporting.abort(), reportMs);
    await this.queue.onIdle();
    await Promise.all(this.slotLoops);
    clearTimeout(reportTimer);
    this.reporting.abort();

    await Promise.all(this.workers.map((worker) => worker.close()));
    this.lifecycle = { kind: 'stopped' };
    this.logger.info('agent.stopped', {});
    this.events.emit('stopped', {});
  }

  private drainWindow(drainMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.drain = { atMs: Date.now() + drainMs, timer: setTimeout(() => this.endDrain(), drainMs), end: resolve };
    });
  }

  private endDrain(): void {
    const drain = this.drain;
    if (drain === null) return;
    this.drain = null;
    clearTimeout(drain.timer);
    drain.end();
  }

  private shortenDrain(drainMs: number): void {
    const drain = this.drain;
    if (drain === null || Date.now() + drainMs >= drain.atMs) return;
    clearTimeout(drain.timer);
    drain.atMs = Date.now() + drainMs;
    drain.timer = setTimeout(() => this.endDrain(), drainMs);
  }
}

/**
 * A bundle member's result as if it had stopped when told to: cancelled with its own reason, with
 * the epochs it had finished by then (the worker may have finished more before the stop reached
 * it, or ended it with the whole bundle's reason; those epochs were never reported).
 */
function cancelledAt(trained: TrialResult, cancelled: { readonly reason: CancelReason; readonly atEpochs: number }, lease: TrialLease): TrialResult {
  const history = trained.history.slice(0, cancelled.atEpochs);
  return {
    ...trained,
    outcome: { status: 'cancelled', reason: cancelled.reason },
    history,
    lrReductions: trained.lrReductions.filter((epoch) => epoch <= history.length),
    objective: trialObjective(history, lease.trial.objective),
  };
}
