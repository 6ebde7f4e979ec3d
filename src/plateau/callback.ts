// The thin tfjs shell around PlateauScheduler: a tfjs-layers Callback that reads the rate the
// optimizer holds, runs the scheduler at each epoch end, and applies a reduction so that the
// optimizer's next step really uses it. Mirrors keras/src/callbacks/reduce_lr_on_plateau.py.
import type { Scalar } from '@tensorflow/tfjs-core';
import { Callback } from '@tensorflow/tfjs-layers';
import { assertMonitorLogged } from './monitor.js';
import { applyLearningRate, readLearningRate } from './optimizer-learning-rate.js';
import { pythonFloatRepr } from './python-float-repr.js';
import { PlateauScheduler, type LrReduction, type PlateauLogs } from './scheduler.js';
import type { PlateauSchedulerOptions } from './scheduler-options.js';

export interface ReduceLROnPlateauOptions extends PlateauSchedulerOptions {
  /** 0 (default, as Keras): quiet; 1: one line per reduction, in Keras's words. */
  readonly verbose?: 0 | 1;
  /** Where verbose lines go; defaults to stdout, where Keras prints them. */
  readonly log?: (line: string) => void;
  /**
   * true (default, as Keras `on_train_begin`): every fit() starts a fresh schedule.
   * false: the schedule carries over between fit() calls, for a runner that calls fit() once
   * per epoch (pass `initialEpoch` so epochs keep counting).
   */
  readonly resetOnTrainBegin?: boolean;
}

/** Epoch logs as tfjs-layers hands them to callbacks: numbers, or scalars not yet read back. */
type EpochLogs = Record<string, number | Scalar>;

/** Keras's message (line 141-143), with epoch + 1 and Python's repr of the float64 new rate. */
export function reductionLogLine(reduction: LrReduction): string {
  return `Epoch ${reduction.epoch + 1}: ReduceLROnPlateau reducing learning rate to ${pythonFloatRepr(reduction.newLr)}.`;
}

function writeToStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

export class ReduceLROnPlateauCallback extends Callback {
  readonly scheduler: PlateauScheduler;
  private readonly verbose: 0 | 1;
  private readonly log: (line: string) => void;
  private readonly resetOnTrainBegin: boolean;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    super();
    const { verbose, log, resetOnTrainBegin, ...schedulerOptions } = options;
    this.scheduler = new PlateauScheduler(schedulerOptions);
    this.verbose = verbose ?? 0;
    this.log = log ?? writeToStdout;
    this.resetOnTrainBegin = resetOnTrainBegin ?? true;
  }

  /** Every reduction of the current schedule, oldest first. */
  get reductions(): readonly LrReduction[] {
    return this.scheduler.reductions;
  }

  /** The 0-based epochs at whose end the learning rate was reduced. */
  get reductionEpochs(): readonly number[] {
    return this.scheduler.reductions.map((reduction) => reduction.epoch);
  }

  /**
   * Refuses, before any epoch runs, a monitor the model will never log (UnknownMonitorError with a
   * suggestion) and an optimizer whose rate cannot be set (UnsupportedOptimizerError).
   */
  override async onTrainBegin(): Promise<void> {
    assertMonitorLogged(this.scheduler.options.monitor, this.loggedMetricNames());
    readLearningRate(this.model.optimizer);
    if (this.resetOnTrainBegin) this.scheduler.reset();
  }

  override async onEpochEnd(epoch: number, logs?: EpochLogs): Promise<void> {
    const epochLogs = logs ?? {};
    const values = await resolveScalars(epochLogs);
    const optimizer = this.model.optimizer;
    // Lines 107-109: the rate used during this epoch goes into the logs (Keras 3 calls it
    // `learning_rate`, tf-keras 2.x `lr`; our history records `lr`), as the float32 it is.
    const currentLr = Math.fround(readLearningRate(optimizer));
    epochLogs['lr'] = currentLr;
    const step = this.scheduler.step(epoch, values, currentLr);
    if (!step.reduced) return;
    applyLearningRate(optimizer, step.lr);
    if (this.verbose > 0) this.log(reductionLogLine(step.reduction));
  }

  /** The keys fit() will put in epoch logs: `params.metrics` (with val_ names when validating). */
  private loggedMetricNames(): readonly string[] {
    const fromParams: unknown = this.params?.['metrics'];
    if (Array.isArray(fromParams) && fromParams.every((name): name is string => typeof name === 'string')) {
      return fromParams;
    }
    const names = this.model.metricsNames;
    return this.params?.['doValidation'] === true ? [...names, ...names.map((name) => `val_${name}`)] : names;
  }
}

/**
 * Reads scalar tensors in the logs back as numbers, in place, and disposes them — what
 * tfjs-layers' own EarlyStopping does (resolveScalarsInLogs), so later callbacks see numbers.
 */
async function resolveScalars(logs: EpochLogs): Promise<PlateauLogs> {
  const values: Record<string, number> = {};
  for (const [key, value] of Object.entries(logs)) {
    if (typeof value === 'number') {
      values[key] = value;
      continue;
    }
    const [first] = await value.data();
    const number = Number(first);
    logs[key] = number;
    values[key] = number;
    value.dispose();
  }
  return values;
}

/** The factory, like tfjs's `tf.callbacks.earlyStopping`. */
export function reduceLROnPlateau(options: ReduceLROnPlateauOptions = {}): ReduceLROnPlateauCallback {
  return new ReduceLROnPlateauCallback(options);
}
