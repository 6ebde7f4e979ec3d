// Test vectors for PlateauScheduler, each derived by hand from the Keras source, not from our code:
// keras-team/keras keras/src/callbacks/reduce_lr_on_plateau.py at commit 040582fc160b…
// ("K" + line numbers below). The body of on_epoch_end, for reference:
//   K110 current = logs.get(self.monitor)
//   K112 if current is None: warn                      (nothing else changes)
//   K120 if self.in_cooldown(): cooldown_counter -= 1; wait = 0
//   K124 if monitor_op(current, best): best = current; wait = 0
//   K127 elif not self.in_cooldown():                  (evaluated after the decrement above)
//   K128   wait += 1
//   K129   if wait >= patience:
//   K130     old_lr = float(optimizer.learning_rate)    (a float32 variable, widened)
//   K135     if old_lr > np.float32(min_lr):
//   K136       new_lr = old_lr * factor                 (float64)
//   K137       new_lr = max(new_lr, min_lr)
//   K138       optimizer.learning_rate = new_lr         (stored as float32)
//   K145       cooldown_counter = cooldown; K146 wait = 0
// K94 min: np.less(a, b - min_delta), best = +inf (K95); K97 max: np.greater(a, b + min_delta),
// best = -inf (K98); K91-92: min iff mode == 'min' or (mode == 'auto' and 'acc' not in monitor).
// LR literals are float32 values written as the float64 Python prints for them; they were derived
// with python3 (struct.pack('f', …) rounding, numpy 2 agrees), independently of our TypeScript.
import { describe, expect, it } from 'vitest';
import { InvalidLearningRateError, InvalidPlateauStateError } from '../../src/plateau/errors.js';
import { PlateauScheduler } from '../../src/plateau/scheduler.js';
import { PlateauOptionsError, type PlateauSchedulerOptions } from '../../src/plateau/scheduler-options.js';

/** Monitor values per epoch; `undefined` means the monitor key is absent from that epoch's logs. */
type Series = readonly (number | undefined)[];

interface Run {
  /** The LR returned at the end of each epoch (the LR for the next one). */
  readonly lrs: number[];
  /** Epochs at whose end a reduction happened. */
  readonly reducedAt: number[];
  readonly scheduler: PlateauScheduler;
}

function run(options: PlateauSchedulerOptions, series: Series, initialLr = 1): Run {
  const scheduler = new PlateauScheduler(options);
  const monitor = scheduler.options.monitor;
  let lr = initialLr;
  const lrs: number[] = [];
  const reducedAt: number[] = [];
  series.forEach((value, epoch) => {
    const logs = value === undefined ? { loss: 0.5 } : { loss: 0.5, [monitor]: value };
    const step = scheduler.step(epoch, logs, lr);
    if (step.reduced) reducedAt.push(epoch);
    lr = step.lr;
    lrs.push(lr);
  });
  return { lrs, reducedAt, scheduler };
}

const flat = (epochs: number, value = 1): number[] => Array.from({ length: epochs }, () => value);

