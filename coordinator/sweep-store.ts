// The coordinator's durable state: one SQLite file (WAL) under the data dir. Every state
// change is one transaction whose next state comes from trial-state.ts; SQL enforces what
// must never happen even if the code above had a bug: a second result for a trial, a result
// rewritten, a result for a trial that has not ended.
//
// Durability (why each choice is safe). In WAL mode every commit is written to the WAL file
// before the call returns, so a process crash (kill -9) loses no committed transaction
// whatever `synchronous` says; the setting only decides what an OS crash or power loss can
// lose. The connection runs at synchronous = FULL (fsync on commit), with three exceptions
// that would otherwise fsync several times per trial:
// - lease grants and heartbeats commit at NORMAL (no fsync). Losing the last few of them to
//   a power loss is harmless: the trial reverts to its previous state, every lease dies with
//   the process anyway (recoverInterrupted requeues), and lease ids are random, so a stale
//   agent's reports never match a new lease. Fencing tokens must still never repeat: a token
//   is only handed out below a ceiling made durable (FULL) beforehand, and after an unclean
//   shutdown every trial's next token starts above that ceiling (`tokenFloor`).
// - results commit at NORMAL and are then made durable by one shared fsync of the WAL file
//   (group commit: `durable()`), run on libuv's thread pool so the event loop never waits
//   on the disk, and awaited before a remote agent is told its result is recorded. A commit
//   has written its WAL frames (write(2)) before it returns, and fsync(2) flushes every
//   written byte of the file whichever descriptor wrote it, so one fsync started after a
//   commit makes it exactly as durable as a FULL commit would have. SQLite syncs the WAL
//   itself before every checkpoint, so frames are never moved into the database file, nor
//   the WAL restarted, ahead of a sync. A result is thus on disk before anyone outside this
//   process is told so; a power loss before that only loses a result nobody was
//   acknowledged for (the agent's retry is refused as stale and the trial runs again).
// Everything else (sweeps, cancels, requeues, failures, agents) stays FULL: rare writes.
//
// Commit per turn (`commitMode: 'per-turn'`, what the coordinator uses). The relaxed writes of
// one event-loop turn (the grants, heartbeats and results of every RPC that turn read off the
// sockets) share one transaction, committed at the end of the turn (setImmediate), each call
// in its own savepoint so a call that throws undoes only itself. Most of a small commit's cost
// is writing whole pages to the WAL, and these calls touch the same few pages, so one commit
// per turn does the work of many. What it changes: a relaxed write reaches the WAL at the end
// of its turn instead of within its call, so a process crash in between also loses it — the
// same loss, for the same reasons harmless, as a power loss before the WAL is synced above
// (leases die with the process; tokens stay below the durable ceiling; a result is still
// acknowledged only after `durable()`, which commits the batch before its fsync). A FULL write
// commits the open batch first, and `close()` and `durable()` commit it too. Another connection
// to the file sees (and can write past) the batch only once it commits: direct users of the
// store keep the default, 'each-call'.
//
// A sick disk (store-health.ts). A write that fails for want of disk (SQLITE_FULL, SQLITE_IOERR*,
// SQLITE_READONLY*, a failed fsync) makes the store `unwritable`: every write is refused with
// StoreUnavailableError (UNAVAILABLE on the wire: agents retry) and a probe retries a small
// FULL write with a capped backoff; the first that commits makes it `healthy` again, no restart
// needed. Should a per-turn batch fail to commit, the calls that joined it have already
// answered (a lease granted, a heartbeat taken): their writes are kept, in order, and the probe
// commits them before anything else, so the store catches up with what the coordinator holds in
// memory. Nothing else writes in between (all writes are refused), so they replay as they ran.
// No result is lost: a result is acknowledged only after `durable()`, which fails while the
// store is unwritable; the agent retries and, once the replay has recorded its result, hears
// `recorded: false` from the lease that recorded it, after the probe's fsync.
import Database, { type Statement } from 'better-sqlite3';
import { closeSync, fsync, openSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepSpec } from '../src/spec/sweep-spec.js';
import type { AttemptRecord, SweepSnapshot, TrialRecord, TrialState } from '../src/trial/records.js';
import type { BackendName, EpochRecord, TrialConfig, TrialErrorInfo, TrialOutcome, TrialResult, TrialSpec, WorkloadErrorScope } from '../src/trial/types.js';
import type { FailedTrialProgress, RunningTrialProgress, TrialCounts } from '../src/rpc/sweep-progress.js';
import { parseWithNonFinite, stringifyWithNonFinite } from './json-numbers.js';
import { IllegalTransitionError, isTerminal, terminalStates, transition, type TrialEvent } from './trial-state.js';
import { configKey } from '../src/rank/config-key.js';
import { failedAttemptEnding, lastTrialError } from '../src/trial/attempt-ending.js';
import { WORKLOAD_ERROR_KIND, WORKLOAD_ERROR_MESSAGE_MAX, type SweepError } from '../src/trial/workload-error.js';
import { dataDirRefusal, storeFileState } from './store-file.js';
import { diskWriteErrorCode, StoreHealthMonitor, StoreUnavailableError, type StoreHealth, type StoreHealthListener, type WriteProbePolicy } from './store-health.js';

export { StoreUnavailableError, type StoreHealth } from './store-health.js';

export const storeFileName = 'plateau.db';
const schemaVersion = 1;
/** How far above a granted token the durable ceiling is raised (one fsync per this many grants, at most). */
const tokenCeilingStep = 1024;

/** When relaxed writes commit: within each call, or together at the end of the event-loop turn. */
export type StoreCommitMode = 'each-call' | 'per-turn';

export interface SweepStoreOptions {
  /** Default 'each-call'. See the note above on 'per-turn'. */
  readonly commitMode?: StoreCommitMode;
  /** How often an unwritable store probes the disk again (store-health.ts). */
  readonly writeProbe?: WriteProbePolicy;
}

export interface TrialRef {
  readonly sweepId: string;
  readonly trialId: string;
}

/** The key the queue and the lease table use for a trial: trial ids are unique per sweep only. */
export function trialKeyOf(ref: TrialRef): string {
  return `${ref.sweepId}/${ref.trialId}`;
}

/** Where a sweep sits in listing order (oldest first, ties by id). */
export interface SweepPosition {
  readonly createdAtMs: number;
  readonly sweepId: string;
}

export interface StoredSweep {
  readonly sweepId: string;
  readonly spec: SweepSpec;
  readonly specSource: string;
  readonly createdAtMs: number;
  readonly finishedAtMs: number | null;
  readonly cancelled: boolean;
  readonly totalTrials: number;
  /** Late results (stale fencing tokens) refused for this sweep, over the store's life. */
  readonly staleResultsRejected: number;
}

export interface StoredTrial {
  readonly ref: TrialRef;
  readonly ordinal: number;
  readonly repeat: number;
  readonly spec: TrialSpec;
  readonly state: TrialState;
  /** Attempts started. */
  readonly attempts: number;
  /** Attempts that ended without a result (failed, lease expired, coordinator restarted). */
  readonly failures: number;
  /** Last fencing token handed out for this trial (0: never leased). */
  readonly fencingToken: number;
  readonly agentId: string | null;
}

/** What the in-memory queue needs of a queued trial; its spec is read when it is leased. */
export interface QueuedTrialRef {
  readonly ref: TrialRef;
  readonly ordinal: number;
  readonly repeat: number;
  readonly fencingToken: number;
}

export interface StoredAgent {
  readonly agentId: string;
  readonly hostname: string;
  readonly slots: number;
  readonly backend: string;
  readonly version: string;
}

export interface AttemptByLease {
  readonly ref: TrialRef;
  readonly attempt: number;
  readonly fencingToken: number;
  readonly ending: string | null;
}

/** How an attempt ended without a result; `failure` attempts count against maxAttempts. */
export type LostAttempt =
  | { readonly event: 'fail'; readonly ending: string }
  | { readonly event: 'lease-expired'; readonly ending: string }
  /** The agent handed the trial back unfinished (drain): not a failure. */
  | { readonly event: 'release'; readonly ending: string };

export interface LostAttemptOutcome {
  readonly state: TrialState;
  /** Every attempt's ending so far, for the reason of a trial failed for good. */
  readonly endings: readonly string[];
}

/** What a workload error changed (see failForWorkload). */
export interface WorkloadFailure {
  /** The reporting trial's new state: failed, or cancelled when its scope was already stopped. */
  readonly state: TrialState;
  /** Set when this error stopped a scope: the first workload error of the sweep or configuration. */
  readonly stop: {
    readonly scope: WorkloadErrorScope;
    readonly cancelledQueued: readonly TrialRef[];
    readonly holdingLease: readonly TrialRef[];
  } | null;
}

