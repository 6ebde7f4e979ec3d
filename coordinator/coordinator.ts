// The coordinator's domain service: sweeps in, leases out, results stored once. No gRPC
// here (grpc-server.ts is the shell); the store holds every durable fact, the queue and
// the lease table hold what only matters while this process lives.
import { existsSync } from 'node:fs';
import { workloadFiles } from '../src/artifacts/workload-files.js';
import type { Logger } from '../src/log/logger.js';
import type { AgentRegistration, HeartbeatDirective, LeaseRef, TrialLease } from '../src/rpc/agent-channel.js';
import { FAILURES_SHOWN, type SubmittedSweep, type SweepProgress, type SweepSummary } from '../src/rpc/sweep-progress.js';
import { expandGridInChunks, gridSize } from '../src/spec/grid.js';
import { sweepId as sweepIdOf } from '../src/spec/ids.js';
import type { SweepSpec } from '../src/spec/sweep-spec.js';
import type { SweepSnapshot } from '../src/trial/records.js';
import type { CancelReason, EpochRecord, TrialErrorInfo, TrialResult, TrialSpec } from '../src/trial/types.js';
import { CoordinatorEventBus, type ReportCall } from './coordinator-events.js';
import { resolveCoordinatorOptions, type CoordinatorOptions, type ResolvedCoordinatorOptions } from './coordinator-options.js';
import { ArtifactStore } from './artifact-store.js';
import { CoordinatorClosedError, InvalidReportError, MissingArtifactError, StaleLeaseError, UnknownAgentError, UnknownSweepError } from './errors.js';
import { LeaseTable, loopStallMs, type Lease } from './lease-table.js';
import { fusionKey } from '../src/train/fused/fusion-key.js';
import { SweepStore, trialKeyOf, type SweepPosition, type LostAttempt, type LostAttemptOutcome, type QueuedTrialRef, type StoredTrial, type TrialRef } from './sweep-store.js';
import { StoreUnavailableError, type StoreHealth } from './store-health.js';
import { summarizeSweep } from './sweep-summary.js';
import { failedAttemptEnding } from '../src/trial/attempt-ending.js';
import { workloadScopeOf } from '../src/trial/workload-error.js';
import { dealBundle, type DealCandidate } from './bundle-dealer.js';
import { TrialQueue, type QueuedTrial } from './trial-queue.js';
import { SweepStopper, type StopOutcome } from '../src/stopping/sweep-stopper.js';
import type { StopRecord } from '../src/stopping/stop-types.js';
import type { BackendName } from '../src/trial/types.js';

const BACKEND_NAMES: readonly string[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] satisfies readonly BackendName[];

export interface AgentInfo {
  readonly hostname: string;
  readonly slots: number;
  readonly backend: string;
  readonly version: string;
}

export interface CoordinatorStats {
  readonly queued: number;
  readonly leasesHeld: number;
  readonly pendingPolls: number;
  /** Late complete/fail reports refused by fencing token, since this process started. */
  readonly staleResultsRejected: number;
  readonly staleHeartbeatsRejected: number;
}

/** Reasons for which a worker stops a trial that should run again elsewhere (not a result). */
const handBackReasons: readonly CancelReason[] = ['shutdown', 'interrupted', 'lease-lost'];

type Lifecycle = 'open' | 'closed';

interface PendingPoll {
  readonly agentId: string;
  readonly maxBundle: number;
  readonly settle: (leases: readonly TrialLease[]) => void;
}

/**
 * Trials expanded, written (one transaction) and queued per event-loop turn when a sweep is
 * submitted: a few milliseconds of work, so heartbeats are answered during a big submit.
 */
export const SUBMIT_CHUNK_TRIALS = 500;

/** A bundle is never larger than this, whatever an agent asks for (a bound on one poll's work). */
export const MAX_BUNDLE = 256;

/** One poll's answer while any of its leases is held: roughly one busy agent slot. */
interface Grant {
  readonly agentId: string;
  held: number;
}

/** Most sweeps in one page of ListSweeps. */
export const MAX_LIST_PAGE = 1_000;

export class InvalidPageTokenError extends Error {
  override readonly name = 'InvalidPageTokenError';
  constructor(readonly token: string) {
    super(`page_token: ${JSON.stringify(token.slice(0, 40))} is not a token from a previous ListSweeps page`);
  }
}

/** '' → the first page; else the `<createdAtMs>/<sweepId>` of the previous page's last sweep. */
function parsePageToken(token: string): SweepPosition | null {
  if (token === '') return null;
  const match = /^([0-9]{1,16})\/([A-Za-z0-9_-]{1,128})$/.exec(token);
  if (match === null || match[1] === undefined || match[2] === undefined) throw new InvalidPageTokenError(token);
  return { createdAtMs: Number(match[1]), sweepId: match[2] };
}

function sanitizeHostname(hostname: string): string {
  const cleaned = hostname.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').slice(0, 40);
  return cleaned === '' ? 'agent' : cleaned;
}

export class Coordinator {
  readonly events: CoordinatorEventBus;
  /** Content-addressed blobs under the data dir: what uploads write and agents fetch. */
  readonly artifacts: ArtifactStore;
  private readonly options: ResolvedCoordinatorOptions;
  private readonly logger: Logger;
  private readonly store: SweepStore;
  private readonly queue = new TrialQueue();
  private readonly leases: LeaseTable;
  /** Trial refs of the leases held now, by trial key. */
  private readonly held = new Map<string, TrialRef>();
  /** The epoch count of each held trial, by trial key: what a report may carry at most. */
  private readonly heldEpochs = new Map<string, number>();
  /** Early stopping per sweep that has earlyStop, built on the first epoch reported to this process. */
  private readonly stoppers = new Map<string, SweepStopper>();
  /** When each held lease was granted, for a stopped trial's wall time. */
  private readonly leaseStartedMs = new Map<string, number>();
  private readonly knownAgents = new Set<string>();
  /** Slots of each known agent, for splitting a sweep's work between an agent's idle slots. */
  private readonly agentSlots = new Map<string, number>();
  /** The grant each held lease was handed out in, by lease id. */
  private readonly grantOfLease = new Map<string, Grant>();
  private readonly grantsByAgent = new Map<string, number>();
  /** When each agent last polled: an agent seen lately, or busy, shares in a sweep's bundles. */
  private readonly lastPollMs = new Map<string, number>();
  /** fusionKeyOf's memo: by sweep, seed and batch size. */
  private readonly fusionKeys = new Map<string, string>();
  private readonly pendingPolls: PendingPoll[] = [];
  /** Sweeps being written by submitSweep, not yet visible: their submit resolves once they are. */
  private readonly creating = new Map<string, Promise<SubmittedSweep>>();
  /** Bumped on every change of a sweep, so a watcher never misses one between two reads. */
  private readonly changeVersion = new Map<string, number>();
  private readonly changeWaiters = new Set<() => void>();
  private readonly expiryTimer: NodeJS.Timeout | undefined;
  private lifecycle: Lifecycle = 'open';
  /**
   * Leases expired in memory (logged and counted once) whose expiry the store could not record
   * yet (an unwritable store): retried quietly on each check and when the store recovers.
   */
  private readonly expiriesToRecord = new Map<string, { readonly lease: Lease; readonly trial: TrialRef }>();
  /** When the timer last looked for expired leases (see checkLeasesSafely). */
  private lastExpiryCheckMs: number;
  private staleResultsRejected = 0;
  private staleHeartbeatsRejected = 0;