describe('options (K49-K80)', () => {
  it("defaults to Keras's: val_loss, factor 0.1, patience 10, auto, minDelta 1e-4, cooldown 0, minLr 0", () => {
    // K49-K58: monitor="val_loss", factor=0.1, patience=10, mode="auto", min_delta=1e-4, cooldown=0, min_lr=0.0.
    expect(new PlateauScheduler({}).options).toEqual({
      monitor: 'val_loss',
      factor: 0.1,
      patience: 10,
      mode: 'auto',
      minDelta: 1e-4,
      cooldown: 0,
      minLr: 0,
      direction: 'min',
    });
  });

  it('keeps an explicit 0 for patience, cooldown, minDelta and minLr', () => {
    const { options } = new PlateauScheduler({ patience: 0, cooldown: 0, minDelta: 0, minLr: 0 });
    expect([options.patience, options.cooldown, options.minDelta, options.minLr]).toEqual([0, 0, 0, 0]);
  });

  it.each([1, 1.5])('refuses factor %s, as Keras raises for factor >= 1.0', (factor) => {
    // K63-K67: if factor >= 1.0: raise ValueError.
    expect(() => new PlateauScheduler({ factor })).toThrow(PlateauOptionsError);
    try {
      new PlateauScheduler({ factor });
    } catch (error) {
      expect(error).toMatchObject({ option: 'factor', value: factor });
    }
  });

  it.each<[PlateauSchedulerOptions, string]>([
    [{ factor: 0 }, 'factor'],
    [{ factor: -0.5 }, 'factor'],
    [{ factor: Number.NaN }, 'factor'],
    [{ patience: -1 }, 'patience'],
    [{ patience: 2.5 }, 'patience'],
    [{ patience: Number.POSITIVE_INFINITY }, 'patience'],
    [{ cooldown: -1 }, 'cooldown'],
    [{ minLr: -1e-7 }, 'minLr'],
    [{ minLr: Number.POSITIVE_INFINITY }, 'minLr'],
    [{ minDelta: Number.NaN }, 'minDelta'],
    [{ minDelta: -0.1 }, 'minDelta'],
    [{ monitor: '' }, 'monitor'],
  ])('refuses the nonsense option %o, naming %s', (options, option) => {
    expect(() => new PlateauScheduler(options)).toThrow(expect.objectContaining({ option }));
    expect(() => new PlateauScheduler(options)).toThrow(PlateauOptionsError);
  });

  it('refuses an unknown mode, where Keras would warn and fall back to auto', () => {
    // K84-K90 fall back to 'auto'; a typo such as 'maximum' would then silently mean 'min' for val_loss.
    const options = { mode: 'maximum' } as unknown as PlateauSchedulerOptions;
    expect(() => new PlateauScheduler(options)).toThrow(expect.objectContaining({ option: 'mode', value: 'maximum' }));
  });
});

describe('improvement and patience (K124-K129)', () => {
  it('reduces once the monitor has not improved for `patience` epochs', () => {
    // patience 3. e0: 1 < inf → best 1. e1, e2, e3: 1 < 1 - 0 is false → wait 1, 2, 3; 3 >= 3 → reduce.
    const { lrs, reducedAt } = run({ patience: 3, factor: 0.5, minDelta: 0 }, flat(4));
    expect(reducedAt).toEqual([3]);
    expect(lrs).toEqual([1, 1, 1, 0.5]);
  });

  it('keeps reducing every `patience` epochs while the plateau lasts', () => {
    // After a reduction wait = 0 (K146), so the next one comes `patience` epochs later: e3, e6.
    const { lrs, reducedAt } = run({ patience: 3, factor: 0.5, minDelta: 0 }, flat(7));
    expect(reducedAt).toEqual([3, 6]);
    expect(lrs).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
  });

  it('resets wait on an improvement', () => {
    // patience 2. e0 best 1; e1 best 0.9; e2 wait 1; e3 0.8 < 0.9 → best 0.8, wait 0 (K126);
    // e4 wait 1; e5 wait 2 → reduce. Without the reset the reduction would come at e3.
    const { reducedAt, scheduler } = run({ patience: 2, factor: 0.5, minDelta: 0 }, [1, 0.9, 0.9, 0.8, 0.8, 0.8]);
    expect(reducedAt).toEqual([5]);
    expect(scheduler.state()).toEqual({ best: 0.8, wait: 0, cooldownCounter: 0 });
  });

  it('needs an improvement strictly greater than minDelta (min mode)', () => {
    // K94: np.less(0.75, 1.0 - 0.25) is False — equal to best - minDelta is no improvement.
    // All values are exact in binary, so the boundary is exact. patience 1 → reduce at e1.
    // e2: 0.5 < 1.0 - 0.25 → improvement, best 0.5.
    const { reducedAt, scheduler } = run({ patience: 1, factor: 0.5, minDelta: 0.25 }, [1, 0.75, 0.5]);
    expect(reducedAt).toEqual([1]);
    expect(scheduler.state().best).toBe(0.5);
  });

  it('counts a value just past best - minDelta as an improvement', () => {
    // K94: np.less(0.74, 0.75) is True → best 0.74, no reduction.
    const { reducedAt, scheduler } = run({ patience: 1, factor: 0.5, minDelta: 0.25 }, [1, 0.74]);
    expect(reducedAt).toEqual([]);
    expect(scheduler.state().best).toBe(0.74);
  });

  it('treats the default minDelta boundary exactly: 0.9999 after 1.0 is not an improvement', () => {
    // In float64 1.0 - 1e-4 == 0.9999 (Python: True), and np.less(0.9999, 0.9999) is False.
    const { reducedAt } = run({ patience: 1, factor: 0.5 }, [1, 0.9999]);
    expect(reducedAt).toEqual([1]);
  });

  it('with patience 0 reduces at every epoch without improvement, never at an improving one', () => {
    // K128-K129: wait += 1 then 1 >= 0. An improving epoch takes the K124 branch, so never reduces.
    // e0 best 1, e1 best 0.5, e2 reduce, e3 reduce.
    const { lrs, reducedAt } = run({ patience: 0, factor: 0.5, minDelta: 0 }, [1, 0.5, 0.5, 0.5]);
    expect(reducedAt).toEqual([2, 3]);
    expect(lrs).toEqual([1, 1, 0.5, 0.25]);
  });

  it('with patience 1 reduces at every epoch without improvement', () => {
    // e0 best 1; e1 wait 1 >= 1 → reduce, wait 0; e2 wait 1 → reduce.
    const { reducedAt } = run({ patience: 1, factor: 0.5, minDelta: 0 }, flat(3));
    expect(reducedAt).toEqual([1, 2]);
  });
});

