// IPC between the agent (parent) and a worker child process. The child is another process:
// every message is decoded once, here, against a schema, and the rest of the code sees only
// these types. Channel serialization is 'advanced' (structured clone), so NaN and ±Infinity
// in a diverged epoch survive the trip.
import { z } from 'zod';
import type { ResolvedFiles } from '../src/artifacts/file-resolver.js';
import type { LogLevel } from '../src/log/logger.js';
import { trialSpecSchema } from '../src/rpc/trial-spec-schema.js';
import type { BackendRequest } from '../src/train/backend-request.js';
import type { SkippedBackend } from '../src/train/backend.js';
import type { BundlePart, BundlePartMember, EngineState } from '../src/train/fused/bundle-part.js';
import type { PlateauSchedulerState } from '../src/plateau/scheduler.js';
import type { BackendName, CancelReason, EpochRecord, TrialErrorInfo, TrialOutcome, TrialResult, TrialSpec } from '../src/trial/types.js';
import { CANCEL_REASONS } from '../src/trial/types.js';

export type { BackendRequest, SkippedBackend };
// The environment a worker reads lives in worker-env.ts (no zod there); re-exported for the parent's side.
export { parseBackendRequest, WORKER_BACKEND_ENV, WORKER_CHECKPOINT_DIR_ENV, WORKER_CHECKPOINT_EVERY_ENV, WORKER_FUSE_MEMORY_MB_ENV } from './worker-env.js';

/** Messages the agent sends to a worker. */
export type ParentToWorker =
  /** `files`: where each file the trial names lies on this machine (by fileRefKey), as the agent resolved it. */
  | { readonly type: 'run'; readonly trial: TrialSpec; readonly files: ResolvedFiles }
  /**
   * Trains the trials together as one fused bundle (runFusedTrials): every member's epoch
   * records (in `epochs` messages), then one `result` per member, in bundle order. A cancel naming any member cancels the
   * whole bundle; `stop-members` stops some alone.
   */
  | { readonly type: 'run-bundle'; readonly trials: readonly TrialSpec[]; readonly files: ResolvedFiles }
  /** Trains on a part another worker's bundle handed off (resumeFusedTrials), like run-bundle. */
  | { readonly type: 'run-part'; readonly part: BundlePart; readonly files: ResolvedFiles }
  /**
   * Another slot is idle: hand off part of the running bundle before the next batch where it can
   * be split. Answered exactly once, by `handoff` or `no-handoff` with the same requestId.
   */
  | { readonly type: 'split'; readonly requestId: number }
  /** The split is no longer wanted; answered by `no-handoff` unless the `handoff` was already sent. */
  | { readonly type: 'split-withdrawn'; readonly requestId: number }
  /**
   * Stops these members of the running bundle (or part) alone, with the reason (an early stop:
   * pruned), while the others train on bit for bit: each ends cancelled with the epochs it has
   * finished, before the next batch, and stops costing work (fused-runner's `stopped`). Names
   * not training in the worker's run (a stop that crossed a handoff or a result) are ignored.
   */
  | { readonly type: 'stop-members'; readonly trialIds: readonly string[]; readonly reason: CancelReason }
  /** Names its trial, so a cancel that crosses the trial's result cannot hit the next one. */
  | { readonly type: 'cancel'; readonly trialId: string; readonly reason: CancelReason }
  | { readonly type: 'shutdown' };

/** One finished epoch of one trial. */
export interface TrialEpoch {
  readonly trialId: string;
  readonly record: EpochRecord;
}

