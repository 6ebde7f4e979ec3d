// Domain ↔ wire conversions: the only place besides the grpc-* adapters that knows gen/.
// Wire payloads are decoded and checked once here; NaN/±Infinity travel as IEEE doubles.
import * as wire from '../../gen/plateau/v1/coordinator.js';
import type { HeartbeatDirective, TrialLease } from './agent-channel.js';
import { FAILURES_SHOWN, type FailedTrialProgress, type RunningTrialProgress, type SweepProgress, type SweepState, type SweepSummary, type TrialCounts } from './sweep-progress.js';
import { trialSpecSchema, trialSpecShellSchema } from './trial-spec-schema.js';
import { MAX_SWEEP_NAME_LENGTH } from '../spec/rules.js';
import type { BackendName, CancelReason, EpochRecord, TrialConfig, TrialErrorInfo, TrialOutcome, TrialResult, TrialSpec } from '../trial/types.js';
import { parseWorkloadScope, type SweepError } from '../trial/workload-error.js';
import { CANCEL_REASONS } from '../trial/types.js';

/** A wire message that does not say what the protocol promises. */
export class WireDecodeError extends Error {
  override readonly name = 'WireDecodeError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/**
 * Longest value each string field on the wire may carry, in UTF-16 code units. A hostile peer
 * can send 32 MiB in any string; every one is bounded here, at decode time, before it is
 * stored, logged or echoed.
 */
export const WIRE_LIMITS = {
  /** Sweep, trial, lease and agent ids (ours are under 64). */
  id: 128,
  hostname: 255,
  version: 128,
  errorKind: 128,
  /** Longer error messages are clipped, not refused: the failure itself must still be recorded. */
  errorMessage: 4_096,
  metricName: 128,
  metricsPerEpoch: 64,
  /** The spec's YAML text, kept for provenance: the same bound as a spec file. */
  specSourceBytes: 1_048_576,
  /** The compiled spec: a few KiB for a real one. */
  specJsonBytes: 4_194_304,
} as const;

const controlCharacters = /[\u0000-\u001f\u007f]/;

/** A short quote of a hostile value for an error message (never the whole of it). */
function quote(value: string): string {
  return JSON.stringify(value.length <= 40 ? value : `${value.slice(0, 40)}…`);
}

/** A string field at most `max` long, without control characters (ids, names: logged and shown). */
export function boundedString(value: string, field: string, max: number): string {
  if (value.length > max) throw new WireDecodeError(field, `${value.length.toLocaleString('en-US')} characters, over the limit of ${max.toLocaleString('en-US')}`);
  if (controlCharacters.test(value)) throw new WireDecodeError(field, `${quote(value)} holds control characters`);
  return value;
}

/** A required id: non-empty and bounded. */
export function decodeId(value: string, field: string): string {
  if (value === '') throw new WireDecodeError(field, 'empty');
  return boundedString(value, field, WIRE_LIMITS.id);
}

/** A free-text message clipped to `max` (a failure is still recorded, just not all of it). */
export function clipText(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/** A text field whose UTF-8 size is bounded (spec_json, spec_source). */
export function boundedText(value: string, field: string, maxBytes: number): string {
  // Cheap first: a string's UTF-8 size is at most 3 bytes per UTF-16 code unit.
  if (value.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > maxBytes) throw new WireDecodeError(field, `${bytes.toLocaleString('en-US')} bytes, over the limit of ${maxBytes.toLocaleString('en-US')}`);
  }
  return value;
}

const backendNames: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
const cancelReasons: readonly CancelReason[] = CANCEL_REASONS;

export function parseBackendName(value: string, field: string): BackendName {
  const found = backendNames.find((name) => name === value);
  if (found === undefined) throw new WireDecodeError(field, `${quote(value)} is not a backend (${backendNames.join(', ')})`);
  return found;
}

function parseCancelReason(value: string, field: string): CancelReason {
  const found = cancelReasons.find((reason) => reason === value);
  if (found === undefined) throw new WireDecodeError(field, `${quote(value)} is not a cancel reason (${cancelReasons.join(', ')})`);
  return found;
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WireDecodeError(field, `not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

// ── trial spec ────────────────────────────────────────────────────────────

export function encodeTrialSpec(spec: TrialSpec): string {
  return JSON.stringify(spec);
}

/**
 * Workloads already checked, by their JSON text. The trials of a sweep carry one workload and
 * checking it is most of a lease's decoding cost, so each distinct text is checked once.
 * Bounded (oldest out first): an agent works on a few sweeps at a time.
 */
const checkedWorkloads = new Map<string, TrialSpec['workload']>();
const checkedWorkloadsMax = 32;

function decodeIssue(field: string, issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[]): WireDecodeError {
  const issue = issues[0];
  return new WireDecodeError(`${field}${issue === undefined || issue.path.length === 0 ? '' : `.${issue.path.map(String).join('.')}`}`, issue?.message ?? 'not a TrialSpec');
}

export function decodeTrialSpec(json: string, field = 'trial_spec_json'): TrialSpec {
  const value = parseJson(json, field);
  const workloadText = typeof value === 'object' && value !== null && 'workload' in value ? JSON.stringify(value.workload) : undefined;
  const known = workloadText === undefined ? undefined : checkedWorkloads.get(workloadText);
  if (known !== undefined) {
    const shell = trialSpecShellSchema.safeParse(value);
    if (!shell.success) throw decodeIssue(field, shell.error.issues);
    return { ...shell.data, workload: known };
  }
  const parsed = trialSpecSchema.safeParse(value);
  if (!parsed.success) throw decodeIssue(field, parsed.error.issues);
  if (workloadText !== undefined) {
    if (checkedWorkloads.size >= checkedWorkloadsMax) checkedWorkloads.delete(checkedWorkloads.keys().next().value ?? '');
    checkedWorkloads.set(workloadText, parsed.data.workload);
  }
  return parsed.data;
}

function decodeConfig(json: string, field: string): TrialConfig {
  const value = parseJson(json, field);
  if (typeof value !== 'object' || value === null) throw new WireDecodeError(field, 'not a trial config object');
  const record = value as Record<string, unknown>;
  const num = (key: keyof TrialConfig): number => {
    const item = record[key];
    if (typeof item !== 'number') throw new WireDecodeError(`${field}.${key}`, 'expected a number');
    return item;
  };
  return {
    learningRate: num('learningRate'),
    factor: num('factor'),
    patience: num('patience'),
    minDelta: num('minDelta'),
    cooldown: num('cooldown'),
    minLr: num('minLr'),
    batchSize: num('batchSize'),
  };
}

// ── leases ────────────────────────────────────────────────────────────────

export function encodeLease(lease: TrialLease): wire.Lease {
  return {
    leaseId: lease.leaseId,
    fencingToken: lease.fencingToken,
    sweepId: lease.sweepId,
    trialId: lease.trialId,
    attempt: lease.attempt,
    heartbeatTimeoutMs: lease.heartbeatTimeoutMs,
    trialSpecJson: encodeTrialSpec(lease.trial),
    reportEveryEpoch: lease.reportEveryEpoch,
  };
}

export function decodeLease(lease: wire.Lease): TrialLease {
  if (lease.leaseId === '') throw new WireDecodeError('lease.lease_id', 'empty');
  if (lease.fencingToken < 1) throw new WireDecodeError('lease.fencing_token', `${lease.fencingToken} — expected ≥ 1`);
  const trial = decodeTrialSpec(lease.trialSpecJson, 'lease.trial_spec_json');
  if (trial.id !== lease.trialId) throw new WireDecodeError('lease.trial_id', `"${lease.trialId}" but the trial spec says "${trial.id}"`);
  return {
    leaseId: lease.leaseId,
    fencingToken: lease.fencingToken,
    sweepId: lease.sweepId,
    trialId: lease.trialId,
    attempt: lease.attempt,
    heartbeatTimeoutMs: lease.heartbeatTimeoutMs,
    reportEveryEpoch: lease.reportEveryEpoch,
    trial,
  };
}

/** A poll's answer: nothing, one lease in `lease` (as before bundles), or a bundle of two or more in `bundle`. */
export function encodePollResponse(leases: readonly TrialLease[]): wire.PollTrialResponse {
  const [first] = leases;
  if (first === undefined) return { bundle: [] };
  if (leases.length === 1) return { lease: encodeLease(first), bundle: [] };
  return { bundle: leases.map(encodeLease) };
}

// ── epochs ────────────────────────────────────────────────────────────────

export function encodeEpoch(record: EpochRecord): wire.EpochReport {
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'epoch' && key !== 'loss' && key !== 'val_loss' && key !== 'lr') metrics[key] = value;
  }
  return { epoch: record.epoch, loss: record.loss, valLoss: record.val_loss, lr: record.lr, metrics };
}

export function decodeEpoch(report: wire.EpochReport): EpochRecord {
  if (report.epoch < 1) throw new WireDecodeError('epoch.epoch', `${report.epoch} — epochs are 1-based`);
  // Loss may be NaN or infinite (a diverged epoch); a learning rate never is, nor negative.
  if (!Number.isFinite(report.lr) || report.lr < 0) throw new WireDecodeError('epoch.lr', `${report.lr} — a learning rate is a finite number ≥ 0`);
  const names = Object.keys(report.metrics);
  if (names.length > WIRE_LIMITS.metricsPerEpoch) throw new WireDecodeError('epoch.metrics', `${names.length} metrics, over the limit of ${WIRE_LIMITS.metricsPerEpoch}`);
  for (const name of names) boundedString(name, 'epoch.metrics key', WIRE_LIMITS.metricName);
  return { ...report.metrics, epoch: report.epoch, loss: report.loss, val_loss: report.valLoss, lr: report.lr };
}

// ── errors ────────────────────────────────────────────────────────────────

/** The wire fields of a FailTrialRequest or a failed TrialResult (kind, message, scope). */
export function encodeTrialError(error: TrialErrorInfo): { errorKind: string; errorMessage: string; errorScope: string } {
  return { errorKind: error.kind, errorMessage: error.message, errorScope: error.scope ?? '' };
}

export function decodeTrialError(kind: string, message: string, scopeText: string, field: string): TrialErrorInfo {
  const scope = parseWorkloadScope(scopeText);
  if (scope === null) throw new WireDecodeError(field, `"${scopeText.slice(0, 40)}" is not a workload error scope (sweep, config)`);
  const bounded = { kind: boundedString(kind, 'error_kind', WIRE_LIMITS.errorKind), message: clipText(message, WIRE_LIMITS.errorMessage) };
  return scope === undefined ? bounded : { ...bounded, scope };
}

function encodeSweepError(error: SweepError): wire.SweepError {
  return { kind: error.kind, message: error.message, trialId: error.trialId, atMs: error.atMs, scope: error.scope };
}

function decodeSweepError(error: wire.SweepError): SweepError {
  const scope = parseWorkloadScope(error.scope);
  if (scope === null) throw new WireDecodeError('sweep.error.scope', `"${error.scope.slice(0, 40)}" is not a workload error scope (sweep, config)`);
  return { kind: error.kind, message: error.message, trialId: error.trialId, atMs: error.atMs, scope: scope ?? 'sweep' };
}

// ── results ───────────────────────────────────────────────────────────────

const statusToWire: Readonly<Record<TrialOutcome['status'], wire.TrialStatus>> = {
  succeeded: wire.TrialStatus.TRIAL_STATUS_SUCCEEDED,
  failed: wire.TrialStatus.TRIAL_STATUS_FAILED,
  diverged: wire.TrialStatus.TRIAL_STATUS_DIVERGED,
  pruned: wire.TrialStatus.TRIAL_STATUS_PRUNED,
  cancelled: wire.TrialStatus.TRIAL_STATUS_CANCELLED,
};

export function encodeTrialResult(result: TrialResult): wire.TrialResult {
  const { outcome } = result;
  return {
    trialId: result.trialId,
    status: statusToWire[outcome.status],
    history: result.history.map(encodeEpoch),
    lrReductions: [...result.lrReductions],
    objective: result.objective ?? undefined,
    wallSeconds: result.wallSeconds,
    backend: result.backend,
    seed: result.seed,
    divergedAtEpoch: outcome.status === 'diverged' ? outcome.atEpoch : 0,
    errorKind: outcome.status === 'failed' ? outcome.error.kind : '',
    errorMessage: outcome.status === 'failed' ? outcome.error.message : '',
    cancelReason: outcome.status === 'cancelled' ? outcome.reason : '',
    errorScope: outcome.status === 'failed' ? (outcome.error.scope ?? '') : '',
  };
}

function decodeOutcome(result: wire.TrialResult): TrialOutcome {
  switch (result.status) {
    case wire.TrialStatus.TRIAL_STATUS_SUCCEEDED:
      return { status: 'succeeded' };
    case wire.TrialStatus.TRIAL_STATUS_DIVERGED:
      if (result.divergedAtEpoch < 1) throw new WireDecodeError('result.diverged_at_epoch', 'a diverged trial names the epoch (≥ 1)');
      return { status: 'diverged', atEpoch: result.divergedAtEpoch };
    case wire.TrialStatus.TRIAL_STATUS_FAILED:
      if (result.errorKind === '') throw new WireDecodeError('result.error_kind', 'a failed trial says what failed');
      return { status: 'failed', error: decodeTrialError(result.errorKind, result.errorMessage, result.errorScope, 'result.error_scope') };
    case wire.TrialStatus.TRIAL_STATUS_PRUNED:
      // The coordinator stops a trial early and records it itself; a worker never claims it.
      throw new WireDecodeError('result.status', 'a trial is stopped early by the coordinator, never reported as pruned by an agent');
    case wire.TrialStatus.TRIAL_STATUS_CANCELLED:
      return { status: 'cancelled', reason: parseCancelReason(result.cancelReason, 'result.cancel_reason') };
    default:
      throw new WireDecodeError('result.status', `${result.status} is not a trial status`);
  }
}

export function decodeTrialResult(result: wire.TrialResult | undefined): TrialResult {
  if (result === undefined) throw new WireDecodeError('result', 'missing');
  if (!Number.isFinite(result.wallSeconds) || result.wallSeconds < 0) {
    throw new WireDecodeError('result.wall_seconds', `${result.wallSeconds} — a duration is a finite number of seconds ≥ 0`);
  }
  return {
    trialId: decodeId(result.trialId, 'result.trial_id'),
    outcome: decodeOutcome(result),
    history: result.history.map(decodeEpoch),
    lrReductions: [...result.lrReductions],
    objective: result.objective ?? null,
    wallSeconds: result.wallSeconds,
    backend: parseBackendName(result.backend, 'result.backend'),
    seed: result.seed,
  };
}

// ── heartbeat directive ───────────────────────────────────────────────────

export function encodeDirective(directive: HeartbeatDirective): wire.HeartbeatResponse {
  return directive.kind === 'cancel'
    ? { directive: wire.Directive.DIRECTIVE_CANCEL, cancelReason: directive.reason }
    : { directive: wire.Directive.DIRECTIVE_CONTINUE, cancelReason: '' };
}

export function decodeDirective(response: wire.HeartbeatResponse): HeartbeatDirective {
  if (response.directive === wire.Directive.DIRECTIVE_CANCEL) {
    return { kind: 'cancel', reason: parseCancelReason(response.cancelReason, 'heartbeat.cancel_reason') };
  }
  return { kind: 'continue' };
}

// ── sweeps ────────────────────────────────────────────────────────────────

const sweepStateToWire: Readonly<Record<SweepState, wire.SweepState>> = {
  running: wire.SweepState.SWEEP_STATE_RUNNING,
  succeeded: wire.SweepState.SWEEP_STATE_SUCCEEDED,
  failed: wire.SweepState.SWEEP_STATE_FAILED,
  cancelled: wire.SweepState.SWEEP_STATE_CANCELLED,
};

function decodeSweepState(state: wire.SweepState): SweepState {
  switch (state) {
    case wire.SweepState.SWEEP_STATE_RUNNING:
      return 'running';
    case wire.SweepState.SWEEP_STATE_SUCCEEDED:
      return 'succeeded';
    case wire.SweepState.SWEEP_STATE_FAILED:
      return 'failed';
    case wire.SweepState.SWEEP_STATE_CANCELLED:
      return 'cancelled';
    default:
      throw new WireDecodeError('sweep.state', `${state} is not a sweep state`);
  }
}

export function encodeSweepSummary(summary: SweepSummary): wire.SweepSummary {
  return {
    sweepId: summary.sweepId,
    // Clipped: a name stored before names were bounded must not make ListSweeps overflow.
    name: clipText(summary.name, MAX_SWEEP_NAME_LENGTH),
    state: sweepStateToWire[summary.state],
    totalTrials: summary.totalTrials,
    counts: { ...summary.counts },
    bestObjective: summary.best?.objective,
    bestConfigJson: summary.best === null ? '' : JSON.stringify(summary.best.config),
    createdAtMs: summary.createdAtMs,
    finishedAtMs: summary.finishedAtMs ?? undefined,
    error: summary.error === null ? undefined : encodeSweepError(summary.error),
  };
}

export function decodeSweepSummary(summary: wire.SweepSummary | undefined): SweepSummary {
  if (summary === undefined) throw new WireDecodeError('sweep', 'missing');
  const counts: TrialCounts = {
    queued: summary.counts?.queued ?? 0,
    running: summary.counts?.running ?? 0,
    succeeded: summary.counts?.succeeded ?? 0,
    failed: summary.counts?.failed ?? 0,
    diverged: summary.counts?.diverged ?? 0,
    pruned: summary.counts?.pruned ?? 0,
    cancelled: summary.counts?.cancelled ?? 0,
  };
  const best =
    summary.bestObjective === undefined || summary.bestConfigJson === ''
      ? null
      : { objective: summary.bestObjective, config: decodeConfig(summary.bestConfigJson, 'sweep.best_config_json') };
  return {
    sweepId: summary.sweepId,
    name: summary.name,
    state: decodeSweepState(summary.state),
    totalTrials: summary.totalTrials,
    counts,
    best,
    createdAtMs: summary.createdAtMs,
    finishedAtMs: summary.finishedAtMs ?? null,
    error: summary.error === undefined ? null : decodeSweepError(summary.error),
  };
}

export function encodeRunningTrial(trial: RunningTrialProgress): wire.RunningTrial {
  return {
    trialId: trial.trialId,
    agentId: trial.agentId,
    epoch: trial.epoch,
    epochs: trial.epochs,
    valLoss: trial.valLoss ?? undefined,
    lr: trial.lr ?? undefined,
    configJson: JSON.stringify(trial.config),
  };
}

export function decodeRunningTrial(trial: wire.RunningTrial): RunningTrialProgress {
  return {
    trialId: trial.trialId,
    agentId: trial.agentId,
    epoch: trial.epoch,
    epochs: trial.epochs,
    valLoss: trial.valLoss ?? null,
    lr: trial.lr ?? null,
    config: decodeConfig(trial.configJson, 'running.config_json'),
  };
}

function encodeFailedTrial(trial: FailedTrialProgress): wire.FailedTrial {
  return { trialId: trial.trialId, status: trial.status, errorKind: trial.error.kind, errorMessage: trial.error.message };
}

function decodeFailedTrial(trial: wire.FailedTrial): FailedTrialProgress {
  if (trial.status !== 'failed' && trial.status !== 'diverged') throw new WireDecodeError('failures.status', `"${trial.status.slice(0, 40)}" — expected failed or diverged`);
  return { trialId: trial.trialId, status: trial.status, error: { kind: trial.errorKind, message: trial.errorMessage } };
}

export function encodeSweepEvent(progress: SweepProgress): wire.SweepEvent {
  return { sweep: encodeSweepSummary(progress.summary), running: progress.running.map(encodeRunningTrial), failures: progress.failures.map(encodeFailedTrial) };
}

export function decodeSweepEvent(event: wire.SweepEvent): SweepProgress {
  // Bounded whatever the peer sends: a progress event shows the first few failures only.
  return { summary: decodeSweepSummary(event.sweep), running: event.running.map(decodeRunningTrial), failures: event.failures.slice(0, FAILURES_SHOWN).map(decodeFailedTrial) };
}

/** The protocol's package (`plateau.v1`): what `plateau --version --json` reports as the proto. */
export { protobufPackage as protocolPackage } from '../../gen/plateau/v1/coordinator.js';