describe('cooldown (K120-K122, K127, K145)', () => {
  it('counts the cooldown down at the top of each epoch and reduces on the epoch it reaches 0', () => {
    // patience 1, cooldown 2. e1 reduce → counter 2. e2: counter 1, still in cooldown → nothing.
    // e3: counter 0, and K127 checks in_cooldown() after the decrement → wait 1 → reduce. So e1, e3, e5, e7.
    const { reducedAt, lrs } = run({ patience: 1, cooldown: 2, factor: 0.5, minDelta: 0 }, flat(8));
    expect(reducedAt).toEqual([1, 3, 5, 7]);
    expect(lrs).toEqual([1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.0625]);
  });

  it('has no effect with cooldown 1 and patience 1, since the counter reaches 0 before the check', () => {
    // e1 reduce → counter 1; e2: counter 0 → not in cooldown → wait 1 → reduce.
    const { reducedAt } = run({ patience: 1, cooldown: 1, factor: 0.5, minDelta: 0 }, flat(4));
    expect(reducedAt).toEqual([1, 2, 3]);
  });

  it('holds wait at 0 during cooldown and starts counting on the epoch it ends', () => {
    // patience 2, cooldown 3. e0 best; e1 wait 1; e2 wait 2 → reduce, counter 3.
    // e3: counter 2, wait 0. e4: counter 1, wait 0. e5: counter 0, wait 0 → +1 = 1. e6: wait 2 → reduce.
    const scheduler = new PlateauScheduler({ patience: 2, cooldown: 3, factor: 0.5, minDelta: 0 });
    const states = flat(7).map((value, epoch) => {
      scheduler.step(epoch, { val_loss: value }, 1);
      return scheduler.state();
    });
    expect(states.map((s) => [s.wait, s.cooldownCounter])).toEqual([
      [0, 0],
      [1, 0],
      [0, 3],
      [0, 2],
      [0, 1],
      [1, 0],
      [0, 3],
    ]);
    expect(scheduler.reductions.map((r) => r.epoch)).toEqual([2, 6]);
  });

  it('still records an improvement during cooldown', () => {
    // patience 1, cooldown 3. e1 reduce (counter 3). e2: counter 2; 0.5 < 1 → best 0.5 (K124 runs in cooldown).
    // e3: counter 1. e4: counter 0, 0.5 is not < 0.5 → wait 1 → reduce.
    const { reducedAt, scheduler } = run({ patience: 1, cooldown: 3, factor: 0.5, minDelta: 0 }, [1, 1, 0.5, 0.5, 0.5]);
    expect(reducedAt).toEqual([1, 4]);
    expect(scheduler.state().best).toBe(0.5);
  });
});