/** Messages a worker sends to the agent. */
export type WorkerToParent =
  | { readonly type: 'ready'; readonly backend: BackendName; readonly skipped: readonly SkippedBackend[] }
  /**
   * Epochs finished in the same turn of the worker's event loop (a fused bundle ends an epoch for
   * every member at once), at least one, in the order they finished: one message for all of them
   * costs one serialization and one decode instead of one each. Every epoch of a trial arrives
   * before any message the worker sent after it (its result, the handoff that moves it).
   */
  | { readonly type: 'epochs'; readonly records: readonly TrialEpoch[] }
  | { readonly type: 'result'; readonly result: TrialResult }
  /** The part of the running bundle it gave away: those trials' epochs and results will come from elsewhere. */
  | { readonly type: 'handoff'; readonly requestId: number; readonly part: BundlePart }
  /** The split request gets no part (withdrawn, nothing to split before the bundle ended, or no bundle). */
  | { readonly type: 'no-handoff'; readonly requestId: number }
  /** The worker cannot go on (no backend loads, a message it cannot read…) and exits. */
  | { readonly type: 'fatal'; readonly trialId: string | null; readonly error: TrialErrorInfo }
  /** A log line from the worker, re-emitted by the agent's logger (one log stream per agent). */
  | { readonly type: 'log'; readonly level: LogLevel; readonly event: string; readonly fields: Readonly<Record<string, unknown>> };

export type Decoded<T> = { readonly ok: true; readonly message: T } | { readonly ok: false; readonly problem: string };

// The trial spec is checked by the same schema as on the wire (src/rpc/trial-spec-schema.ts).
// Metric values may be NaN or ±Infinity (divergence), which z.number() refuses.
const finite = z.number();
const metricValue = z.custom<number>((value) => typeof value === 'number', { message: 'expected a number' });
const count = z.number().int().nonnegative();

const backendName = z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']) satisfies z.ZodType<BackendName>;
const cancelReason = z.enum(CANCEL_REASONS) satisfies z.ZodType<CancelReason>;

const epochRecord: z.ZodType<EpochRecord> = z
  .object({ epoch: count, loss: metricValue, val_loss: metricValue, lr: metricValue })
  .catchall(metricValue);

const trialEpoch: z.ZodType<TrialEpoch> = z.object({ trialId: z.string(), record: epochRecord });

const errorInfo: z.ZodType<TrialErrorInfo> = z.object({ kind: z.string(), message: z.string(), scope: z.enum(['sweep', 'config']).optional() });

const trialOutcome: z.ZodType<TrialOutcome> = z.discriminatedUnion('status', [
  z.object({ status: z.literal('succeeded') }),
  z.object({ status: z.literal('diverged'), atEpoch: count }),
  z.object({ status: z.literal('failed'), error: errorInfo }),
  z.object({ status: z.literal('cancelled'), reason: cancelReason }),
]);

const trialResult: z.ZodType<TrialResult> = z.object({
  trialId: z.string(),
  outcome: trialOutcome,
  history: z.array(epochRecord),
  lrReductions: z.array(count),
  objective: metricValue.nullable(),
  wallSeconds: finite,
  backend: backendName,
  seed: finite,
});

const requestId = z.number().int().nonnegative();
/** A stop names members of one bundle: no more than a bundle could hold, each id no longer than a spec's may sensibly be. */
export const MAX_STOPPED_MEMBERS = 4_096;
const stoppedIds = z
  .array(z.string().min(1).max(1_024))
  .min(1)
  .max(MAX_STOPPED_MEMBERS)
  .refine((ids) => new Set(ids).size === ids.length, { message: 'a trial id appears twice' });
/** A workload names a few files (a model's shards a few more): bounded like the spec's own lists. */
const resolvedFiles = z.record(z.string().max(8_192), z.string().min(1).max(8_192)).refine((files) => Object.keys(files).length <= 2_048, { message: 'at most 2,048 files' });
const float32Array = z.instanceof(Float32Array);

const schedulerState: z.ZodType<PlateauSchedulerState> = z.object({ best: metricValue, wait: count, cooldownCounter: count });