  constructor(options: CoordinatorOptions) {
    this.options = resolveCoordinatorOptions(options);
    this.logger = this.options.logger.child({ component: 'coordinator' });
    this.events = new CoordinatorEventBus(this.logger);
    this.leases = new LeaseTable(this.options.newId);
    // One commit per event-loop turn for the hot writes (see the note atop sweep-store.ts).
    this.store = SweepStore.open(this.options.dataDir, this.options.clock(), { commitMode: 'per-turn' });
    this.store.onHealthChange((health) => this.storeHealthChanged(health));
    this.artifacts = new ArtifactStore(this.options.dataDir, this.options.maxArtifactBytes);
    for (const trial of this.store.queuedTrials()) this.enqueue(trial);
    if (this.queue.size > 0) this.logger.info('coordinator.resumed', { queued: this.queue.size });
    this.lastExpiryCheckMs = this.options.clock();
    if (this.options.expiryCheckIntervalMs > 0) {
      this.expiryTimer = setInterval(() => this.checkLeasesSafely(), this.options.expiryCheckIntervalMs);
      // The timer keeps watch; it must not keep a finished process alive.
      this.expiryTimer.unref();
    }
  }

  get leaseTimeoutMs(): number {
    return this.options.leaseTimeoutMs;
  }

  /** Whether the store can write now (gRPC health and /healthz follow it). */
  get storeHealth(): StoreHealth {
    return this.store.health;
  }

  // ── sweeps ──────────────────────────────────────────────────────────────