describe('minLr (K135-K137)', () => {
  it('clamps the new LR to minLr, then stops reducing while waiting keeps counting', () => {
    // e1: 1 > f32(0.25) → new = max(1 * 0.1, 0.25) = 0.25. e2: 0.25 > 0.25 is False → no reduction;
    // wait (reset to 0 at e1 by K146) is 1, then 2 at e3: only a reduction resets it.
    const { lrs, reducedAt, scheduler } = run({ patience: 1, factor: 0.1, minLr: 0.25, minDelta: 0 }, flat(4));
    expect(reducedAt).toEqual([1]);
    expect(lrs).toEqual([1, 0.25, 0.25, 0.25]);
    expect(scheduler.reductions[0]).toEqual({ epoch: 1, oldLr: 1, newLr: 0.25, appliedLr: 0.25 });
    expect(scheduler.state().wait).toBe(2);
  });

  it('compares with float32(minLr), so a minLr of 1e-7 is reached once and never "reduced to" again', () => {
    // The optimizer holds f32(1e-6) = 9.999999974752427e-07.
    // e1: 9.999999974752427e-07 > f32(1e-7) = 1.0000000116860974e-07 → new = max(9.999999974752427e-08, 1e-07)
    //     = 1e-07 (float64, what Keras prints); stored as f32 → 1.0000000116860974e-07.
    // e2: 1.0000000116860974e-07 > 1.0000000116860974e-07 is False → nothing. (Against the float64 1e-07
    //     it would be True, and Keras would "reduce" to 1e-07 at every epoch.)
    const { lrs, reducedAt, scheduler } = run({ patience: 1, factor: 0.1, minLr: 1e-7, minDelta: 0 }, flat(4), 1e-6);
    expect(reducedAt).toEqual([1]);
    expect(lrs).toEqual([9.999999974752427e-7, 1.0000000116860974e-7, 1.0000000116860974e-7, 1.0000000116860974e-7]);
    expect(scheduler.reductions[0]).toEqual({
      epoch: 1,
      oldLr: 9.999999974752427e-7,
      newLr: 1e-7,
      appliedLr: 1.0000000116860974e-7,
    });
  });

  it('never reduces when minLr equals the current LR', () => {
    // f32(0.01) = 0.009999999776482582 > f32(0.01) is False at every epoch; wait grows 1, 2, 3.
    const { lrs, reducedAt, scheduler } = run({ patience: 1, factor: 0.5, minLr: 0.01, minDelta: 0 }, flat(4), 0.01);
    expect(reducedAt).toEqual([]);
    expect(lrs).toEqual(flat(4, 0.009999999776482582));
    expect(scheduler.state().wait).toBe(3);
  });
});

describe('float32 learning rate (K130, K136-K138)', () => {
  it('rounds each reduction of 0.001 by 0.1 to float32, five times', () => {
    // python3: lr = f32(0.001); repeat: new = lr * 0.1 (float64); lr = f32(new)
    //   f32(0.001)         = 0.0010000000474974513
    //   new 0.00010000000474974513   → f32 0.00010000000474974513
    //   new 1.0000000474974514e-05   → f32 1.0000000656873453e-05
    //   new 1.0000000656873453e-06   → f32 1.0000001111620804e-06
    //   new 1.0000001111620805e-07   → f32 1.000000082740371e-07
    //   new 1.000000082740371e-08    → f32 1.000000082740371e-08
    const { lrs, scheduler } = run({ patience: 1, factor: 0.1, minDelta: 0 }, flat(6), 0.001);
    expect(lrs).toEqual([
      0.0010000000474974513, 0.00010000000474974513, 1.0000000656873453e-5, 1.0000001111620804e-6,
      1.000000082740371e-7, 1.000000082740371e-8,
    ]);
    expect(scheduler.reductions.map((r) => r.newLr)).toEqual([
      0.00010000000474974513, 1.0000000474974514e-5, 1.0000000656873453e-6, 1.0000001111620805e-7,
      1.000000082740371e-8,
    ]);
  });

  it('rounds a non-decimal factor the same way: 0.003 by 0.3, three times', () => {
    // f32(0.003) = 0.003000000026077032; × 0.3 = 0.0009000000078231095 → f32 0.0008999999845400453;
    // × 0.3 = 0.00026999999536201356 → f32 0.0002699999895412475; × 0.3 = 8.099999686237424e-05 → f32 8.099999831756577e-05.
    const { lrs } = run({ patience: 1, factor: 0.3, minDelta: 0 }, flat(4), 0.003);
    expect(lrs).toEqual([0.003000000026077032, 0.0008999999845400453, 0.0002699999895412475, 8.099999831756577e-5]);
  });

  it('returns the float32 the optimizer holds even when nothing changes', () => {
    // K107-K109 log float(optimizer.learning_rate): f32(0.01) = 0.009999999776482582.
    expect(new PlateauScheduler({}).onEpochEnd(0, { val_loss: 1 }, 0.01)).toBe(0.009999999776482582);
  });
});

