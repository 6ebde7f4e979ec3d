// The runner's own tfjs callback, placed after the plateau callback: records each finished
// epoch (with the LR used during it), stops on a NaN/Inf loss or an aborted signal, and yields
// to the event loop between batches so an abort, a heartbeat or a timer can run mid-epoch.
import type { Optimizer, Scalar } from '@tensorflow/tfjs-core';
import { Callback } from '@tensorflow/tfjs-layers';
import type { Logger } from '../log/logger.js';
import { reductionLogLine, type ReduceLROnPlateauCallback } from '../plateau/callback.js';
import { readLearningRate } from '../plateau/optimizer-learning-rate.js';
import type { CancelReason, EpochRecord } from '../trial/types.js';
import { CANCEL_REASONS } from '../trial/types.js';

/** Logged (info) for every LR reduction, with the Keras-style line in `line`. */
export const LR_REDUCED_EVENT = 'lr.reduced';

/** Why training stopped early; absent while it runs or when it ran every epoch. */
export type EarlyStop =
  | { readonly kind: 'diverged'; readonly atEpoch: number }
  | { readonly kind: 'cancelled'; readonly reason: CancelReason };

type Logs = Record<string, number | Scalar>;

/** The signal's reason when it is one of ours; an abort without one (or a foreign one) is 'interrupted'. */
export function cancelReason(signal: AbortSignal): CancelReason {
  const reason: unknown = signal.reason;
  return CANCEL_REASONS.find((known) => known === reason) ?? 'interrupted';
}

async function valueOf(value: number | Scalar | undefined): Promise<number | undefined> {
  if (value === undefined || typeof value === 'number') return value;
  const [first] = await value.data();
  return Number(first);
}

/** Reads scalar logs back as numbers in place (as the plateau callback does), so History sees numbers. */
async function resolveInPlace(logs: Logs): Promise<Record<string, number>> {
  const values: Record<string, number> = {};
  for (const [key, value] of Object.entries(logs)) {
    const number = (await valueOf(value)) ?? Number.NaN;
    if (typeof value !== 'number') {
      logs[key] = number;
      value.dispose();
    }
    values[key] = number;
  }
  return values;
}

const FIXED_FIELDS = new Set(['epoch', 'loss', 'val_loss', 'lr']);

/** One epoch's record: the fixed fields first, then any other logged metric (acc, val_acc…). */
export function epochRecord(epoch: number, logs: Readonly<Record<string, number>>, lr: number): EpochRecord {
  const extras = Object.fromEntries(
    Object.entries(logs)
      .filter(([key]) => !FIXED_FIELDS.has(key))
      // Training metrics before validation ones (acc, val_acc), whatever order tfjs logged them in.
      .sort(([a], [b]) => Number(a.startsWith('val_')) - Number(b.startsWith('val_'))),
  );
  return { epoch, loss: logs['loss'] ?? Number.NaN, val_loss: logs['val_loss'] ?? Number.NaN, lr, ...extras };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface TrialProgressOptions {
  readonly optimizer: Optimizer;
  readonly plateau: ReduceLROnPlateauCallback;
  readonly signal: AbortSignal | undefined;
  readonly onEpoch: ((record: EpochRecord) => void) | undefined;
  readonly logger: Logger;
}

export class TrialProgressCallback extends Callback {
  readonly history: EpochRecord[] = [];
  /** 1-based epochs at whose end the learning rate was reduced. */
  readonly lrReductions: number[] = [];
  private stopped: EarlyStop | undefined;
  private epochLr = Number.NaN;

  constructor(private readonly options: TrialProgressOptions) {
    super();
  }

  get earlyStop(): EarlyStop | undefined {
    return this.stopped;
  }

  override async onEpochBegin(): Promise<void> {
    // The rate this epoch trains at: the initial one, or the last reduction's.
    this.epochLr = Math.fround(readLearningRate(this.options.optimizer));
    // Not in onTrainBegin: fitDataset clears stopTraining right after calling it.
    this.requestStopIfAborted();
  }

  override async onBatchEnd(_batch: number, logs?: Logs): Promise<void> {
    if (this.requestStopIfAborted()) return;
    const loss = await valueOf(logs?.['loss']);
    // A NaN/Inf batch loss poisons the epoch: stop now; onEpochEnd records the epoch as diverged.
    if (loss !== undefined && !Number.isFinite(loss)) this.model.stopTraining = true;
    await yieldToEventLoop();
  }

  override async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    // An epoch cut short by an abort is not a result: the history keeps finished epochs only.
    if (this.stopped?.kind === 'cancelled') {
      this.requestStopIfAborted();
      return;
    }
    const values = await resolveInPlace(logs ?? {});
    const record = epochRecord(epoch + 1, values, this.epochLr);
    this.history.push(record);
    this.options.onEpoch?.(record);
    // After the epoch is reported, as Keras prints the reduction after the epoch's progress line.
    const step = this.options.plateau.scheduler.lastStep;
    if (step?.reduced === true) {
      this.lrReductions.push(epoch + 1);
      this.options.logger.info(LR_REDUCED_EVENT, {
        epoch: epoch + 1,
        lr: step.reduction.newLr,
        line: reductionLogLine(step.reduction),
      });
    }
    if (!Number.isFinite(record.loss) || !Number.isFinite(record.val_loss)) {
      this.stopped = { kind: 'diverged', atEpoch: epoch + 1 };
      this.model.stopTraining = true;
      return;
    }
    this.requestStopIfAborted();
  }

  /**
   * Once the signal has fired (or training diverged), asks tfjs to stop at the next batch or
   * epoch boundary, again at every hook: the request must survive tfjs resetting the flag.
   */
  private requestStopIfAborted(): boolean {
    const signal = this.options.signal;
    if (this.stopped === undefined && signal?.aborted === true) this.stopped = { kind: 'cancelled', reason: cancelReason(signal) };
    if (this.stopped === undefined) return false;
    this.model.stopTraining = true;
    return true;
  }
}