  /**
   * Creates the sweep, or resumes it when a sweep with the same id exists (cancelled trials run
   * again; after a workload error, the stopped trials too). A big grid is expanded, written and
   * queued a chunk per event-loop turn (see SUBMIT_CHUNK_TRIALS); until it is all written the
   * sweep is not listed, and a second submit of the same sweep waits for the first.
   */
  submitSweep(spec: SweepSpec, source: string): Promise<SubmittedSweep> {
    let blobs: readonly string[];
    try {
      this.assertOpen();
      blobs = this.heldArtifactsOf(spec);
    } catch (error) {
      return Promise.reject(error);
    }
    const sweepId = sweepIdOf(spec);
    const creating = this.creating.get(sweepId);
    if (creating !== undefined) return creating.then(({ totalTrials }) => ({ sweepId, resumed: true, totalTrials }));
    try {
      // A creation that failed part-way (a full disk) left rows nobody was told about: start afresh.
      this.store.dropIncompleteSweeps(sweepId);
    } catch (error) {
      return Promise.reject(error);
    }
    const existing = this.store.getSweep(sweepId);
    if (existing !== undefined) {
      try {
        return Promise.resolve(this.resubmit(sweepId, existing.cancelled, existing.totalTrials, blobs));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const created = this.createSweep(sweepId, spec, source, blobs);
    this.creating.set(sweepId, created);
    // A failed creation leaves `creating` too: its partial rows are dropped by the next submit or open.
    const settle = (): void => void this.creating.delete(sweepId);
    created.then(settle, settle);
    return created;
  }

  private resubmit(sweepId: string, cancelled: boolean, totalTrials: number, blobs: readonly string[]): SubmittedSweep {
    if (cancelled) {
      const requeued = this.store.resumeSweep(sweepId);
      for (const trial of requeued) this.enqueue(trial);
      this.logger.info('sweep.resumed', { sweepId, requeued: requeued.length });
      this.dispatch();
    } else if (this.store.sweepError(sweepId) !== null) {
      // Submitted again after a workload error: the data may be fixed, so the stopped trials get their chance.
      const requeued = this.store.resumeAfterWorkloadError(sweepId);
      for (const trial of requeued) this.enqueue(trial);
      this.logger.info('sweep.resumed', { sweepId, requeued: requeued.length, after: 'workload-error' });
      this.dispatch();
    }
    this.store.recordSweepArtifacts(sweepId, blobs);
    this.events.emit('sweep-submitted', { sweepId, resumed: true, totalTrials });
    this.changed(sweepId);
    return { sweepId, resumed: true, totalTrials };
  }

  private async createSweep(sweepId: string, spec: SweepSpec, source: string, blobs: readonly string[]): Promise<SubmittedSweep> {
    const totalTrials = gridSize(spec);
    const queued = await this.store.createSweepInChunks({ sweepId, spec, specSource: source, totalTrials, chunks: expandGridInChunks(spec, SUBMIT_CHUNK_TRIALS), nowMs: this.options.clock() });
    this.assertOpen();
    this.store.recordSweepArtifacts(sweepId, blobs);
    // Queued a chunk per turn too (each add is a sorted insert), dispatching as they come.
    for (let start = 0; start < queued.length; start += SUBMIT_CHUNK_TRIALS) {
      if (start > 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.assertOpen();
      }
      for (const trial of queued.slice(start, start + SUBMIT_CHUNK_TRIALS)) this.enqueue(trial);
      this.dispatch();
    }
    this.logger.info('sweep.submitted', { sweepId, name: spec.name, trials: totalTrials });
    this.events.emit('sweep-submitted', { sweepId, resumed: false, totalTrials });
    this.changed(sweepId);
    return { sweepId, resumed: false, totalTrials };
  }

  /**
   * The blobs the spec names, each one held (uploaded, verified and fsynced) before the sweep is
   * accepted: an agent must be able to fetch every file of every trial. Throws MissingArtifactError.
   */
  private heldArtifactsOf(spec: SweepSpec): string[] {
    const blobs: string[] = [];
    for (const { field, ref } of workloadFiles(spec.workload)) {
      if (ref.kind !== 'artifact') continue;
      if (!existsSync(this.artifacts.blobPath(ref.sha256))) throw new MissingArtifactError(field, ref.sha256, ref.name);
      blobs.push(ref.sha256);
    }
    return blobs;
  }

  /** Every blob some sweep of the store names (what gc keeps). */
  referencedArtifacts(): ReadonlySet<string> {
    this.assertOpen();
    return this.store.referencedArtifacts();
  }

  getSweep(sweepId: string): SweepSummary {
    this.assertOpen();
    const sweep = this.creating.has(sweepId) ? undefined : this.store.getSweep(sweepId);
    if (sweep === undefined) throw new UnknownSweepError(sweepId);
    return summarizeSweep(sweep, this.store.counts(sweepId), this.store.best(sweepId, sweep.spec.objective.goal), this.store.sweepError(sweepId));
  }

  /**
   * A page of listSweeps: up to `pageSize` sweeps after the one `pageToken` names (from the
   * previous page; '' for the first), and the token of the next page ('' on the last).
   */
  listSweepsPage(pageToken: string, pageSize: number): { readonly sweeps: readonly SweepSummary[]; readonly nextPageToken: string } {
    this.assertOpen();
    const size = Math.min(MAX_LIST_PAGE, Math.max(1, Math.floor(pageSize)));
    // One more than asked for says whether another page follows.
    const page = this.store.listSweepsAfter(parsePageToken(pageToken), size + 1);
    const shown = page.slice(0, size);
    const last = shown.at(-1);
    return {
      sweeps: shown
        .filter((sweep) => !this.creating.has(sweep.sweepId))
        .map((sweep) => summarizeSweep(sweep, this.store.counts(sweep.sweepId), this.store.best(sweep.sweepId, sweep.spec.objective.goal), this.store.sweepError(sweep.sweepId))),
      nextPageToken: page.length > size && last !== undefined ? `${last.createdAtMs}/${last.sweepId}` : '',
    };
  }

  /** Every sweep, oldest first. */
  listSweeps(): readonly SweepSummary[] {
    this.assertOpen();
    return this.store
      .listSweeps()
      .filter((sweep) => !this.creating.has(sweep.sweepId))
      .map((sweep) => summarizeSweep(sweep, this.store.counts(sweep.sweepId), this.store.best(sweep.sweepId, sweep.spec.objective.goal), this.store.sweepError(sweep.sweepId)));
  }

  /** Queued trials are cancelled now; running ones get a cancel directive on their next heartbeat. */
  cancelSweep(sweepId: string): SweepSummary {
    this.assertOpen();
    if (this.creating.has(sweepId) || this.store.getSweep(sweepId) === undefined) throw new UnknownSweepError(sweepId);
    const { cancelledQueued, holdingLease } = this.store.cancelSweep(sweepId);
    for (const ref of cancelledQueued) this.queue.remove(trialKeyOf(ref));
    this.logger.info('sweep.cancelled', { sweepId, cancelledQueued: cancelledQueued.length, running: holdingLease.length });
    this.events.emit('sweep-cancelled', { sweepId });
    this.afterTrialEnded(sweepId);
    return this.getSweep(sweepId);
  }

  progress(sweepId: string): SweepProgress {
    const summary = this.getSweep(sweepId);
    const failures = summary.counts.failed + summary.counts.diverged === 0 ? [] : this.store.failedTrials(sweepId, FAILURES_SHOWN);
    return { summary, running: this.store.runningProgress(sweepId), failures };
  }

  /**
   * Progress now, then again after each change (at most one per watchThrottleMs), until the
   * sweep has finished, the signal aborts or the coordinator closes.
   */
  async *watch(sweepId: string, signal?: AbortSignal): AsyncGenerator<SweepProgress, void, undefined> {
    let seen = this.changeVersion.get(sweepId) ?? 0;
    let progress = this.progress(sweepId);
    for (;;) {
      yield progress;
      if (progress.summary.finishedAtMs !== null) return;
      const changed = await this.waitForChange(sweepId, seen, signal);
      if (!changed) return;
      await this.pause(this.options.watchThrottleMs, signal);
      if (this.lifecycle === 'closed' || signal?.aborted === true) return;
      seen = this.changeVersion.get(sweepId) ?? 0;
      progress = this.progress(sweepId);
    }
  }

  /** What the results document is built from. */
  snapshot(sweepId: string): SweepSnapshot {
    this.assertOpen();
    const snapshot = this.creating.has(sweepId) ? undefined : this.store.snapshot(sweepId, { node: process.version, ...this.options.versions });
    if (snapshot === undefined) throw new UnknownSweepError(sweepId);
    return snapshot;
  }

  // ── agents ──────────────────────────────────────────────────────────────

  registerAgent(agent: AgentInfo): AgentRegistration {
    this.assertOpen();
    const agentId = `${sanitizeHostname(agent.hostname)}-${this.options.newId().replace(/-/g, '').slice(0, 8)}`;
    this.store.registerAgent({ agentId, ...agent }, this.options.clock());
    this.knownAgents.add(agentId);
    this.agentSlots.set(agentId, agent.slots);
    this.logger.info('agent.registered', { agentId, hostname: agent.hostname, slots: agent.slots, backend: agent.backend });
    this.events.emit('agent-registered', { agentId, hostname: agent.hostname, slots: agent.slots, backend: agent.backend });
    return { agentId, heartbeatIntervalMs: this.options.heartbeatIntervalMs };
  }

  /**
   * Long-poll: a lease as soon as a trial is queued, or null after waitMs (or on abort or
   * close: a draining coordinator lets go of its polls at once).
   */
  poll(agentId: string, waitMs: number, signal?: AbortSignal): Promise<TrialLease | null> {
    return this.pollBundle(agentId, waitMs, 1, signal).then((leases) => leases[0] ?? null);
  }

  /**
   * Long-poll for a bundle: the next queued trial (chosen as poll chooses it), plus up to
   * maxBundle − 1 more queued trials of the same sweep with the same fusionKey, so the agent can
   * train them as one fused model. Each gets its own lease and fencing token, as if leased one by
   * one. Which ones bundle-dealer.ts chooses: the matching work is split over the idle slots of
   * the agents seen lately (see idleSlots), keeping trials that share a training prefix in one
   * slot and the estimated work of the slots even. Resolves with no leases after waitMs (or abort or close).
   */
  pollBundle(agentId: string, waitMs: number, maxBundle: number, signal?: AbortSignal): Promise<readonly TrialLease[]> {
    this.assertOpen();
    this.assertAgent(agentId);
    // A lease the store cannot record would be one the agent holds and the store does not.
    this.assertStoreWritable();
    const bundleLimit = Math.min(MAX_BUNDLE, Math.max(1, Math.floor(maxBundle)));
    this.lastPollMs.set(agentId, this.options.clock());
    const immediate = this.pendingPolls.length === 0 ? this.leaseBundle(agentId, bundleLimit) : [];
    if (immediate.length > 0) return Promise.resolve(immediate);
    const wait = Math.max(0, Math.min(waitMs, this.options.maxPollWaitMs));
    if (wait === 0 || signal?.aborted === true) return Promise.resolve([]);
    return new Promise((resolve) => {
      const finish = (leases: readonly TrialLease[]): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.pendingPolls.indexOf(pending);
        if (index >= 0) this.pendingPolls.splice(index, 1);
        resolve(leases);
      };
      const onAbort = (): void => finish([]);
      const pending: PendingPoll = { agentId, maxBundle: bundleLimit, settle: finish };
      const timer = setTimeout(() => finish([]), wait);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pendingPolls.push(pending);
      this.events.emit('poll-waiting', { agentId, waitMs: wait });
      this.dispatch();
    });
  }

  /** Renews the lease, stores the epochs; says cancel when the sweep was cancelled. */
  heartbeat(ref: LeaseRef, epochs: readonly EpochRecord[]): HeartbeatDirective {
    this.assertOpen();
    const current = this.leases.validate(ref.leaseId, ref.fencingToken);
    if (current.status === 'stale') {
      // Stopped early while its heartbeat was on the way (another trial's report stopped it): the
      // agent is told why, as if this beat had stopped it, and its epochs past the stop are dropped.
      if (this.prunedByLease(ref)) return { kind: 'cancel', reason: 'pruned' };
      throw this.rejectStale(ref, 'heartbeat');
    }
    // Refused before it renews anything: a report no honest worker could make.
    this.checkEpochs(current.lease, epochs, 'heartbeat');
    const check = this.leases.renew(ref.leaseId, ref.fencingToken, this.options.clock());
    if (check.status === 'stale') throw this.rejectStale(ref, 'heartbeat');
    const trial = this.heldRef(check.lease);
    this.store.recordHeartbeat(trial, ref.fencingToken, epochs);
    this.events.emit('trial-heartbeat', { ...trial, agentId: check.lease.agentId, epochs });
    this.changed(trial.sweepId);
    if (this.store.isCancelled(trial.sweepId)) return { kind: 'cancel', reason: 'sweep-cancelled' };
    if (this.store.isStoppedForWorkload(trial)) return { kind: 'cancel', reason: 'workload-error' };
    return this.judgeEarlyStop(check.lease, trial, epochs) ? { kind: 'cancel', reason: 'pruned' } : { kind: 'continue' };
  }

  private stopperFor(sweepId: string): SweepStopper | null {
    const known = this.stoppers.get(sweepId);
    if (known !== undefined) return known;
    const spec = this.store.getSweep(sweepId)?.spec;
    if (spec?.earlyStop === undefined) return null;
    const stopper = new SweepStopper(spec.earlyStop, spec.objective);
    // A coordinator that restarted (or resumed the sweep) judges against every trial recorded
    // before, not only the ones that report from now on.
    for (const trial of this.store.snapshot(sweepId, {})?.trials ?? []) {
      const result = trial.result;
      if (result !== null) stopper.remember(trial.spec, result.history, result.outcome.status === 'pruned' ? result.outcome.stop : null);
    }
    this.stoppers.set(sweepId, stopper);
    return stopper;
  }

  /**
   * Feeds the epochs to the sweep's early-stopping rule, then judges again the running trials
   * those epochs may now stop (SweepStopper.rejudge). True when the reporting trial was stopped.
   */
  private judgeEarlyStop(lease: Lease, trial: TrialRef, epochs: readonly EpochRecord[]): boolean {
    if (epochs.length === 0) return false;
    const stopper = this.stopperFor(trial.sweepId);
    if (stopper === null) return false;
    const spec = stopper.specOf(trial.trialId) ?? this.store.getTrial(trial)?.spec;
    if (spec === undefined) return false;
    const verdict = stopper.observe(spec, epochs);
    if (verdict.stopped) this.recordStop(lease, trial, verdict);
    this.stopLate(stopper, trial, epochs);
    return verdict.stopped;
  }

  /** Records the running trials that `reporter`'s epochs (a heartbeat's, or a finished trial's history) now stop. */
  private stopLate(stopper: SweepStopper, reporter: TrialRef, epochs: readonly EpochRecord[]): void {
    const leaseOf = (trialId: string): Lease | undefined => this.leases.currentFor(trialKeyOf({ sweepId: reporter.sweepId, trialId }));
    for (const late of stopper.rejudge(reporter.trialId, epochs, (trialId) => leaseOf(trialId) !== undefined)) {
      const lease = leaseOf(late.trialId);
      if (lease !== undefined) this.recordStop(lease, this.heldRef(lease), late);
    }
  }

  /**
   * Records a stopped trial as pruned now (history cut at the stop, the value at the stop as its
   * objective) and ends its lease, so no crash or restart can requeue it; the agent's next
   * heartbeat is answered cancel (pruned) and its own cancelled report `recorded: false`.
   */
  private recordStop(lease: Lease, trial: TrialRef, stopped: StopOutcome): void {
    const nowMs = this.options.clock();
    const backend = this.store.getAgent(lease.agentId)?.backend ?? '';
    const result: TrialResult = {
      trialId: trial.trialId,
      outcome: { status: 'pruned', stop: stopped.stop },
      history: stopped.history,
      lrReductions: lrCutsOf(stopped.history),
      objective: stopped.objective,
      wallSeconds: Math.max(0, nowMs - (this.leaseStartedMs.get(lease.leaseId) ?? nowMs)) / 1000,
      // What the agent registered; an agent that registered 'auto' or an unknown name reads as cpu.
      backend: (BACKEND_NAMES.includes(backend) ? backend : 'cpu') as BackendName,
      seed: stopped.seed,
    };
    this.store.recordResult(trial, { leaseId: lease.leaseId, fencingToken: lease.fencingToken, agentId: lease.agentId, result, nowMs });
    this.releaseLease(lease);
    this.logger.info('trial.stopped-early', { sweepId: trial.sweepId, trialId: trial.trialId, ...stopFields(stopped.stop) });
    this.events.emit('trial-stopped', { ...trial, agentId: lease.agentId, rule: stopped.stop.rule });
    this.events.emit('trial-completed', { ...trial, agentId: lease.agentId, status: 'pruned' });
    this.afterTrialEnded(trial.sweepId);
  }

  /** True when this lease recorded its trial's result as a stop (pruned). */
  private prunedByLease(ref: LeaseRef): boolean {
    const attempt = this.store.attemptByLease(ref.leaseId);
    if (attempt === undefined) return false;
    const stop = this.stoppers.get(attempt.ref.sweepId)?.stopOf(attempt.ref.trialId) ?? null;
    const recordedBy = this.store.resultLease(attempt.ref);
    return stop !== null && recordedBy?.leaseId === ref.leaseId && recordedBy.fencingToken === ref.fencingToken;
  }

  /**
   * Records the trial's result once. A repeat by the lease that recorded it answers
   * `recorded: false`; any other non-current lease is refused (StaleLeaseError) and counted.
   * A result cancelled for shutdown/interruption hands the trial back to the queue instead.
   */
  complete(ref: LeaseRef, result: TrialResult): { readonly recorded: boolean } {
    this.assertOpen();
    // Before the stale check: a result whose batch failed to commit waits in the store for the
    // probe, and only once it is recorded can a retry be told `recorded: false`.
    this.holdLeaseWhileUnwritable(ref);
    const check = this.leases.validate(ref.leaseId, ref.fencingToken);
    if (check.status === 'stale') {
      const attempt = this.store.attemptByLease(ref.leaseId);
      const recordedBy = attempt === undefined ? undefined : this.store.resultLease(attempt.ref);
      if (recordedBy !== undefined && recordedBy.leaseId === ref.leaseId && recordedBy.fencingToken === ref.fencingToken) return { recorded: false };
      throw this.rejectStale(ref, 'complete');
    }
    const trial = this.heldRef(check.lease);
    if (result.trialId !== trial.trialId) {
      throw new InvalidReportError(ref.leaseId, `a result for trial ${result.trialId} on the lease of trial ${trial.trialId}`);
    }
    this.checkEpochs(check.lease, result.history, 'result');
    const { outcome } = result;
    // A workload error reported as a result (rather than a failed attempt) is handled the same way.
    if (outcome.status === 'failed' && workloadScopeOf(outcome.error) !== null) {
      this.failForWorkload(check.lease, trial, outcome.error);
      return { recorded: false };
    }
    if (outcome.status === 'cancelled' && handBackReasons.includes(outcome.reason)) {
      this.endLostAttempt(check.lease, trial, { event: 'release', ending: `handed back: ${outcome.reason}` });
      return { recorded: false };
    }
    const stopper = this.stoppers.get(trial.sweepId);
    const spec = stopper === undefined ? undefined : (stopper.specOf(trial.trialId) ?? this.store.getTrial(trial)?.spec);
    if (stopper !== undefined && spec !== undefined) stopper.remember(spec, result.history);
    this.store.recordResult(trial, {
      leaseId: ref.leaseId,
      fencingToken: ref.fencingToken,
      agentId: check.lease.agentId,
      result,
      nowMs: this.options.clock(),
    });
    this.releaseLease(check.lease);
    // A finished trial's epochs count toward every later median: the running trials at those epochs are judged again.
    if (stopper !== undefined) this.stopLate(stopper, trial, result.history);
    const status = outcome.status;
    this.logger.info('trial.completed', { sweepId: trial.sweepId, trialId: trial.trialId, status, agentId: check.lease.agentId });
    this.events.emit('trial-completed', { ...trial, agentId: check.lease.agentId, status });
    this.afterTrialEnded(trial.sweepId);
    return { recorded: true };
  }

  /**
   * Resolves once every result recorded so far is on disk (results share one fsync per turn):
   * await it before telling a remote agent its result is recorded.
   */
  durable(): Promise<void> {
    return this.store.durable();
  }

  /**
   * This attempt failed: the trial is requeued while attempts are left, else failed for good. A
   * workload error (kind WORKLOAD_ERROR_KIND) is never retried: see failForWorkload.
   */
  fail(ref: LeaseRef, error: TrialErrorInfo): { readonly requeued: boolean } {
    this.assertOpen();
    this.holdLeaseWhileUnwritable(ref);
    const check = this.leases.validate(ref.leaseId, ref.fencingToken);
    if (check.status === 'stale') throw this.rejectStale(ref, 'fail');
    const trial = this.heldRef(check.lease);
    if (workloadScopeOf(error) !== null) {
      this.failForWorkload(check.lease, trial, error);
      return { requeued: false };
    }
    const outcome = this.endLostAttempt(check.lease, trial, { event: 'fail', ending: failedAttemptEnding(error) });
    return { requeued: outcome.state === 'queued' };
  }

  /** Expires every lease past its time (the owned timer calls this; tests call it after moving the clock). */
  checkLeases(): number {
    if (this.lifecycle === 'closed') return 0;
    const expired = this.leases.expired(this.options.clock());
    for (const lease of expired) {
      const trial = this.heldRef(lease);
      this.logger.warn('lease.expired', { sweepId: trial.sweepId, trialId: trial.trialId, agentId: lease.agentId, fencingToken: lease.fencingToken });
      this.events.emit('lease-expired', { ...trial, agentId: lease.agentId, leaseId: lease.leaseId, fencingToken: lease.fencingToken });
      // Out of the table now, so it never expires twice, whether or not the store can record it yet.
      this.leases.release(lease.leaseId);
      this.expiriesToRecord.set(lease.leaseId, { lease, trial });
    }
    this.recordExpiries();
    return expired.length;
  }

  /** Records the expiries the store has not taken yet, oldest first; stops quietly while it cannot write. */
  private recordExpiries(): void {
    for (const [leaseId, { lease, trial }] of this.expiriesToRecord) {
      if (this.store.health.state !== 'healthy') return;
      try {
        this.endLostAttempt(lease, trial, { event: 'lease-expired', ending: 'lease-expired' });
      } catch (error) {
        if (error instanceof StoreUnavailableError) return;
        this.expiriesToRecord.delete(leaseId);
        throw error;
      }
      this.expiriesToRecord.delete(leaseId);
    }
  }

  stats(): CoordinatorStats {
    return {
      queued: this.queue.size,
      leasesHeld: this.leases.size,
      pendingPolls: this.pendingPolls.length,
      staleResultsRejected: this.staleResultsRejected,
      staleHeartbeatsRejected: this.staleHeartbeatsRejected,
    };
  }

  /** Lets go of every pending poll and watch, stops the timer, closes the store. Safe to call twice. */
  close(): void {
    if (this.lifecycle === 'closed') return;
    this.lifecycle = 'closed';
    if (this.expiryTimer !== undefined) clearInterval(this.expiryTimer);
    for (const pending of [...this.pendingPolls]) pending.settle([]);
    for (const wake of [...this.changeWaiters]) wake();
    this.store.close();
    this.logger.info('coordinator.closed');
  }

  get closed(): boolean {
    return this.lifecycle === 'closed';
  }

  // ── internals ───────────────────────────────────────────────────────────

  private assertOpen(): void {
    if (this.lifecycle === 'closed') throw new CoordinatorClosedError();
  }

  private assertStoreWritable(): void {
    const health = this.store.health;
    if (health.state === 'unwritable') throw new StoreUnavailableError(this.store.file, health.code, health.reason);
  }

  /**
   * While the store cannot write, a report is answered UNAVAILABLE (the agent retries) and its
   * lease, if current, is renewed: the agent is alive, it is the store that cannot listen.
   */
  private holdLeaseWhileUnwritable(ref: LeaseRef): void {
    if (this.store.health.state === 'healthy') return;
    this.leases.renew(ref.leaseId, ref.fencingToken, this.options.clock());
    this.assertStoreWritable();
  }

  private storeHealthChanged(health: StoreHealth): void {
    if (health.state === 'unwritable') {
      this.logger.error('store.unwritable', { file: this.store.file, code: health.code, reason: health.reason });
    } else {
      this.logger.info('store.recovered', { file: this.store.file });
    }
    this.events.emit('store-health-changed', { health });
    if (health.state !== 'healthy' || this.lifecycle === 'closed') return;
    // What waited on the store: expiries to record, sweeps whose last result sat in a failed
    // batch (finished only now that it is recorded), polls waiting for a lease. This runs on the
    // store's probe timer: an error here must be logged, never thrown into the timer.
    try {
      this.recordExpiries();
      for (const sweep of this.store.listSweeps()) {
        if (sweep.finishedAtMs === null) this.afterTrialEnded(sweep.sweepId);
      }
      this.dispatch();
    } catch (error) {
      this.logger.error('store.recovery-failed', { error });
    }
  }

  private assertAgent(agentId: string): void {
    if (this.knownAgents.has(agentId)) return;
    const stored = this.store.getAgent(agentId);
    if (stored === undefined) throw new UnknownAgentError(agentId);
    this.knownAgents.add(agentId);
    this.agentSlots.set(agentId, stored.slots);
  }

  private enqueue(trial: QueuedTrialRef): void {
    const trialKey = trialKeyOf(trial.ref);
    // Above the store's floor too: after an unclean stop the last grants may not be on disk.
    this.leases.restoreToken(trialKey, Math.max(trial.fencingToken, this.store.tokenFloor));
    this.queue.add({ trialKey, sweepId: trial.ref.sweepId, trialId: trial.ref.trialId, repeat: trial.repeat, ordinal: trial.ordinal });
  }

  /** Pairs waiting polls with queued trials, oldest poll first. */
  private dispatch(): void {
    while (this.pendingPolls.length > 0 && this.queue.size > 0 && this.store.health.state === 'healthy') {
      const pending = this.pendingPolls[0];
      if (pending === undefined) return;
      let leases: readonly TrialLease[];
      try {
        leases = this.leaseBundle(pending.agentId, pending.maxBundle);
      } catch (error) {
        // The poll keeps waiting; the store's recovery dispatches again.
        if (error instanceof StoreUnavailableError) return;
        throw error;
      }
      if (leases.length === 0) return;
      pending.settle(leases);
    }
  }

  /** The next queued trial and, when maxBundle > 1, the members that fuse with it (see pollBundle). */
  private leaseBundle(agentId: string, maxBundle: number): readonly TrialLease[] {
    const first = this.leaseNext(agentId);
    if (first === null) return [];
    const leases = [first];
    const key = maxBundle > 1 ? this.fusionKeyOf(first.sweepId, first.trial) : undefined;
    if (key !== undefined && !key.startsWith('solo:')) {
      const idleSlots = this.idleSlots(agentId);
      const candidates = new Map<string, { readonly queued: QueuedTrial; readonly trial: StoredTrial; readonly deal: DealCandidate }>();
      // A bounded look-ahead: within a sweep the fusable trials are usually all of them. Trials
      // of other fusion keys come along so the dealer can tell whether other slots have work.
      for (const queued of this.queue.peekSweep(first.sweepId, maxBundle * idleSlots)) {
        const trial = this.store.getTrial({ sweepId: queued.sweepId, trialId: queued.trialId });
        if (trial === undefined || trial.state !== 'queued') continue;
        const deal = { id: queued.trialKey, fusionKey: this.fusionKeyOf(queued.sweepId, trial.spec), config: trial.spec.config, epochs: trial.spec.workload.epochs };
        candidates.set(queued.trialKey, { queued, trial, deal });
      }
      // Prefix-aware: trials that would train a shared prefix stay in one slot (bundle-dealer.ts).
      const dealt = dealBundle({
        first: { id: trialKeyOf(first), fusionKey: key, config: first.trial.config, epochs: first.trial.workload.epochs },
        queued: [...candidates.values()].map(({ deal }) => deal),
        idleSlots,
        maxBundle,
      });
      for (const { id } of dealt) {
        const candidate = candidates.get(id);
        if (candidate === undefined) continue;
        this.queue.remove(candidate.queued.trialKey);
        try {
          leases.push(this.grant(candidate.queued, candidate.trial, agentId));
        } catch (error) {
          // The leases granted so far stand (the store keeps their writes for its probe).
          if (error instanceof StoreUnavailableError) break;
          throw error;
        }
      }
    }
    const grant: Grant = { agentId, held: leases.length };
    for (const lease of leases) this.grantOfLease.set(lease.leaseId, grant);
    this.grantsByAgent.set(agentId, (this.grantsByAgent.get(agentId) ?? 0) + 1);
    return leases;
  }

  /**
   * fusionKey, memoised: within a sweep it varies only with the trial's seed and batch size (the
   * workload, plateau and objective are the sweep's), and hashing it costs more than the rest of
   * a look-ahead step. A trial that cannot fuse gets its own solo key, as fusionKey gives it.
   */
  private fusionKeyOf(sweepId: string, trial: TrialSpec): string {
    const memoKey = `${sweepId}/${trial.seed}/${trial.config.batchSize}`;
    let key = this.fusionKeys.get(memoKey);
    if (key === undefined) {
      // A bound for a coordinator that has served very many sweeps: the memo only saves time.
      if (this.fusionKeys.size >= 10_000) this.fusionKeys.clear();
      key = fusionKey(trial);
      this.fusionKeys.set(memoKey, key);
    }
    return key.startsWith('solo:') ? `solo:${trial.id}` : key;
  }

  /**
   * Slots that could take work now, over every live agent (busy, or polled lately): an agent's
   * slots less its grants (a busy slot holds one), and at least the slot asking now.
   */
  private idleSlots(agentId: string): number {
    const nowMs = this.options.clock();
    const lately = Math.max(this.options.leaseTimeoutMs, 2 * this.options.maxPollWaitMs);
    let idle = 0;
    for (const [agent, slots] of this.agentSlots) {
      const busy = this.grantsByAgent.get(agent) ?? 0;
      const seenMs = this.lastPollMs.get(agent);
      if (agent !== agentId && busy === 0 && (seenMs === undefined || nowMs - seenMs > lately)) continue;
      idle += Math.max(agent === agentId ? 1 : 0, slots - busy);
    }
    return Math.max(1, idle);
  }

  private leaseNext(agentId: string): TrialLease | null {
    for (let queued = this.queue.take(); queued !== undefined; queued = this.queue.take()) {
      const ref = { sweepId: queued.sweepId, trialId: queued.trialId };
      const trial = this.store.getTrial(ref);
      if (trial === undefined || trial.state !== 'queued') {
        this.logger.warn('queue.stale-entry', { ...ref, state: trial?.state ?? 'missing' });
        continue;
      }
      return this.grant(queued, trial, agentId);
    }
    return null;
  }

  /** Leases one queued trial (already out of the queue) to the agent. */
  private grant(queued: QueuedTrial, trial: StoredTrial, agentId: string): TrialLease {
    const ref = { sweepId: queued.sweepId, trialId: queued.trialId };
    const nowMs = this.options.clock();
    const lease = this.leases.grant({ trialKey: queued.trialKey, agentId, nowMs, timeoutMs: this.options.leaseTimeoutMs });
    let attempt: number;
    try {
      attempt = this.store.leaseTrial(ref, { leaseId: lease.leaseId, fencingToken: lease.fencingToken, agentId, nowMs });
    } catch (error) {
      // Not granted after all: the trial goes back to the queue (its token stays spent).
      this.leases.release(lease.leaseId);
      this.queue.add(queued);
      throw error;
    }
    this.held.set(queued.trialKey, ref);
    this.heldEpochs.set(queued.trialKey, trial.spec.workload.epochs);
    this.leaseStartedMs.set(lease.leaseId, this.options.clock());
    this.logger.debug('trial.leased', { ...ref, agentId, attempt, fencingToken: lease.fencingToken });
    this.events.emit('trial-leased', { ...ref, agentId, attempt, fencingToken: lease.fencingToken });
    this.changed(ref.sweepId);
    return {
      leaseId: lease.leaseId,
      fencingToken: lease.fencingToken,
      sweepId: ref.sweepId,
      trialId: ref.trialId,
      attempt,
      heartbeatTimeoutMs: this.options.leaseTimeoutMs,
      reportEveryEpoch: this.stopperFor(ref.sweepId) !== null,
      trial: trial.spec,
    };
  }

  /**
   * A trial reports at most its own epoch count, each epoch numbered within it: anything more
   * (500,000 epochs of a 4-epoch trial) would only fill the store and block the loop.
   */
  private checkEpochs(lease: Lease, epochs: readonly EpochRecord[], what: 'heartbeat' | 'result'): void {
    const trialEpochs = this.heldEpochs.get(lease.trialKey);
    if (trialEpochs === undefined) throw new Error(`lease ${lease.leaseId} has no trial`);
    if (epochs.length > trialEpochs) {
      throw new InvalidReportError(lease.leaseId, `${epochs.length} epochs in one ${what}, but the trial has ${trialEpochs}`);
    }
    const beyond = epochs.find((record) => record.epoch > trialEpochs);
    if (beyond !== undefined) throw new InvalidReportError(lease.leaseId, `epoch ${beyond.epoch} in a ${what}, but the trial has ${trialEpochs} epochs`);
  }

  private heldRef(lease: Lease): TrialRef {
    const ref = this.held.get(lease.trialKey);
    // The lease table and `held` change together; a miss is a bug, not a client error.
    if (ref === undefined) throw new Error(`lease ${lease.leaseId} has no trial`);
    return ref;
  }

  private releaseLease(lease: Lease): void {
    this.leases.release(lease.leaseId);
    this.held.delete(lease.trialKey);
    this.heldEpochs.delete(lease.trialKey);
    this.leaseStartedMs.delete(lease.leaseId);
    const grant = this.grantOfLease.get(lease.leaseId);
    if (grant === undefined) return;
    this.grantOfLease.delete(lease.leaseId);
    grant.held -= 1;
    if (grant.held > 0) return;
    const left = (this.grantsByAgent.get(grant.agentId) ?? 1) - 1;
    if (left > 0) this.grantsByAgent.set(grant.agentId, left);
    else this.grantsByAgent.delete(grant.agentId);
  }

  private endLostAttempt(lease: Lease, trial: TrialRef, lost: LostAttempt): LostAttemptOutcome {
    const outcome = this.store.endAttempt(trial, { leaseId: lease.leaseId, fencingToken: lease.fencingToken, lost, nowMs: this.options.clock() });
    this.releaseLease(lease);
    if (outcome.state === 'queued') {
      const stored = this.store.getTrial(trial);
      if (stored !== undefined) this.enqueue(stored);
      this.logger.info('trial.requeued', { ...trial, reason: lost.ending, attempts: outcome.endings.length });
      this.events.emit('trial-requeued', { ...trial, attempt: outcome.endings.length, reason: lost.ending });
      this.dispatch();
    } else if (outcome.state === 'failed') {
      this.logger.warn('trial.failed', { ...trial, reasons: outcome.endings });
      this.events.emit('trial-failed', { ...trial, reasons: outcome.endings });
    }
    this.afterTrialEnded(trial.sweepId);
    return outcome;
  }

  /**
   * A workload error: the trial fails without a retry, and the first such error of its sweep (or,
   * for a configuration-specific one, of its configuration) stops the trials that would meet it:
   * queued ones are cancelled now, running ones get a cancel directive on their next heartbeat.
   * Logged once per stop; the trials stopped with it are not logged one by one.
   */
  private failForWorkload(lease: Lease, trial: TrialRef, error: TrialErrorInfo): void {
    const scope = workloadScopeOf(error) ?? 'sweep';
    const failure = this.store.failForWorkload(trial, { leaseId: lease.leaseId, fencingToken: lease.fencingToken, error, scope, nowMs: this.options.clock() });
    this.releaseLease(lease);
    if (failure.state === 'failed') this.events.emit('trial-failed', { ...trial, reasons: [failedAttemptEnding(error)] });
    const { stop } = failure;
    if (stop !== null) {
      for (const ref of stop.cancelledQueued) this.queue.remove(trialKeyOf(ref));
      this.logger.error('sweep.failed-workload', {
        sweepId: trial.sweepId,
        trialId: trial.trialId,
        scope,
        message: error.message,
        cancelledQueued: stop.cancelledQueued.length,
        running: stop.holdingLease.length,
      });
    }
    this.afterTrialEnded(trial.sweepId);
  }

  private afterTrialEnded(sweepId: string): void {
    if (this.store.markFinishedIfDone(sweepId, this.options.clock())) {
      const summary = this.getSweep(sweepId);
      this.logger.info('sweep.finished', { sweepId, state: summary.state, counts: summary.counts });
      this.events.emit('sweep-finished', { sweepId, state: summary.state });
    }
    this.changed(sweepId);
  }

  private rejectStale(ref: LeaseRef, call: ReportCall): StaleLeaseError {
    const attempt = this.store.attemptByLease(ref.leaseId);
    const current = attempt === undefined ? undefined : this.store.getTrial(attempt.ref);
    if (call === 'heartbeat') this.staleHeartbeatsRejected += 1;
    else {
      this.staleResultsRejected += 1;
      if (attempt !== undefined) this.store.countStaleResult(attempt.ref.sweepId);
    }
    const sweepId = attempt?.ref.sweepId ?? null;
    const trialId = attempt?.ref.trialId ?? null;
    this.logger.warn('lease.stale-report-rejected', { call, sweepId, trialId, leaseId: ref.leaseId, fencingToken: ref.fencingToken });
    this.events.emit('stale-report-rejected', { call, sweepId, trialId, leaseId: ref.leaseId, fencingToken: ref.fencingToken });
    return new StaleLeaseError(ref.leaseId, ref.fencingToken, trialId, current?.fencingToken ?? null);
  }

  /**
   * The timer's check. Time the loop was stalled (a long task ran instead of this timer) is
   * added to every lease first, and the check itself runs after this turn's I/O, so heartbeats
   * that arrived during the stall are answered (and renew their leases) before any expires.
   */
  private checkLeasesSafely(): void {
    const nowMs = this.options.clock();
    const stallMs = loopStallMs(this.lastExpiryCheckMs, nowMs, this.options.expiryCheckIntervalMs);
    this.lastExpiryCheckMs = nowMs;
    if (stallMs > 0) {
      this.leases.extendAll(stallMs);
      if (stallMs >= this.options.heartbeatIntervalMs) this.logger.warn('lease.stall-forgiven', { stallMs, leases: this.leases.size });
    }
    setImmediate(() => {
      try {
        this.checkLeases();
      } catch (error) {
        this.logger.error('lease.check-failed', { error });
      }
    });
  }

  private changed(sweepId: string): void {
    this.changeVersion.set(sweepId, (this.changeVersion.get(sweepId) ?? 0) + 1);
    this.events.emit('sweep-changed', { sweepId });
    for (const wake of [...this.changeWaiters]) wake();
  }

  /** Resolves true once the sweep's version passes `seen`; false on abort or close. */
  private waitForChange(sweepId: string, seen: number, signal: AbortSignal | undefined): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.lifecycle === 'closed' || signal?.aborted === true) return done(false);
        if ((this.changeVersion.get(sweepId) ?? 0) > seen) done(true);
      };
      const done = (value: boolean): void => {
        this.changeWaiters.delete(check);
        signal?.removeEventListener('abort', check);
        resolve(value);
      };
      this.changeWaiters.add(check);
      signal?.addEventListener('abort', check, { once: true });
      check();
    });
  }

  private pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.changeWaiters.delete(onClose);
        resolve();
      };
      const onClose = (): void => {
        if (this.lifecycle === 'closed') done();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.changeWaiters.add(onClose);
    });
  }
}

/** 1-based epochs at whose end the LR fell (the LR of the next epoch is lower). */
function lrCutsOf(history: readonly EpochRecord[]): number[] {
  const cuts: number[] = [];
  for (let index = 1; index < history.length; index += 1) {
    const before = history[index - 1];
    const after = history[index];
    if (before !== undefined && after !== undefined && after.lr < before.lr) cuts.push(before.epoch);
  }
  return cuts;
}

function stopFields(stop: StopRecord): Record<string, number | string> {
  return { epoch: stop.epoch, rule: stop.rule, value: stop.value, threshold: stop.threshold };
}
