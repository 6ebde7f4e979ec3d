// Keras ReduceLROnPlateau as a pure state machine: no tfjs, no I/O. Line references are to
// keras/src/callbacks/reduce_lr_on_plateau.py (keras-team/keras, Keras 3); tf-keras 2.x has the
// same `on_epoch_end` body. The learning rate is treated as Keras stores it: a float32 variable
// (base_optimizer.py creates it with dtype=floatx(), float32 by default).
import { InvalidLearningRateError, InvalidPlateauStateError } from './errors.js';
import {
  resolvePlateauOptions,
  type PlateauSchedulerOptions,
  type ResolvedPlateauOptions,
} from './scheduler-options.js';

/** The counters Keras keeps between epochs; enough to resume a schedule from a checkpoint. */
export interface PlateauSchedulerState {
  /** Best monitored value so far; ±Infinity before the first one (JSON turns that into null). */
  readonly best: number;
  /** Epochs without improvement since the last improvement, reduction or cooldown epoch. */
  readonly wait: number;
  /** Epochs of cooldown left. */
  readonly cooldownCounter: number;
}

export interface LrReduction {
  /** 0-based epoch at whose end the learning rate was reduced (Keras prints epoch + 1). */
  readonly epoch: number;
  /** The float32 learning rate the optimizer held during that epoch. */
  readonly oldLr: number;
  /** max(oldLr × factor, minLr) in float64: what Keras computes and prints. */
  readonly newLr: number;
  /** newLr rounded to float32: what the optimizer holds from the next epoch on. */
  readonly appliedLr: number;
}

/** The outcome of one epoch end: the learning rate for the next epoch, and the reduction if one happened. */
export type PlateauStep =
  | { readonly reduced: false; readonly lr: number }
  | { readonly reduced: true; readonly lr: number; readonly reduction: LrReduction };

/** Epoch logs as the scheduler reads them: metric name → value (absent or undefined: not logged). */
export type PlateauLogs = Readonly<Record<string, number | undefined>>;

export class PlateauScheduler {
  readonly options: ResolvedPlateauOptions;
  private best = Number.POSITIVE_INFINITY;
  private wait = 0;
  private cooldownCounter = 0;
  private readonly reductionLog: LrReduction[] = [];
  private last: PlateauStep | undefined;

  constructor(options: PlateauSchedulerOptions = {}) {
    this.options = resolvePlateauOptions(options);
    this.reset();
  }

  /** Keras `_reset` (lines 82-100), called from `on_train_begin`: best to ∓Infinity, counters to 0. */
  reset(): void {
    this.best = this.options.direction === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    this.wait = 0;
    this.cooldownCounter = 0;
    this.reductionLog.length = 0;
    this.last = undefined;
  }

  /** The learning rate for the next epoch (float32-representable), as DESIGN.md shows it. */
  onEpochEnd(epoch: number, logs: PlateauLogs, currentLr: number): number {
    return this.step(epoch, logs, currentLr).lr;
  }

  /**
   * Keras `on_epoch_end` (lines 105-146). `currentLr` is the learning rate used during `epoch`;
   * it is read as the float32 the optimizer holds, and the returned `lr` is float32 too.
   */
  step(epoch: number, logs: PlateauLogs, currentLr: number): PlateauStep {
    if (!Number.isFinite(currentLr) || currentLr < 0) throw new InvalidLearningRateError(currentLr);
    const oldLr = Math.fround(currentLr);
    const current = logs[this.options.monitor];
    // Lines 110-118: a monitor missing from the logs only warns; nothing else changes.
    // (The tfjs callback refuses, before training, a monitor the model never logs.)
    if (typeof current !== 'number') return this.remember({ reduced: false, lr: oldLr });

    // Lines 120-122: a cooldown epoch counts down and clears wait, before the comparison.
    if (this.inCooldown()) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.improves(current)) {
      // Lines 124-126.
      this.best = current;
      this.wait = 0;
    } else if (!this.inCooldown()) {
      // Lines 127-129: checked after the countdown above, so the last cooldown epoch already waits.
      this.wait += 1;
      // Line 135: float32(min_lr), because the variable holds a float32 that may sit just above a
      // min_lr such as 1e-7; comparing with the float64 would "reduce" to min_lr forever.
      if (this.wait >= this.options.patience && oldLr > Math.fround(this.options.minLr)) {
        // Lines 136-138: float64 arithmetic; the optimizer variable then stores float32.
        const newLr = Math.max(oldLr * this.options.factor, this.options.minLr);
        const reduction: LrReduction = { epoch, oldLr, newLr, appliedLr: Math.fround(newLr) };
        // Lines 145-146.
        this.cooldownCounter = this.options.cooldown;
        this.wait = 0;
        this.reductionLog.push(reduction);
        return this.remember({ reduced: true, lr: reduction.appliedLr, reduction });
      }
    }
    return this.remember({ reduced: false, lr: oldLr });
  }

  /** Keras `in_cooldown` (lines 148-149). */
  inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** The last epoch's outcome since reset, or undefined before the first. */
  get lastStep(): PlateauStep | undefined {
    return this.last;
  }

  /** Every reduction since the last reset, oldest first. */
  get reductions(): readonly LrReduction[] {
    return this.reductionLog;
  }

  state(): PlateauSchedulerState {
    return { best: this.best, wait: this.wait, cooldownCounter: this.cooldownCounter };
  }

  /** Resumes from `state()`; the list of reductions is not part of it and starts empty. */
  restore(state: PlateauSchedulerState): void {
    if (typeof state.best !== 'number' || Number.isNaN(state.best)) {
      throw new InvalidPlateauStateError('best', state.best, 'expected a number (±Infinity before any value)');
    }
    for (const field of ['wait', 'cooldownCounter'] as const) {
      const value = state[field];
      if (!Number.isInteger(value) || value < 0) {
        throw new InvalidPlateauStateError(field, value, 'expected a whole number, 0 or more');
      }
    }
    this.best = state.best;
    this.wait = state.wait;
    this.cooldownCounter = state.cooldownCounter;
    this.reductionLog.length = 0;
    this.last = undefined;
  }

  /** Lines 94 and 97: strict comparison against best ∓ minDelta; NaN compares false, so never improves. */
  private improves(current: number): boolean {
    return this.options.direction === 'min'
      ? current < this.best - this.options.minDelta
      : current > this.best + this.options.minDelta;
  }

  private remember(step: PlateauStep): PlateauStep {
    this.last = step;
    return step;
  }
}