interface WorkloadStops {
  readonly wholeSweep: boolean;
  /** configKeys of the stopped configurations. */
  readonly configs: ReadonlySet<string>;
}

interface SweepRow {
  sweep_id: string;
  spec_json: string;
  spec_source: string;
  created_at_ms: number;
  finished_at_ms: number | null;
  cancelled: number;
  total_trials: number;
  max_attempts: number;
  stale_results_rejected: number;
}

interface TrialRow {
  sweep_id: string;
  trial_id: string;
  ordinal: number;
  repeat: number;
  spec_json: string;
  state: TrialState;
  attempts: number;
  failures: number;
  fencing_token: number;
  agent_id: string | null;
}

type TrialStateRow = Omit<TrialRow, 'spec_json'>;
const trialStateColumns = 'sweep_id, trial_id, ordinal, repeat, state, attempts, failures, fencing_token, agent_id';

interface AttemptRow {
  sweep_id: string;
  trial_id: string;
  attempt: number;
  lease_id: string;
  fencing_token: number;
  agent_id: string;
  started_at_ms: number;
  ended_at_ms: number | null;
  ending: string | null;
}

const stateList = (states: readonly string[]): string => states.map((state) => `'${state}'`).join(', ');
const terminalList = stateList(terminalStates);

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sweeps (
  sweep_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  spec_source TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  finished_at_ms INTEGER,
  cancelled INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
  total_trials INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  stale_results_rejected INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS trials (
  sweep_id TEXT NOT NULL REFERENCES sweeps(sweep_id),
  trial_id TEXT NOT NULL,
  ordinal INTEGER NOT NULL,
  repeat INTEGER NOT NULL,
  spec_json TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'leased', 'running', ${terminalList})),
  attempts INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  fencing_token INTEGER NOT NULL DEFAULT 0,
  agent_id TEXT,
  PRIMARY KEY (sweep_id, trial_id)
);
-- Replaced by trials_by_sweep_state: one index less to update on every state change.
DROP INDEX IF EXISTS trials_by_state;
-- "Is any trial of this sweep still open?" on every completion, without scanning the sweep.
CREATE INDEX IF NOT EXISTS trials_by_sweep_state ON trials (sweep_id, state);
CREATE TABLE IF NOT EXISTS agents (
  agent_id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL,
  slots INTEGER NOT NULL,
  backend TEXT NOT NULL,
  version TEXT NOT NULL,
  registered_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
  sweep_id TEXT NOT NULL,
  trial_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  lease_id TEXT NOT NULL UNIQUE,
  fencing_token INTEGER NOT NULL,
  agent_id TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL,
  ended_at_ms INTEGER,
  ending TEXT,
  PRIMARY KEY (sweep_id, trial_id, attempt),
  FOREIGN KEY (sweep_id, trial_id) REFERENCES trials(sweep_id, trial_id)
);
CREATE TABLE IF NOT EXISTS epochs (
  sweep_id TEXT NOT NULL,
  trial_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  record_json TEXT NOT NULL,
  PRIMARY KEY (sweep_id, trial_id, attempt, epoch)
);
-- One result per trial, ever: the primary key refuses a second, the triggers refuse a
-- rewrite and a result for a trial that has not ended (the state moves first, in the same transaction).
CREATE TABLE IF NOT EXISTS results (
  sweep_id TEXT NOT NULL,
  trial_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN (${terminalList})),
  objective REAL,
  lease_id TEXT NOT NULL,
  fencing_token INTEGER NOT NULL,
  agent_id TEXT NOT NULL,
  recorded_at_ms INTEGER NOT NULL,
  result_json TEXT NOT NULL,
  PRIMARY KEY (sweep_id, trial_id),
  FOREIGN KEY (sweep_id, trial_id) REFERENCES trials(sweep_id, trial_id)
);
-- The blobs (artifacts) each sweep's spec names: what \`plateau gc\` keeps.
CREATE TABLE IF NOT EXISTS sweep_artifacts (
  sweep_id TEXT NOT NULL REFERENCES sweeps(sweep_id),
  sha256 TEXT NOT NULL,
  PRIMARY KEY (sweep_id, sha256)
);
CREATE TRIGGER IF NOT EXISTS results_written_once BEFORE UPDATE ON results
BEGIN SELECT RAISE(ABORT, 'a trial result is written once'); END;
CREATE TRIGGER IF NOT EXISTS results_only_for_ended_trials BEFORE INSERT ON results
WHEN (SELECT state FROM trials WHERE sweep_id = NEW.sweep_id AND trial_id = NEW.trial_id) IS NOT NEW.status
BEGIN SELECT RAISE(ABORT, 'a result needs its trial ended with the same status'); END;
-- Only a cancelled trial's partial result may go away (the sweep was resubmitted and it runs again).
CREATE TRIGGER IF NOT EXISTS results_kept BEFORE DELETE ON results WHEN OLD.status <> 'cancelled'
BEGIN SELECT RAISE(ABORT, 'a finished trial result is never deleted'); END;
`;

// Workload errors (errors no retry can fix) and what they stopped: a row per stopped scope, the
// whole sweep (config_key '') or one configuration (its configKey). The sweep's error is its
// first row. Added to schema version 1 as a new table: an older file gains it at open.
const workloadStopsSchema = `
CREATE TABLE IF NOT EXISTS workload_stops (
  sweep_id TEXT NOT NULL REFERENCES sweeps(sweep_id),
  config_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  trial_id TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (sweep_id, config_key)
);
`;

export class StoreSchemaError extends Error {
  override readonly name = 'StoreSchemaError';
  constructor(
    readonly file: string,
    readonly found: string,
  ) {
    super(`${file}: store schema version ${found} is not the supported version ${schemaVersion}`);
  }
}

/**
 * The store file cannot be used: not a SQLite database, corrupt, unreadable, on a full or
 * read-only disk. `code` is SQLite's (SQLITE_NOTADB, SQLITE_CORRUPT, SQLITE_CANTOPEN, …).
 */
export class StoreOpenError extends Error {
  override readonly name = 'StoreOpenError';
  constructor(
    readonly file: string,
    readonly code: string,
    readonly reason: string,
  ) {
    super(`${file}: cannot open the sweep store (${code}): ${reason}`);
  }
}

function sqliteCode(error: unknown): string {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'UNKNOWN';
}

/** The store closed before a result could be made durable (its close could not sync). */
export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError';
  constructor(readonly file: string) {
    super(`${file}: the sweep store is closed`);
  }
}

/** A state change asked of a trial that the store does not hold. */
export class UnknownTrialError extends Error {
  override readonly name = 'UnknownTrialError';
  constructor(readonly ref: TrialRef) {
    super(`no trial ${ref.trialId} in sweep ${ref.sweepId}`);
  }
}

/** A write whose fencing token is not the trial's current one (refused inside the transaction). */
export class FencedWriteError extends Error {
  override readonly name = 'FencedWriteError';
  constructor(
    readonly ref: TrialRef,
    readonly fencingToken: number,
    readonly currentToken: number,
  ) {
    super(`trial ${ref.trialId}: token ${fencingToken} is not the current token ${currentToken}`);
  }
}

/** An attempt's `ending` text for a reported outcome (AttemptRecord.ending). */
export function describeOutcome(outcome: TrialOutcome): string {
  switch (outcome.status) {
    case 'failed':
      return `failed: ${outcome.error.kind}: ${outcome.error.message}`;
    case 'cancelled':
      return `cancelled: ${outcome.reason}`;
    case 'diverged':
      return `diverged at epoch ${outcome.atEpoch}`;
    default:
      return outcome.status;
  }
}

// The store only reads back JSON it wrote itself from validated domain values.
function readJson<T>(text: string): T {
  return parseWithNonFinite(text) as T;
}

function toStoredTrial(row: TrialRow): StoredTrial {
  return {
    ref: { sweepId: row.sweep_id, trialId: row.trial_id },
    ordinal: row.ordinal,
    repeat: row.repeat,
    spec: readJson<TrialSpec>(row.spec_json),
    state: row.state,
    attempts: row.attempts,
    failures: row.failures,
    fencingToken: row.fencing_token,
    agentId: row.agent_id,
  };
}

function toStoredSweep(row: SweepRow, spec: SweepSpec): StoredSweep {
  return {
    sweepId: row.sweep_id,
    spec,
    specSource: row.spec_source,
    createdAtMs: row.created_at_ms,
    finishedAtMs: row.finished_at_ms,
    cancelled: row.cancelled === 1,
    totalTrials: row.total_trials,
    staleResultsRejected: row.stale_results_rejected,
  };
}

const openStates = stateList(['queued', 'leased', 'running']);

/** An existing file must already be a plateau store: another SQLite database is refused, not taken over. */
function requireStoreSchema(db: Database.Database, file: string): void {
  const meta = db.prepare<[], { one: number }>(`SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get();
  const version = meta === undefined ? undefined : db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`).get();
  if (version === undefined) throw new StoreOpenError(file, 'NOT_A_STORE', 'a SQLite database without the plateau store schema (move it aside to start a new store)');
}

export class SweepStore {
  private readonly db: Database.Database;
  /** Prepared once per SQL text: preparing costs more than running these small statements. */
  private readonly statements = new Map<string, Statement<unknown[], unknown>>();
  private readonly sweepSpecs = new Map<string, { readonly json: string; readonly spec: SweepSpec }>();
  /** Every fencing token granted by an earlier process is at most this (0 after a clean close). */
  private tokenFloorAtOpen = 0;
  /** Durable upper bound on the tokens this process may grant without raising it first. */
  private tokenCeiling = 0;
  /** Results committed without fsync so far (a sequence number), and how many are on disk. */
  private resultsWritten = 0;
  private resultsSynced = 0;
  private syncInFlight = false;
  private syncScheduled = false;
  private syncWaiters: { readonly upTo: number; readonly resolve: () => void; readonly reject: (error: unknown) => void }[] = [];
  /** The WAL file, opened for fsync(2) only; SQLite keeps it (same inode) while this connection lives. */
  private walFd: number | undefined;
  private closeWalAfterSync = false;
  private walMode = false;
  /**
   * Runs `work` in a transaction (a savepoint inside an open one). Made once: better-sqlite3
   * builds a new wrapper on every `db.transaction(fn)`, which costs more than these small writes.
   */
  private readonly transact: <T>(work: () => T) => T;
  /** Whether each sweep is cancelled, as last written or read (every heartbeat asks). */
  private readonly cancelledSweeps = new Map<string, boolean>();
  /** What workload errors stopped, per sweep, as last read (see workloadStopsOf). */
  private readonly workloadStopCache = new Map<string, WorkloadStops>();
  /** A per-turn batch transaction is open (see the note above). */
  private batchOpen = false;
  /** The writes of the open batch, in order: kept for the probe should its commit fail. */
  private batchWrites: (() => unknown)[] = [];
  /** Writes whose callers were answered but whose batch failed to commit: the probe commits them first. */
  private pendingWrites: (() => unknown)[] = [];
  private readonly monitor: StoreHealthMonitor;

  private constructor(
    readonly file: string,
    private readonly commitMode: StoreCommitMode,
    writeProbe: WriteProbePolicy | undefined,
    /** A brand-new file (under its temporary name): the schema is created, not required. */
    creating: boolean,
  ) {
    this.monitor = new StoreHealthMonitor(() => this.probeWrite(), writeProbe);
    try {
      this.db = new Database(file);
    } catch (error) {
      throw new StoreOpenError(file, sqliteCode(error), error instanceof Error ? error.message : String(error));
    }
    const transaction = this.db.transaction((work: () => unknown) => work());
    this.transact = <T>(work: () => T): T => transaction(work) as T;
    try {
      this.configure(creating);
    } catch (error) {
      this.db.close();
      if (error instanceof StoreSchemaError || error instanceof StoreOpenError) throw error;
      throw new StoreOpenError(file, sqliteCode(error), error instanceof Error ? error.message : String(error));
    }
  }

  private configure(creating: boolean): void {
    const file = this.file;
    // Relaxed commits are only safe with a WAL (see the note above); elsewhere everything is FULL.
    this.walMode = this.db.pragma('journal_mode = WAL', { simple: true }) === 'wal';
    // FULL unless a write says otherwise (`relaxed`, made safe as the note above explains).
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // A damaged file is refused at open, with its path, rather than failing some later call.
    const check = this.db.pragma('quick_check(1)', { simple: true });
    if (check !== 'ok') throw new StoreOpenError(file, 'SQLITE_CORRUPT', String(check));
    if (!creating) requireStoreSchema(this.db, file);
    this.db.exec(schema);
    this.db.exec(workloadStopsSchema);
    const version = this.statement<[], { value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`).get();
    if (version === undefined) {
      this.statement(`INSERT INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(schemaVersion));
    } else if (version.value !== String(schemaVersion)) {
      throw new StoreSchemaError(file, version.value);
    }
    const ceiling = this.statement<[], { value: string }>(`SELECT value FROM meta WHERE key = 'token_ceiling'`).get();
    this.tokenFloorAtOpen = ceiling === undefined ? 0 : Number(ceiling.value);
    this.tokenCeiling = this.tokenFloorAtOpen;
    // A store that opens but cannot write (a read-only file or mount: SQLite then opens it
    // read-only without a word) is refused here, not at the first result.
    try {
      this.writeProbeRow();
    } catch (error) {
      const code = sqliteCode(error);
      if (!code.startsWith('SQLITE_READONLY')) throw error;
      throw new StoreOpenError(file, code, 'the store cannot be written (a read-only file or filesystem)');
    }
  }

  /** The smallest real write: one row of meta, in its own FULL transaction when none is open. */
  private writeProbeRow(): void {
    this.statement(`INSERT OR REPLACE INTO meta (key, value) VALUES ('write_probe_ms', ?)`).run(String(Date.now()));
  }

  private statement<P extends unknown[] = unknown[], R = unknown>(sql: string): Statement<P, R> {
    let cached = this.statements.get(sql);
    if (cached === undefined) {
      cached = this.db.prepare<unknown[], unknown>(sql);
      this.statements.set(sql, cached);
    }
    return cached as unknown as Statement<P, R>;
  }

  /**
   * Runs `work` as one transaction committed without fsync (see the durability note above):
   * its own, or, per turn, a savepoint of the turn's batch.
   */
  private relaxed<T>(work: () => T): T {
    this.assertWritable();
    if (!this.walMode) return this.writing(() => this.transact(work));
    if (this.commitMode === 'per-turn') {
      if (!this.batchOpen) this.openBatch();
      const result = this.writing(() => this.transact(work));
      this.batchWrites.push(work);
      return result;
    }
    return this.writing(() => {
      this.statement('PRAGMA synchronous = NORMAL').run();
      try {
        return this.transact(work);
      } finally {
        this.statement('PRAGMA synchronous = FULL').run();
      }
    });
  }

  /** Runs `work` as one transaction of its own without fsync, after committing the open batch. */
  private unsynced<T>(work: () => T): T {
    this.commitBatch();
    this.assertWritable();
    if (!this.walMode) return this.transact(work);
    this.statement('PRAGMA synchronous = NORMAL').run();
    try {
      return this.transact(work);
    } finally {
      this.statement('PRAGMA synchronous = FULL').run();
    }
  }

  /** Runs `work` as one FULL (fsync'd) transaction, after committing the open batch. */
  private full<T>(work: () => T): T {
    this.commitBatch();
    this.assertWritable();
    return this.writing(() => this.transact(work));
  }

  /** Runs a write; one that fails for want of disk makes the store unwritable (StoreUnavailableError). */
  private writing<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      const code = diskWriteErrorCode(error);
      if (code === undefined) throw error;
      // SQLite may have rolled the whole batch back with the failed savepoint: keep the rest for the probe.
      if (this.batchOpen) this.failBatch(error);
      else this.monitor.writeFailed(code, error);
      return this.throwUnavailable();
    }
  }

  private assertWritable(): void {
    if (this.monitor.health.state !== 'healthy') this.throwUnavailable();
  }

  private throwUnavailable(): never {
    const health = this.monitor.health;
    if (health.state === 'healthy') throw new StoreUnavailableError(this.file, 'UNKNOWN', 'a write failed');
    throw new StoreUnavailableError(this.file, health.code, health.reason);
  }

  /** Whether the store can write now; `unwritable` carries the disk's reason while a probe retries. */
  get health(): StoreHealth {
    return this.monitor.health;
  }

  /** Called on every change of `health`; returns the function that unsubscribes. */
  onHealthChange(listener: StoreHealthListener): () => void {
    return this.monitor.onChange(listener);
  }

  /**
   * The probe of an unwritable store: the writes of a batch that failed to commit, then one row,
   * in one FULL transaction. Its fsync also makes every result committed before it durable.
   */
  private probeWrite(): void {
    if (!this.db.open) return;
    this.transact(() => {
      for (const write of this.pendingWrites) write();
      this.writeProbeRow();
    });
    this.pendingWrites = [];
    this.resultsSynced = this.resultsWritten;
  }

  private openBatch(): void {
    this.statement('PRAGMA synchronous = NORMAL').run();
    this.statement('BEGIN').run();
    this.batchOpen = true;
    setImmediate(() => this.commitBatch());
  }

  /** Commits the open batch, if any; on failure the store turns unwritable and keeps its writes (see the note above). */
  private commitBatch(): void {
    if (!this.batchOpen) return;
    try {
      this.statement('COMMIT').run();
      this.batchOpen = false;
      this.batchWrites = [];
      this.statement('PRAGMA synchronous = FULL').run();
    } catch (error) {
      this.failBatch(error);
    }
  }

  /** The open batch could not commit: undo it, keep its writes for the probe, refuse writes until it succeeds. */
  private failBatch(error: unknown): void {
    this.batchOpen = false;
    this.pendingWrites.push(...this.batchWrites);
    this.batchWrites = [];
    try {
      if (this.db.inTransaction) this.statement('ROLLBACK').run();
      this.statement('PRAGMA synchronous = FULL').run();
    } catch {
      // Only fails with the connection itself; the probe will say so.
    }
    this.monitor.writeFailed(diskWriteErrorCode(error) ?? sqliteCode(error), error);
    this.settleSync(this.resultsWritten, new StoreUnavailableError(this.file, sqliteCode(error), error instanceof Error ? error.message : String(error)));
  }

  /**
   * Every trial granted by an earlier process had a token at most this: a trial's next token
   * must be above it (0 after a clean close, when the stored per-trial tokens are exact).
   */
  get tokenFloor(): number {
    return this.tokenFloorAtOpen;
  }

  /**
   * Resolves once every result recorded so far is on disk. Callers waiting at the same time
   * share one fsync (group commit); the store also starts that fsync itself after every
   * result, so results become durable within moments even if nobody waits.
   */
  durable(): Promise<void> {
    const upTo = this.resultsWritten;
    if (this.resultsSynced >= upTo) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.syncWaiters.push({ upTo, resolve, reject });
      this.scheduleSync();
    });
  }

  private scheduleSync(): void {
    if (this.syncScheduled || this.syncInFlight) return;
    // On the next turn, so the results of one turn (many agents' reports) share one fsync.
    this.syncScheduled = true;
    setImmediate(() => {
      this.syncScheduled = false;
      this.startSync();
    });
  }

  private startSync(): void {
    if (this.syncInFlight || this.resultsSynced >= this.resultsWritten || !this.db.open) return;
    // The results to sync may sit in this turn's batch: commit it (write the WAL) first.
    this.commitBatch();
    const health = this.monitor.health;
    if (health.state === 'unwritable') {
      // The probe's FULL commit will make them durable; until then nobody is told so.
      this.settleSync(this.resultsWritten, new StoreUnavailableError(this.file, health.code, health.reason));
      return;
    }
    const upTo = this.resultsWritten;
    let fd: number;
    try {
      fd = this.walFd ?? openSync(`${this.file}-wal`, 'r');
      this.walFd = fd;
    } catch (error) {
      this.settleSync(upTo, error);
      return;
    }
    this.syncInFlight = true;
    fsync(fd, (error) => {
      this.syncInFlight = false;
      if (this.closeWalAfterSync) this.closeWal();
      const code = error === null ? undefined : diskWriteErrorCode(error);
      if (error !== null && code !== undefined && this.db.open) {
        // A failed fsync is a sick disk too: no result is acknowledged until a probe's FULL commit syncs.
        this.monitor.writeFailed(code, error);
        this.settleSync(upTo, new StoreUnavailableError(this.file, code, error.message));
        return;
      }
      this.settleSync(upTo, error ?? undefined);
      // Results committed while this fsync ran need another.
      if (this.resultsSynced < this.resultsWritten) this.scheduleSync();
    });
  }

  private settleSync(upTo: number, error: unknown): void {
    if (error === undefined) this.resultsSynced = Math.max(this.resultsSynced, upTo);
    const waiting = this.syncWaiters;
    this.syncWaiters = [];
    for (const waiter of waiting) {
      if (waiter.upTo <= this.resultsSynced) waiter.resolve();
      else if (error !== undefined) waiter.reject(error);
      else this.syncWaiters.push(waiter);
    }
  }

  private closeWal(): void {
    this.closeWalAfterSync = false;
    if (this.walFd === undefined) return;
    closeSync(this.walFd);
    this.walFd = undefined;
  }

  /**
   * Opens (or creates) the store under `dataDir`. Trials that a previous process had leased
   * go back to the queue (their attempt counts as a failure): no lease survives a restart.
   */
  static open(dataDir: string, nowMs: number, options: SweepStoreOptions = {}): SweepStore {
    const dirRefusal = dataDirRefusal(dataDir);
    if (dirRefusal !== undefined) throw new StoreOpenError(dirRefusal.path, dirRefusal.code, dirRefusal.reason);
    const file = join(dataDir, storeFileName);
    const state = storeFileState(file);
    if (state.kind === 'refused') throw new StoreOpenError(state.refusal.path, state.refusal.code, state.refusal.reason);
    if (state.kind === 'absent') SweepStore.createFile(file);
    const store = new SweepStore(file, options.commitMode ?? 'each-call', options.writeProbe, false);
    try {
      store.dropIncompleteSweeps();
      store.recoverInterrupted(nowMs);
    } catch (error) {
      store.close();
      if (!(error instanceof StoreUnavailableError)) throw error;
      throw new StoreOpenError(file, error.code, `cannot requeue the trials of the last run: ${error.reason}`);
    }
    return store;
  }

  /**
   * A new store is built under a temporary name and renamed into place once it holds its
   * schema, so an existing store file always has one (a crash mid-creation leaves only the
   * temporary file, which the next open replaces).
   */
  private static createFile(file: string): void {
    const fresh = `${file}.new`;
    for (const leftover of [fresh, `${fresh}-wal`, `${fresh}-shm`]) rmSync(leftover, { force: true });
    new SweepStore(fresh, 'each-call', undefined, true).close();
    renameSync(fresh, file);
  }

  /** A clean close: everything is synced, so the next open needs no token floor. */
  close(): void {
    if (!this.db.open) return;
    this.commitBatch();
    const health = this.monitor.health;
    this.monitor.close();
    let closeError: unknown = health.state === 'healthy' ? undefined : new StoreUnavailableError(this.file, health.code, health.reason);
    try {
      this.assertWritable();
      // One FULL commit syncs every relaxed commit before it, and the ceiling with them.
      this.statement(`INSERT OR REPLACE INTO meta (key, value) VALUES ('token_ceiling', '0')`).run();
      this.resultsSynced = this.resultsWritten;
    } catch (error) {
      // The store is failing (disk full, read-only): the old ceiling stays, which is the safe side.
      closeError = error;
    }
    this.db.close();
    if (this.syncInFlight) this.closeWalAfterSync = true;
    else this.closeWal();
    this.settleSync(this.resultsWritten, closeError ?? new StoreClosedError(this.file));
  }

  // ── sweeps ──────────────────────────────────────────────────────────────

  /** One transaction and one fsync for the whole grid (100,000 trials submit in one go). */
  createSweep(input: { sweepId: string; spec: SweepSpec; specSource: string; trials: readonly TrialSpec[]; nowMs: number }): void {
    const insertSweep = this.statement(
      `INSERT INTO sweeps (sweep_id, name, spec_json, spec_source, created_at_ms, total_trials, max_attempts) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertTrial = this.statement(
      `INSERT INTO trials (sweep_id, trial_id, ordinal, repeat, spec_json, state) VALUES (?, ?, ?, ?, ?, 'queued')`,
    );
    this.full(() => {
      insertSweep.run(input.sweepId, input.spec.name, JSON.stringify(input.spec), input.specSource, input.nowMs, input.trials.length, input.spec.maxAttempts);
      input.trials.forEach((trial, ordinal) => insertTrial.run(input.sweepId, trial.id, ordinal, trial.repeat, JSON.stringify(trial)));
    });
  }

  // ── artifacts ───────────────────────────────────────────────────────────

  /** Records the blobs a sweep's spec names (idempotent), so gc keeps them. */
  recordSweepArtifacts(sweepId: string, hashes: readonly string[]): void {
    const insert = this.statement(`INSERT OR IGNORE INTO sweep_artifacts (sweep_id, sha256) VALUES (?, ?)`);
    this.full(() => {
      for (const sha256 of hashes) insert.run(sweepId, sha256);
    });
  }

  /** Every blob some sweep names. */
  referencedArtifacts(): Set<string> {
    return new Set(this.statement<[], { sha256: string }>(`SELECT DISTINCT sha256 FROM sweep_artifacts`).all().map((row) => row.sha256));
  }

  /**
   * The blobs the sweeps in `dataDir`'s store name, read without opening the store for writing
   * (\`plateau gc\` runs beside a live coordinator). A store without the table names none.
   */
  static readReferencedArtifacts(dataDir: string): Set<string> {
    const db = new Database(join(dataDir, storeFileName), { readonly: true, fileMustExist: true });
    try {
      const table = db.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sweep_artifacts'`).get();
      if (table === undefined) return new Set();
      return new Set(db.prepare<[], { sha256: string }>(`SELECT DISTINCT sha256 FROM sweep_artifacts`).all().map((row) => row.sha256));
    } finally {
      db.close();
    }
  }

  /**
   * The same rows as createSweep, written a chunk per FULL transaction with a turn of the event
   * loop between chunks, so a 100,000-trial sweep never blocks the coordinator for longer than
   * one chunk (heartbeats keep being answered). Until the last chunk commits the sweep is
   * incomplete: the caller keeps it to itself, and a process that dies in between leaves rows
   * that the next open drops (dropIncompleteSweeps). Returns the queued trials written.
   */
  async createSweepInChunks(input: { sweepId: string; spec: SweepSpec; specSource: string; totalTrials: number; chunks: Iterable<readonly TrialSpec[]>; nowMs: number }): Promise<readonly QueuedTrialRef[]> {
    const insertTrial = this.statement(
      `INSERT INTO trials (sweep_id, trial_id, ordinal, repeat, spec_json, state) VALUES (?, ?, ?, ?, ?, 'queued')`,
    );
    this.full(() => {
      this.statement(
        `INSERT INTO sweeps (sweep_id, name, spec_json, spec_source, created_at_ms, total_trials, max_attempts) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(input.sweepId, input.spec.name, JSON.stringify(input.spec), input.specSource, input.nowMs, input.totalTrials, input.spec.maxAttempts);
    });
    const queued: QueuedTrialRef[] = [];
    // The generator's work (hashing trial ids) happens between yields too: pull one chunk per turn.
    for (const chunk of input.chunks) {
      const first = queued.length;
      // Without fsync: until the closing FULL commit below the sweep is incomplete, and an
      // incomplete sweep is dropped at the next open, so these rows need no durability of their own.
      this.unsynced(() => {
        chunk.forEach((trial, index) => {
          insertTrial.run(input.sweepId, trial.id, first + index, trial.repeat, JSON.stringify(trial));
          queued.push({ ref: { sweepId: input.sweepId, trialId: trial.id }, ordinal: first + index, repeat: trial.repeat, fencingToken: 0 });
        });
      });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (queued.length !== input.totalTrials) throw new Error(`sweep ${input.sweepId}: ${queued.length} trials written, ${input.totalTrials} expected`);
    // One FULL commit syncs the WAL, and with it every chunk written before.
    this.full(() => this.statement(`UPDATE sweeps SET created_at_ms = ? WHERE sweep_id = ?`).run(input.nowMs, input.sweepId));
    return queued;
  }

  /**
   * Drops sweeps whose trials were not all written (the process died during createSweepInChunks):
   * nobody was told they exist, and none of their trials was ever queued or leased.
   */
  dropIncompleteSweeps(onlySweepId?: string): void {
    const incomplete =
      onlySweepId === undefined
        ? this.statement<[], { sweep_id: string }>(`SELECT sweep_id FROM sweeps s WHERE total_trials <> (SELECT COUNT(*) FROM trials t WHERE t.sweep_id = s.sweep_id)`).all()
        : this.statement<[string], { sweep_id: string }>(
            `SELECT sweep_id FROM sweeps s WHERE sweep_id = ? AND total_trials <> (SELECT COUNT(*) FROM trials t WHERE t.sweep_id = s.sweep_id)`,
          ).all(onlySweepId);
    for (const { sweep_id: sweepId } of incomplete) {
      this.full(() => {
        this.statement(`DELETE FROM trials WHERE sweep_id = ?`).run(sweepId);
        this.statement(`DELETE FROM sweeps WHERE sweep_id = ?`).run(sweepId);
      });
    }
  }

  getSweep(sweepId: string): StoredSweep | undefined {
    const row = this.statement<[string], SweepRow>(`SELECT * FROM sweeps WHERE sweep_id = ?`).get(sweepId);
    return row === undefined ? undefined : toStoredSweep(row, this.sweepSpecOf(row));
  }

  /** Up to `limit` sweeps after `after` (exclusive), oldest first: a page of listSweeps. */
  listSweepsAfter(after: SweepPosition | null, limit: number): readonly StoredSweep[] {
    const rows =
      after === null
        ? this.statement<[number], SweepRow>(`SELECT * FROM sweeps ORDER BY created_at_ms, sweep_id LIMIT ?`).all(limit)
        : this.statement<[number, number, string, number], SweepRow>(
            `SELECT * FROM sweeps WHERE created_at_ms > ? OR (created_at_ms = ? AND sweep_id > ?) ORDER BY created_at_ms, sweep_id LIMIT ?`,
          ).all(after.createdAtMs, after.createdAtMs, after.sweepId, limit);
    return rows.map((row) => toStoredSweep(row, this.sweepSpecOf(row)));
  }

  /** Every sweep, oldest first. */
  listSweeps(): readonly StoredSweep[] {
    return this.statement<[], SweepRow>(`SELECT * FROM sweeps ORDER BY created_at_ms, sweep_id`)
      .all()
      .map((row) => toStoredSweep(row, this.sweepSpecOf(row)));
  }

  /** Marks the sweep cancelled and cancels its queued trials; returns the trials still holding a lease. */
  cancelSweep(sweepId: string): { readonly cancelledQueued: readonly TrialRef[]; readonly holdingLease: readonly TrialRef[] } {
    const cancelled = this.full(() => {
      this.statement(`UPDATE sweeps SET cancelled = 1 WHERE sweep_id = ?`).run(sweepId);
      const cancelledQueued: TrialRef[] = [];
      const holdingLease: TrialRef[] = [];
      for (const row of this.trialRows(sweepId, ['queued', 'leased', 'running'])) {
        const next = this.move(row, { kind: 'cancel-sweep' });
        const ref = { sweepId, trialId: row.trial_id };
        if (next === 'cancelled') {
          this.setState(row, next);
          cancelledQueued.push(ref);
        } else {
          holdingLease.push(ref);
        }
      }
      return { cancelledQueued, holdingLease };
    });
    this.cancelledSweeps.set(sweepId, true);
    return cancelled;
  }

  /** Un-cancels a resubmitted sweep: its cancelled trials are queued again. */
  resumeSweep(sweepId: string): readonly StoredTrial[] {
    const resumed = this.full(() => {
      this.statement(`UPDATE sweeps SET cancelled = 0, finished_at_ms = NULL WHERE sweep_id = ?`).run(sweepId);
      const requeued: StoredTrial[] = [];
      for (const row of this.trialRows(sweepId, ['cancelled'])) {
        this.setState(row, this.move(row, { kind: 'resume' }));
        this.statement(`DELETE FROM results WHERE sweep_id = ? AND trial_id = ?`).run(sweepId, row.trial_id);
        requeued.push(toStoredTrial({ ...row, state: 'queued' }));
      }
      return requeued;
    });
    this.cancelledSweeps.set(sweepId, false);
    return resumed;
  }

  /** Whether the sweep is cancelled (false for an unknown sweep); kept in memory once read. */
  isCancelled(sweepId: string): boolean {
    const known = this.cancelledSweeps.get(sweepId);
    if (known !== undefined) return known;
    const row = this.statement<[string], { cancelled: number }>(`SELECT cancelled FROM sweeps WHERE sweep_id = ?`).get(sweepId);
    if (row === undefined) return false;
    this.cancelledSweeps.set(sweepId, row.cancelled === 1);
    return row.cancelled === 1;
  }

  /** Sets finished_at once no trial of the sweep is left to run; returns true when it just finished. */
  markFinishedIfDone(sweepId: string, nowMs: number): boolean {
    // An index probe (trials_by_sweep_state), not a count over the sweep: this runs on every completion.
    const open = this.statement<[string], { one: number }>(`SELECT 1 AS one FROM trials WHERE sweep_id = ? AND state IN (${openStates}) LIMIT 1`).get(sweepId);
    if (open !== undefined) return false;
    return this.full(() => this.statement(`UPDATE sweeps SET finished_at_ms = ? WHERE sweep_id = ? AND finished_at_ms IS NULL`).run(nowMs, sweepId).changes === 1);
  }

  countStaleResult(sweepId: string): void {
    this.full(() => this.statement(`UPDATE sweeps SET stale_results_rejected = stale_results_rejected + 1 WHERE sweep_id = ?`).run(sweepId));
  }

  // ── workload errors ─────────────────────────────────────────────────────

  /**
   * Ends the current attempt on a workload error (no retry can fix it), in one FULL
   * transaction. The trial fails without a retry, or is cancelled when its sweep is cancelled or
   * its scope already stopped (one failed trial per stop, however many met the error at once).
   * The first time, the scope is stopped: the sweep (`sweep`) or the trial's configuration
   * (`config`); its queued trials are cancelled, and those holding a lease are returned for the
   * cancel directive of their next heartbeat.
   */
  failForWorkload(
    ref: TrialRef,
    input: { leaseId: string; fencingToken: number; error: TrialErrorInfo; scope: WorkloadErrorScope; nowMs: number },
  ): WorkloadFailure {
    const message = input.error.message.slice(0, WORKLOAD_ERROR_MESSAGE_MAX);
    const failure = this.full((): WorkloadFailure => {
      const row = this.requireCurrent(ref, input.fencingToken);
      const sweep = this.requireSweepRow(ref.sweepId);
      const key = configKey(this.specOf(ref).config);
      const stoppedBefore = sweep.cancelled === 1 || this.isStoppedForWorkload(ref, key);
      const failures = row.failures + 1;
      const next = this.move(row, { kind: 'fail', attemptsLeft: sweep.max_attempts - failures, sweepCancelled: stoppedBefore, workload: true });
      this.statement(`UPDATE trials SET state = ?, failures = ? WHERE sweep_id = ? AND trial_id = ?`).run(next, failures, ref.sweepId, ref.trialId);
      this.endAttemptRow(input.leaseId, input.nowMs, next === 'failed' ? failedAttemptEnding({ kind: input.error.kind, message }) : 'cancelled: workload-error');
      if (next !== 'failed') return { state: next, stop: null };
      const stoppedKey = input.scope === 'sweep' ? '' : key;
      this
        .statement(`INSERT INTO workload_stops (sweep_id, config_key, kind, message, trial_id, at_ms) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(ref.sweepId, stoppedKey, input.error.kind, message, ref.trialId, input.nowMs);
      const cancelledQueued: TrialRef[] = [];
      const holdingLease: TrialRef[] = [];
      for (const open of this.trialRows(ref.sweepId, ['queued', 'leased', 'running'])) {
        if (input.scope === 'config' && configKey(readJson<TrialSpec>(open.spec_json).config) !== key) continue;
        const stopped = this.move(open, { kind: 'workload-stop' });
        const openRef = { sweepId: ref.sweepId, trialId: open.trial_id };
        if (stopped === 'cancelled') {
          this.setState(open, stopped);
          cancelledQueued.push(openRef);
        } else {
          holdingLease.push(openRef);
        }
      }
      return { state: next, stop: { scope: input.scope, cancelledQueued, holdingLease } };
    });
    // Read again after the commit: the cache never runs ahead of what is on disk.
    this.workloadStopCache.delete(ref.sweepId);
    return failure;
  }

  /**
   * Resubmitted after a workload error (its data fixed, presumably): the stops are lifted, the
   * trials they cancelled and those that failed with the workload error are queued again (one
   * FULL transaction). Nothing happens to a sweep without a workload error, or to trials that
   * failed otherwise.
   */
  resumeAfterWorkloadError(sweepId: string): readonly StoredTrial[] {
    const requeued = this.full(() => {
      const stopped = this.statement<[string], { n: number }>(`SELECT COUNT(*) AS n FROM workload_stops WHERE sweep_id = ?`).get(sweepId);
      if (stopped === undefined || stopped.n === 0) return [];
      this.statement(`DELETE FROM workload_stops WHERE sweep_id = ?`).run(sweepId);
      this.statement(`UPDATE sweeps SET finished_at_ms = NULL WHERE sweep_id = ?`).run(sweepId);
      const again: StoredTrial[] = [];
      for (const row of this.trialRows(sweepId, ['cancelled', 'failed'])) {
        const ref = { sweepId, trialId: row.trial_id };
        if (row.state === 'failed') {
          const last = this.attemptRows(ref).at(-1);
          if (last?.ending?.startsWith(failedAttemptEnding({ kind: WORKLOAD_ERROR_KIND, message: '' })) !== true) continue;
          this.setState(row, this.move(row, { kind: 'retry-workload' }));
        } else {
          this.setState(row, this.move(row, { kind: 'resume' }));
          this.statement(`DELETE FROM results WHERE sweep_id = ? AND trial_id = ?`).run(sweepId, row.trial_id);
        }
        again.push(toStoredTrial({ ...row, state: 'queued' }));
      }
      return again;
    });
    this.workloadStopCache.delete(sweepId);
    return requeued;
  }

  /** The first `limit` failed or diverged trials, in grid order, each with its last error (see lastTrialError). */
  failedTrials(sweepId: string, limit: number): readonly FailedTrialProgress[] {
    const rows = this
      .statement<[string, number], { trial_id: string; state: 'failed' | 'diverged'; result_json: string | null }>(
        `SELECT t.trial_id AS trial_id, t.state AS state, r.result_json AS result_json FROM trials t LEFT JOIN results r USING (sweep_id, trial_id)
         WHERE t.sweep_id = ? AND t.state IN ('failed', 'diverged') ORDER BY t.ordinal LIMIT ?`,
      )
      .all(sweepId, limit);
    return rows.map((row) => {
      const outcome = row.result_json === null ? null : readJson<TrialResult>(row.result_json).outcome;
      const endings = this.attemptRows({ sweepId, trialId: row.trial_id }).map((attempt) => attempt.ending);
      const error = lastTrialError(true, outcome, endings) ?? { kind: 'unknown', message: 'no error was recorded' };
      return { trialId: row.trial_id, status: row.state, error };
    });
  }

  /** Whether a workload error stopped this trial's sweep or configuration (`key`: its configKey, when known). */
  isStoppedForWorkload(ref: TrialRef, key?: string): boolean {
    const stops = this.workloadStopsOf(ref.sweepId);
    if (stops.wholeSweep) return true;
    if (stops.configs.size === 0) return false;
    return stops.configs.has(key ?? configKey(this.specOf(ref).config));
  }

  /** The sweep's first workload error, or null. */
  sweepError(sweepId: string): SweepError | null {
    const row = this
      .statement<[string], { config_key: string; kind: string; message: string; trial_id: string; at_ms: number }>(
        `SELECT config_key, kind, message, trial_id, at_ms FROM workload_stops WHERE sweep_id = ? ORDER BY at_ms, rowid LIMIT 1`,
      )
      .get(sweepId);
    if (row === undefined) return null;
    return { kind: row.kind, message: row.message, trialId: row.trial_id, atMs: row.at_ms, scope: row.config_key === '' ? 'sweep' : 'config' };
  }

  /** What workload errors stopped in a sweep; kept in memory once read (every heartbeat asks). */
  private workloadStopsOf(sweepId: string): WorkloadStops {
    const known = this.workloadStopCache.get(sweepId);
    if (known !== undefined) return known;
    const keys = this.statement<[string], { config_key: string }>(`SELECT config_key FROM workload_stops WHERE sweep_id = ?`).all(sweepId).map((row) => row.config_key);
    const stops: WorkloadStops = { wholeSweep: keys.includes(''), configs: new Set(keys.filter((key) => key !== '')) };
    // Bounded like the other per-sweep memos: a coordinator that served very many sweeps reads again.
    if (this.workloadStopCache.size >= 10_000) this.workloadStopCache.clear();
    this.workloadStopCache.set(sweepId, stops);
    return stops;
  }

  private specOf(ref: TrialRef): TrialSpec {
    const row = this.trialRow(ref);
    if (row === undefined) throw new UnknownTrialError(ref);
    return readJson<TrialSpec>(row.spec_json);
  }

  // ── agents ──────────────────────────────────────────────────────────────

  registerAgent(agent: StoredAgent, nowMs: number): void {
    this.full(() =>
      this
        .statement(`INSERT INTO agents (agent_id, hostname, slots, backend, version, registered_at_ms) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(agent.agentId, agent.hostname, agent.slots, agent.backend, agent.version, nowMs),
    );
  }

  getAgent(agentId: string): StoredAgent | undefined {
    const row = this
      .statement<[string], { agent_id: string; hostname: string; slots: number; backend: string; version: string }>(`SELECT * FROM agents WHERE agent_id = ?`)
      .get(agentId);
    return row === undefined ? undefined : { agentId: row.agent_id, hostname: row.hostname, slots: row.slots, backend: row.backend, version: row.version };
  }

  // ── trials ──────────────────────────────────────────────────────────────

  getTrial(ref: TrialRef): StoredTrial | undefined {
    const row = this.trialRow(ref);
    return row === undefined ? undefined : toStoredTrial(row);
  }

  /** Queued trials of every sweep, or of one (to rebuild the in-memory queue); specs are not read. */
  queuedTrials(sweepId?: string): readonly QueuedTrialRef[] {
    type Row = Pick<TrialRow, 'sweep_id' | 'trial_id' | 'ordinal' | 'repeat' | 'fencing_token'>;
    const columns = 'sweep_id, trial_id, ordinal, repeat, fencing_token';
    const rows =
      sweepId === undefined
        ? this.statement<[], Row>(`SELECT ${columns} FROM trials WHERE state = 'queued'`).all()
        : this.statement<[string], Row>(`SELECT ${columns} FROM trials WHERE sweep_id = ? AND state = 'queued'`).all(sweepId);
    return rows.map((row) => ({ ref: { sweepId: row.sweep_id, trialId: row.trial_id }, ordinal: row.ordinal, repeat: row.repeat, fencingToken: row.fencing_token }));
  }

  /** Trials of the sweep that hold a lease now. */
  trialsHoldingLease(sweepId: string): readonly StoredTrial[] {
    return this.trialRows(sweepId, ['leased', 'running']).map(toStoredTrial);
  }

  /** queued → leased, with a new attempt row. Returns the 1-based attempt number. */
  leaseTrial(ref: TrialRef, lease: { leaseId: string; fencingToken: number; agentId: string; nowMs: number }): number {
    // A token above the durable ceiling raises it first, in a FULL transaction: no token can
    // be handed out that a power loss could let the next process hand out again.
    const raiseCeiling = lease.fencingToken > this.tokenCeiling;
    const previousCeiling = this.tokenCeiling;
    const grant = (): number => {
      if (raiseCeiling) {
        const ceiling = lease.fencingToken + tokenCeilingStep;
        this.statement(`INSERT OR REPLACE INTO meta (key, value) VALUES ('token_ceiling', ?)`).run(String(ceiling));
        this.tokenCeiling = ceiling;
      }
      const row = this.requireTrial(ref);
      const next = this.move(row, { kind: 'lease' });
      const attempt = row.attempts + 1;
      this
        .statement(`UPDATE trials SET state = ?, attempts = ?, fencing_token = ?, agent_id = ? WHERE sweep_id = ? AND trial_id = ?`)
        .run(next, attempt, lease.fencingToken, lease.agentId, ref.sweepId, ref.trialId);
      this
        .statement(`INSERT INTO attempts (sweep_id, trial_id, attempt, lease_id, fencing_token, agent_id, started_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(ref.sweepId, ref.trialId, attempt, lease.leaseId, lease.fencingToken, lease.agentId, lease.nowMs);
      return attempt;
    };
    if (!raiseCeiling) return this.relaxed(grant);
    try {
      return this.full(grant);
    } catch (error) {
      this.tokenCeiling = previousCeiling;
      throw error;
    }
  }

  /** leased → running on the first beat; stores the reported epochs of the current attempt. */
  recordHeartbeat(ref: TrialRef, fencingToken: number, epochs: readonly EpochRecord[]): void {
    const upsert = this.statement(`INSERT OR REPLACE INTO epochs (sweep_id, trial_id, attempt, epoch, record_json) VALUES (?, ?, ?, ?, ?)`);
    this.relaxed(() => {
      const row = this.requireCurrent(ref, fencingToken);
      const next = this.move(row, { kind: 'heartbeat' });
      if (next !== row.state) this.setState(row, next);
      for (const epoch of epochs) upsert.run(ref.sweepId, ref.trialId, row.attempts, epoch.epoch, stringifyWithNonFinite(epoch));
    });
  }

  /**
   * Ends the trial with its result, once: the state, the result row and the attempt in one
   * transaction. Committed without fsync; durable once `durable()` resolves (group commit).
   */
  recordResult(ref: TrialRef, input: { leaseId: string; fencingToken: number; agentId: string; result: TrialResult; nowMs: number }): TrialState {
    const state = this.relaxed(() => {
      const row = this.requireCurrent(ref, input.fencingToken);
      const next = this.move(row, { kind: 'complete', outcome: input.result.outcome });
      this.setState(row, next);
      const objective = input.result.objective !== null && Number.isFinite(input.result.objective) ? input.result.objective : null;
      this
        .statement(
          `INSERT INTO results (sweep_id, trial_id, status, objective, lease_id, fencing_token, agent_id, recorded_at_ms, result_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(ref.sweepId, ref.trialId, next, objective, input.leaseId, input.fencingToken, input.agentId, input.nowMs, stringifyWithNonFinite(input.result));
      this.endAttemptRow(input.leaseId, input.nowMs, describeOutcome(input.result.outcome));
      return next;
    });
    if (this.walMode) {
      this.resultsWritten += 1;
      this.scheduleSync();
    }
    return state;
  }

  /**
   * Ends the current attempt without a result: requeued while attempts are left, failed
   * for good after maxAttempts failures, cancelled when the sweep was cancelled.
   */
  endAttempt(ref: TrialRef, input: { leaseId: string; fencingToken: number; lost: LostAttempt; nowMs: number }): LostAttemptOutcome {
    return this.full(() => {
      const row = this.requireCurrent(ref, input.fencingToken);
      const sweep = this.requireSweepRow(ref.sweepId);
      const failures = row.failures + (input.lost.event === 'release' ? 0 : 1);
      // A trial that a workload error stopped goes no further than a cancelled sweep's would.
      const sweepCancelled = sweep.cancelled === 1 || this.isStoppedForWorkload(ref);
      const attemptsLeft = sweep.max_attempts - failures;
      const event: TrialEvent =
        input.lost.event === 'release'
          ? { kind: 'release', sweepCancelled }
          : input.lost.event === 'fail'
            ? { kind: 'fail', attemptsLeft, sweepCancelled, workload: false }
            : { kind: 'lease-expired', attemptsLeft, sweepCancelled };
      const next = this.move(row, event);
      this.statement(`UPDATE trials SET state = ?, failures = ? WHERE sweep_id = ? AND trial_id = ?`).run(next, failures, ref.sweepId, ref.trialId);
      this.endAttemptRow(input.leaseId, input.nowMs, input.lost.ending);
      return { state: next, endings: this.attemptRows(ref).map((attempt) => attempt.ending ?? 'running') };
    });
  }

  /** The attempt a lease id was granted for, in this process or an earlier one. */
  attemptByLease(leaseId: string): AttemptByLease | undefined {
    const row = this.statement<[string], AttemptRow>(`SELECT * FROM attempts WHERE lease_id = ?`).get(leaseId);
    if (row === undefined) return undefined;
    return { ref: { sweepId: row.sweep_id, trialId: row.trial_id }, attempt: row.attempt, fencingToken: row.fencing_token, ending: row.ending };
  }

  /** The lease that recorded the trial's result, if one is recorded. */
  resultLease(ref: TrialRef): { readonly leaseId: string; readonly fencingToken: number } | undefined {
    const row = this
      .statement<[string, string], { lease_id: string; fencing_token: number }>(`SELECT lease_id, fencing_token FROM results WHERE sweep_id = ? AND trial_id = ?`)
      .get(ref.sweepId, ref.trialId);
    return row === undefined ? undefined : { leaseId: row.lease_id, fencingToken: row.fencing_token };
  }

  // ── read models ─────────────────────────────────────────────────────────

  counts(sweepId: string): TrialCounts {
    const rows = this
      .statement<[string], { state: TrialState; n: number }>(`SELECT state, COUNT(*) AS n FROM trials WHERE sweep_id = ? GROUP BY state`)
      .all(sweepId);
    const of = (state: TrialState): number => rows.find((row) => row.state === state)?.n ?? 0;
    return {
      queued: of('queued'),
      running: of('leased') + of('running'),
      succeeded: of('succeeded'),
      failed: of('failed'),
      diverged: of('diverged'),
      pruned: of('pruned'),
      cancelled: of('cancelled'),
    };
  }

  /** The best objective among succeeded trials, or null when none has one. */
  best(sweepId: string, goal: 'minimize' | 'maximize'): { readonly objective: number; readonly config: TrialConfig } | null {
    const order = goal === 'minimize' ? 'ASC' : 'DESC';
    const row = this
      .statement<[string], { objective: number; spec_json: string }>(
        `SELECT r.objective AS objective, t.spec_json AS spec_json FROM results r JOIN trials t USING (sweep_id, trial_id)
         WHERE r.sweep_id = ? AND r.status = 'succeeded' AND r.objective IS NOT NULL
         ORDER BY r.objective ${order}, t.ordinal, t.repeat LIMIT 1`,
      )
      .get(sweepId);
    return row === undefined ? null : { objective: row.objective, config: readJson<TrialSpec>(row.spec_json).config };
  }

  /** Trials holding a lease, with their last reported epoch. */
  runningProgress(sweepId: string): readonly RunningTrialProgress[] {
    return this.trialRows(sweepId, ['leased', 'running']).map((row) => {
      const spec = readJson<TrialSpec>(row.spec_json);
      const last = this
        .statement<[string, string, number], { record_json: string }>(
          `SELECT record_json FROM epochs WHERE sweep_id = ? AND trial_id = ? AND attempt = ? ORDER BY epoch DESC LIMIT 1`,
        )
        .get(row.sweep_id, row.trial_id, row.attempts);
      const epoch = last === undefined ? undefined : readJson<EpochRecord>(last.record_json);
      return {
        trialId: row.trial_id,
        agentId: row.agent_id ?? '',
        epoch: epoch?.epoch ?? 0,
        epochs: spec.workload.epochs,
        valLoss: epoch?.val_loss ?? null,
        lr: epoch?.lr ?? null,
        config: spec.config,
      };
    });
  }

  /** Everything known about a sweep, for the results document. */
  snapshot(sweepId: string, coordinatorVersions: Readonly<Record<string, string>>): SweepSnapshot | undefined {
    const sweep = this.getSweep(sweepId);
    if (sweep === undefined) return undefined;
    const attemptsOf = new Map<string, AttemptRecord[]>();
    for (const row of this.statement<[string], AttemptRow>(`SELECT * FROM attempts WHERE sweep_id = ? ORDER BY trial_id, attempt`).all(sweepId)) {
      const list = attemptsOf.get(row.trial_id) ?? [];
      list.push({ attempt: row.attempt, agentId: row.agent_id, startedAtMs: row.started_at_ms, endedAtMs: row.ended_at_ms, ending: row.ending });
      attemptsOf.set(row.trial_id, list);
    }
    const results = new Map<string, { agentId: string; result: TrialResult }>();
    for (const row of this.statement<[string], { trial_id: string; agent_id: string; result_json: string }>(
      `SELECT trial_id, agent_id, result_json FROM results WHERE sweep_id = ?`,
    ).all(sweepId)) {
      results.set(row.trial_id, { agentId: row.agent_id, result: readJson<TrialResult>(row.result_json) });
    }
    const trials: TrialRecord[] = this
      .statement<[string], TrialRow>(`SELECT * FROM trials WHERE sweep_id = ? ORDER BY ordinal`)
      .all(sweepId)
      .map((row) => {
        const recorded = results.get(row.trial_id);
        return {
          spec: readJson<TrialSpec>(row.spec_json),
          state: row.state,
          attempts: attemptsOf.get(row.trial_id) ?? [],
          agentId: recorded?.agentId ?? row.agent_id,
          result: recorded?.result ?? null,
        };
      });
    const agents = this
      .statement<[string], { hostname: string; backend: string; version: string }>(
        `SELECT DISTINCT a.hostname, a.backend, a.version FROM agents a JOIN attempts t ON t.agent_id = a.agent_id WHERE t.sweep_id = ? ORDER BY a.hostname`,
      )
      .all(sweepId);
    const backends = new Set<BackendName>();
    for (const { result } of results.values()) backends.add(result.backend);
    const versions: Record<string, string> = { ...coordinatorVersions };
    for (const agent of agents) versions[`agent ${agent.hostname}`] = agent.version;
    return {
      sweepId,
      spec: sweep.spec,
      specSource: sweep.specSource,
      createdAtMs: sweep.createdAtMs,
      finishedAtMs: sweep.finishedAtMs,
      cancelled: sweep.cancelled,
      error: this.sweepError(sweepId),
      environment: { backends: [...backends].sort(), hosts: [...new Set(agents.map((agent) => agent.hostname))], versions },
      trials,
    };
  }

  // ── internals ───────────────────────────────────────────────────────────

  /** A previous process's leases are gone: their trials go back to the queue (or fail, past maxAttempts). */
  private recoverInterrupted(nowMs: number): void {
    const held = this.statement<[], TrialRow>(`SELECT * FROM trials WHERE state IN ('leased', 'running')`).all();
    for (const row of held) {
      const ref = { sweepId: row.sweep_id, trialId: row.trial_id };
      const open = this.attemptRows(ref).find((attempt) => attempt.attempt === row.attempts);
      this.endAttempt(ref, {
        leaseId: open?.lease_id ?? '',
        fencingToken: row.fencing_token,
        lost: { event: 'lease-expired', ending: 'coordinator-restarted' },
        nowMs,
      });
      this.markFinishedIfDone(row.sweep_id, nowMs);
    }
  }

  private move(row: TrialStateRow, event: TrialEvent): TrialState {
    const result = transition(row.state, event);
    if (!result.ok) throw new IllegalTransitionError(row.trial_id, result.rejection);
    return result.state;
  }

  private setState(row: TrialStateRow, state: TrialState): void {
    this.statement(`UPDATE trials SET state = ? WHERE sweep_id = ? AND trial_id = ?`).run(state, row.sweep_id, row.trial_id);
  }

  private endAttemptRow(leaseId: string, nowMs: number, ending: string): void {
    this.statement(`UPDATE attempts SET ended_at_ms = ?, ending = ? WHERE lease_id = ? AND ended_at_ms IS NULL`).run(nowMs, ending, leaseId);
  }

  private trialRow(ref: TrialRef): TrialRow | undefined {
    return this.statement<[string, string], TrialRow>(`SELECT * FROM trials WHERE sweep_id = ? AND trial_id = ?`).get(ref.sweepId, ref.trialId);
  }

  /** The trial's state, without its spec (state changes never need the spec's JSON). */
  private requireTrial(ref: TrialRef): TrialStateRow {
    const row = this.statement<[string, string], TrialStateRow>(`SELECT ${trialStateColumns} FROM trials WHERE sweep_id = ? AND trial_id = ?`).get(
      ref.sweepId,
      ref.trialId,
    );
    if (row === undefined) throw new UnknownTrialError(ref);
    return row;
  }

  /** The trial, if `fencingToken` is its current token and it still holds a lease. */
  private requireCurrent(ref: TrialRef, fencingToken: number): TrialStateRow {
    const row = this.requireTrial(ref);
    if (row.fencing_token !== fencingToken || isTerminal(row.state) || row.state === 'queued') {
      throw new FencedWriteError(ref, fencingToken, row.fencing_token);
    }
    return row;
  }

  /** A sweep's spec never changes once written: parse it once (heartbeats read the sweep every time). */
  private sweepSpecOf(row: SweepRow): SweepSpec {
    const cached = this.sweepSpecs.get(row.sweep_id);
    if (cached !== undefined && cached.json === row.spec_json) return cached.spec;
    const spec = readJson<SweepSpec>(row.spec_json);
    this.sweepSpecs.set(row.sweep_id, { json: row.spec_json, spec });
    return spec;
  }

  private requireSweepRow(sweepId: string): SweepRow {
    const row = this.statement<[string], SweepRow>(`SELECT * FROM sweeps WHERE sweep_id = ?`).get(sweepId);
    if (row === undefined) throw new UnknownTrialError({ sweepId, trialId: '' });
    return row;
  }

  private trialRows(sweepId: string, states: readonly TrialState[]): TrialRow[] {
    return this.statement<[string], TrialRow>(`SELECT * FROM trials WHERE sweep_id = ? AND state IN (${stateList(states)}) ORDER BY ordinal`).all(sweepId);
  }

  private attemptRows(ref: TrialRef): AttemptRow[] {
    return this
      .statement<[string, string], AttemptRow>(`SELECT * FROM attempts WHERE sweep_id = ? AND trial_id = ? ORDER BY attempt`)
      .all(ref.sweepId, ref.trialId);
  }
}