const engineState: z.ZodType<EngineState> = z
  .object({
    kind: z.literal('kernel'),
    count: z.number().int().positive(),
    floatsPerMember: z.number().int().positive(),
    blocks: float32Array,
    rates: float32Array,
    accBeta1: metricValue,
    accBeta2: metricValue,
    // Batch losses may be NaN or infinite: a member that diverged mid-epoch ends at the epoch's end.
    epochLosses: float32Array,
    epochAccuracies: float32Array.optional(),
    epochBatchSizes: z.array(z.number().int().positive()),
  })
  .refine((state) => state.rates.length === state.count, { message: 'one rate per physical member' })
  .refine((state) => state.epochLosses.length === state.epochBatchSizes.length * state.count, { message: 'epochLosses: one loss per physical member for each batch of epochBatchSizes' })
  .refine((state) => state.epochAccuracies === undefined || state.epochAccuracies.length === state.epochLosses.length, { message: 'epochAccuracies: one accuracy per batch loss' })
  .refine((state) => state.count > 0 && state.blocks.length % (state.count * state.floatsPerMember) === 0, {
    message: 'blocks: whole member blocks for every physical member',
  });

const bundlePartMember: z.ZodType<BundlePartMember> = z.object({
  spec: trialSpecSchema,
  slot: count,
  lr: metricValue,
  history: z.array(epochRecord),
  lrReductions: z.array(count),
  scheduler: schedulerState,
});

const bundlePart: z.ZodType<BundlePart> = z
  .object({ epochsDone: count, batchesDone: count, elapsedSeconds: finite, members: z.array(bundlePartMember).min(1), engine: engineState })
  .refine((part) => part.batchesDone === part.engine.epochBatchSizes.length, { message: 'batchesDone: the engine holds the losses of every batch done' })
  .refine((part) => part.members.every((member) => member.slot < part.engine.count), { message: 'a member trains in a physical member the part does not hold' })
  .refine((part) => new Set(part.members.map((member) => member.spec.id)).size === part.members.length, { message: 'a trial id appears twice in the part' });

const parentToWorker: z.ZodType<ParentToWorker> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run'), trial: trialSpecSchema, files: resolvedFiles }),
  z.object({
    type: z.literal('run-bundle'),
    trials: z
      .array(trialSpecSchema)
      .min(1)
      .refine((trials) => new Set(trials.map((trial) => trial.id)).size === trials.length, { message: 'a trial id appears twice in the bundle' }),
    files: resolvedFiles,
  }),
  z.object({ type: z.literal('run-part'), part: bundlePart, files: resolvedFiles }),
  z.object({ type: z.literal('split'), requestId }),
  z.object({ type: z.literal('split-withdrawn'), requestId }),
  z.object({ type: z.literal('stop-members'), trialIds: stoppedIds, reason: cancelReason }),
  z.object({ type: z.literal('cancel'), trialId: z.string(), reason: cancelReason }),
  z.object({ type: z.literal('shutdown') }),
]);

const workerToParent: z.ZodType<WorkerToParent> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), backend: backendName, skipped: z.array(z.object({ backend: backendName, reason: z.string() })) }),
  z.object({ type: z.literal('epochs'), records: z.array(trialEpoch).min(1) }),
  z.object({ type: z.literal('result'), result: trialResult }),
  z.object({ type: z.literal('handoff'), requestId, part: bundlePart }),
  z.object({ type: z.literal('no-handoff'), requestId }),
  z.object({ type: z.literal('fatal'), trialId: z.string().nullable(), error: errorInfo }),
  z.object({
    type: z.literal('log'),
    level: z.enum(['debug', 'info', 'warn', 'error']),
    event: z.string(),
    fields: z.record(z.string(), z.unknown()),
  }),
]);

function decodeWith<T>(schema: z.ZodType<T>, value: unknown): Decoded<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(message)';
  return { ok: false, problem: `${where}: ${issue?.message ?? 'invalid message'}` };
}

/** Decodes what the worker received from the agent. */
export function decodeParentMessage(value: unknown): Decoded<ParentToWorker> {
  return decodeWith(parentToWorker, value);
}

/** Decodes what the agent received from a worker. */
export function decodeWorkerMessage(value: unknown): Decoded<WorkerToParent> {
  return decodeWith(workerToParent, value);
}

const cancelReasons: readonly CancelReason[] = CANCEL_REASONS;

/** An AbortSignal's reason as a CancelReason; anything else (e.g. a bare abort()) is 'interrupted'. */
export function toCancelReason(reason: unknown): CancelReason {
  return cancelReasons.find((known) => known === reason) ?? 'interrupted';
}