describe('NaN and missing values (K94, K97, K110-K118)', () => {
  it('never counts NaN as an improvement, so NaN epochs wait and reduce', () => {
    // np.less(nan, x) is False → K127 branch: e1 wait 1, e2 wait 2 → reduce; best stays 1.
    const { reducedAt, scheduler } = run({ patience: 2, factor: 0.5, minDelta: 0 }, [1, Number.NaN, Number.NaN]);
    expect(reducedAt).toEqual([2]);
    expect(scheduler.state().best).toBe(1);
  });

  it('does not take NaN as the first best either, in min or max mode', () => {
    // np.less(nan, inf) and np.greater(nan, -inf) are both False: best stays ±inf, wait 1.
    expect(run({ mode: 'min' }, [Number.NaN]).scheduler.state()).toEqual({
      best: Number.POSITIVE_INFINITY,
      wait: 1,
      cooldownCounter: 0,
    });
    expect(run({ mode: 'max' }, [Number.NaN]).scheduler.state()).toEqual({
      best: Number.NEGATIVE_INFINITY,
      wait: 1,
      cooldownCounter: 0,
    });
  });

  it('changes nothing in an epoch whose logs lack the monitor', () => {
    // K112: current is None → only a warning; wait does not grow. e3: wait 1 → reduce.
    const { reducedAt } = run({ patience: 1, factor: 0.5, minDelta: 0 }, [1, undefined, undefined, 1]);
    expect(reducedAt).toEqual([3]);
  });

  it('does not count down the cooldown in an epoch whose logs lack the monitor', () => {
    // The decrement (K120) is inside the else of K112. e1 reduce (counter 2); e2 missing: counter stays 2;
    // e3 counter 1; e4 counter 0 → wait 1 → reduce.
    const { reducedAt } = run({ patience: 1, cooldown: 2, factor: 0.5, minDelta: 0 }, [1, 1, undefined, 1, 1]);
    expect(reducedAt).toEqual([1, 4]);
  });

  it('treats a monitor key present with the value undefined as missing', () => {
    const scheduler = new PlateauScheduler({ patience: 0 });
    scheduler.step(0, { val_loss: undefined, loss: 1 }, 1);
    expect(scheduler.state()).toEqual({ best: Number.POSITIVE_INFINITY, wait: 0, cooldownCounter: 0 });
  });
});

describe('mode (K91-K98)', () => {
  it('in max mode reduces when the monitor stops rising', () => {
    // K97: np.greater(a, b + min_delta). e0 best 0.5, e1 best 0.6, e2 wait 1, e3 wait 2 → reduce.
    const { reducedAt } = run({ mode: 'max', patience: 2, factor: 0.5, minDelta: 0 }, [0.5, 0.6, 0.6, 0.6]);
    expect(reducedAt).toEqual([3]);
  });

  it('in max mode needs a rise strictly greater than minDelta', () => {
    // np.greater(0.75, 0.5 + 0.25) is False → wait 1 → reduce (patience 1).
    const { reducedAt } = run({ mode: 'max', patience: 1, factor: 0.5, minDelta: 0.25 }, [0.5, 0.75]);
    expect(reducedAt).toEqual([1]);
  });

  it.each(['acc', 'val_acc', 'val_accuracy', 'categorical_accuracy'])("in auto mode maximizes '%s'", (monitor) => {
    // K92: 'acc' in monitor → the max branch.
    expect(new PlateauScheduler({ monitor }).options.direction).toBe('max');
  });

  it.each(['val_loss', 'loss', 'val_mse', 'val_ACC'])("in auto mode minimizes '%s'", (monitor) => {
    // K92: Python's `in` is a case-sensitive substring test, so 'val_ACC' minimizes.
    expect(new PlateauScheduler({ monitor }).options.direction).toBe('min');
  });

  it('in auto mode with val_acc does not reduce while accuracy rises, and reduces when it falls', () => {
    const { reducedAt } = run({ monitor: 'val_acc', patience: 1, factor: 0.5, minDelta: 0 }, [0.5, 0.6, 0.7, 0.65]);
    expect(reducedAt).toEqual([3]);
  });

  it("an explicit mode wins over the name: 'min' on val_acc minimizes", () => {
    expect(new PlateauScheduler({ monitor: 'val_acc', mode: 'min' }).options.direction).toBe('min');
  });
});

