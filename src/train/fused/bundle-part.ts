// A part of a running fused bundle, handed from one worker to another at a batch boundary so an
// idle slot can take over trials whose schedules have parted (work stealing). Plain data that
// survives the agent's IPC (structured clone: typed arrays, NaN and ±Infinity travel as they
// are): the receiving worker resumes exactly where the giving one stopped, bit for bit.
import type { PlateauSchedulerState } from '../../plateau/scheduler.js';
import type { EpochRecord, TrialSpec } from '../../trial/types.js';

/** One logical member (trial) of the part. */
export interface BundlePartMember {
  readonly spec: TrialSpec;
  /** The physical member of `engine` this trial trains in (several trials may share one). */
  readonly slot: number;
  /** The float32 learning rate of its next epoch. */
  readonly lr: number;
  /** Its finished epochs so far, as already streamed by the giving worker. */
  readonly history: readonly EpochRecord[];
  /** 1-based epochs at whose end its rate was reduced. */
  readonly lrReductions: readonly number[];
  readonly scheduler: PlateauSchedulerState;
}

/** The wasm kernels' state of the part's physical members (KernelBundle). */
export interface KernelEngineState {
  readonly kind: 'kernel';
  /** Physical members in the part. */
  readonly count: number;
  /** Floats of one member block (weights, or one optimizer slot). */
  readonly floatsPerMember: number;
  /**
   * For each physical member in order: its weights block, then each optimizer slot's block
   * (`count · (1 + slots) · floatsPerMember` floats; the slots per optimizer: bundle-memory.ts OPTIMIZER_SLOTS).
   */
  readonly blocks: Float32Array;
  /** Physical member m's float32 learning rate for the part's next batch. */
  readonly rates: Float32Array;
  /**
   * The unfinished epoch's batch losses so far (empty at an epoch boundary): physical member m's
   * mean loss on batch b at `epochLosses[b · count + m]`, one batch per entry of `epochBatchSizes`.
   * The epoch's logged loss is taken over all its batches, wherever each was trained.
   */
  readonly epochLosses: Float32Array;
  /** Where the workload logs acc: the unfinished epoch's batch accuracies, in `epochLosses`' layout. */
  readonly epochAccuracies?: Float32Array;
  /** Rows of each batch in `epochLosses`. */
  readonly epochBatchSizes: readonly number[];
  /** Optimizer step state every member shares (β powers: all members took the same steps). */
  readonly accBeta1: number;
  readonly accBeta2: number;
}

export type EngineState = KernelEngineState;

/**
 * A running bundle's offer to give part of itself away (runFusedTrials / resumeFusedTrials
 * option `handoff`). Before each batch where a split is possible (the engine exports its state,
 * the bundle holds ≥ 2 physical members, ≥ MIN_EPOCHS_LEFT_TO_HAND_OFF epochs' batches remain) the
 * runner asks `wanted()`, so it must be cheap; on true it hands one part to `take()`,
 * synchronously, and trains on without those members. The caller answers false after a take()
 * until it wants another part.
 */
export interface BundleHandoff {
  wanted(): boolean;
  /** Receives the part: plain data, independent of the giving bundle (nothing in it is shared or reused). */
  take(part: BundlePart): void;
}

export interface BundlePart {
  /** Epochs every member of the part has finished; it trains on in this (0-based) epoch. */
  readonly epochsDone: number;
  /** Batches of epoch `epochsDone` already trained (0 at an epoch boundary): it trains on from the next one. */
  readonly batchesDone: number;
  /** Seconds the giving worker had trained these members: each result's wallSeconds counts on from it. */
  readonly elapsedSeconds: number;
  readonly members: readonly BundlePartMember[];
  readonly engine: EngineState;
}