describe('reset, state and restore', () => {
  it('reset starts a fresh schedule, as on_train_begin calls _reset (K102-K103)', () => {
    const { scheduler } = run({ patience: 1, cooldown: 3, factor: 0.5, minDelta: 0 }, flat(3));
    scheduler.reset();
    expect(scheduler.state()).toEqual({ best: Number.POSITIVE_INFINITY, wait: 0, cooldownCounter: 0 });
    expect(scheduler.reductions).toEqual([]);
    expect(scheduler.lastStep).toBeUndefined();
  });

  it('reset in max mode starts best at -Infinity (K98)', () => {
    const scheduler = new PlateauScheduler({ mode: 'max' });
    expect(scheduler.state().best).toBe(Number.NEGATIVE_INFINITY);
  });

  it('resumes from a saved state exactly as if it had never stopped', () => {
    const options = { patience: 2, cooldown: 2, factor: 0.5, minDelta: 0 };
    const series = [1, 0.9, 0.9, 0.9, 0.95, 0.9, 0.9, 0.8, 0.8, 0.8];
    const whole = run(options, series);

    const first = run(options, series.slice(0, 5));
    const resumed = new PlateauScheduler(options);
    resumed.restore(first.scheduler.state());
    let lr = first.lrs.at(-1) ?? 1;
    const rest: number[] = [];
    series.slice(5).forEach((value, i) => {
      lr = resumed.onEpochEnd(5 + i, { val_loss: value }, lr);
      rest.push(lr);
    });
    expect([...first.lrs, ...rest]).toEqual(whole.lrs);
  });

  it('refuses a state that no scheduler could have produced', () => {
    const scheduler = new PlateauScheduler({});
    expect(() => scheduler.restore({ best: Number.NaN, wait: 0, cooldownCounter: 0 })).toThrow(InvalidPlateauStateError);
    expect(() => scheduler.restore({ best: 1, wait: -1, cooldownCounter: 0 })).toThrow(
      expect.objectContaining({ field: 'wait' }),
    );
    expect(() => scheduler.restore({ best: 1, wait: 0, cooldownCounter: 0.5 })).toThrow(
      expect.objectContaining({ field: 'cooldownCounter' }),
    );
  });
});

describe('the step result', () => {
  it('says which epoch reduced, from what, to what', () => {
    const scheduler = new PlateauScheduler({ patience: 0, factor: 0.5, minDelta: 0 });
    expect(scheduler.step(0, { val_loss: 1 }, 1)).toEqual({ reduced: false, lr: 1 });
    const step = scheduler.step(1, { val_loss: 1 }, 1);
    expect(step).toEqual({ reduced: true, lr: 0.5, reduction: { epoch: 1, oldLr: 1, newLr: 0.5, appliedLr: 0.5 } });
    expect(scheduler.lastStep).toEqual(step);
  });

  it('refuses a current learning rate that is not a finite number, 0 or more', () => {
    const scheduler = new PlateauScheduler({});
    for (const lr of [Number.NaN, Number.POSITIVE_INFINITY, -0.1]) {
      expect(() => scheduler.onEpochEnd(0, { val_loss: 1 }, lr)).toThrow(InvalidLearningRateError);
    }
  });
});
