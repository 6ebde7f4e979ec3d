import { describe, expect, it } from 'vitest';
import { AshaRule, rungEpochs } from '../../src/stopping/asha-rule.js';
import { bestSoFar, median, medianWithout } from '../../src/stopping/best-so-far.js';
import { MedianStoppingRule } from '../../src/stopping/median-rule.js';
import type { StopRecord } from '../../src/stopping/stop-types.js';

describe('best so far', () => {
  it('keeps the best finite value after each epoch, a NaN never counting', () => {
    expect(bestSoFar([0.9, Number.NaN, 0.7, 0.8, 0.6], 'minimize')).toEqual([0.9, 0.9, 0.7, 0.7, 0.6]);
    expect(bestSoFar([0.2, 0.5, 0.4], 'maximize')).toEqual([0.2, 0.5, 0.5]);
  });

  it('counts a trial with no finite value yet as the worst possible', () => {
    expect(bestSoFar([Number.NaN], 'minimize')).toEqual([Number.POSITIVE_INFINITY]);
  });

  it('takes the middle value of an odd list and the mean of the middle two of an even one', () => {
    expect(median([0.5, 1.0, 0.7])).toBe(0.7);
    expect(median([0.6, 0.4])).toBe(0.5);
    expect(median([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY])).toBe(Number.POSITIVE_INFINITY);
  });

  it('takes the median of a sorted list with one occurrence of a value left out, as the median of the rest', () => {
    // Fixed pseudo-random lists with repeats and infinities: the fast path against the plain one.
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let length = 2; length < 40; length++) {
      const values = Array.from({ length }, () => (next() < 0.1 ? Number.POSITIVE_INFINITY : Math.round(next() * 10) / 10));
      const sorted = [...values].sort((a, b) => a - b);
      const left = values[Math.floor(next() * length)] ?? 0;
      const rest = [...values];
      rest.splice(rest.indexOf(left), 1);
      expect(medianWithout(sorted, left)).toBe(median(rest));
    }
  });
});

describe('median stopping rule', () => {
  const rule = new MedianStoppingRule({ gracePeriod: 5, minTrials: 3 });
  /** The population the rule reads: the others' values and the trial's own, ascending. */
  const withOwn = (others: readonly number[], own: number): number[] => [...others, own].sort((a, b) => a - b);

  it('stops a trial worse than the median of the others at that epoch, recording value and threshold', () => {
    expect(rule.decide({ epoch: 5, value: 0.9, population: withOwn([0.5, 0.7, 1.0], 0.9), goal: 'minimize' })).toEqual({ epoch: 5, rule: 'median', value: 0.9, threshold: 0.7 });
  });

  it('never stops within the grace period', () => {
    expect(rule.decide({ epoch: 4, value: 5, population: withOwn([0.5, 0.7, 1.0], 5), goal: 'minimize' })).toBeNull();
  });

  it('waits until minTrials other trials have reached the epoch', () => {
    expect(rule.decide({ epoch: 6, value: 5, population: withOwn([0.5, 0.7], 5), goal: 'minimize' })).toBeNull();
  });

  it('lets a trial level with the median go on', () => {
    expect(rule.decide({ epoch: 6, value: 0.7, population: withOwn([0.5, 0.7, 1.0], 0.7), goal: 'minimize' })).toBeNull();
  });

  it('compares the other way when the goal is to maximize', () => {
    expect(rule.decide({ epoch: 6, value: 0.6, population: withOwn([0.5, 0.7, 1.0], 0.6), goal: 'maximize' })).toEqual({ epoch: 6, rule: 'median', value: 0.6, threshold: 0.7 });
    expect(rule.decide({ epoch: 6, value: 0.9, population: withOwn([0.5, 0.7, 1.0], 0.9), goal: 'maximize' })).toBeNull();
  });
});

describe('asha rule', () => {
  /** A trial reaching rung 1 with `value`: recorded there, then judged against what the rung holds. */
  const reach = (rule: AshaRule, trialId: string, value: number): StopRecord | null => {
    rule.record(trialId, 1, value);
    return rule.judge(trialId, 1, value, 1);
  };

  it('puts rungs at gracePeriod times powers of the reduction factor, below the last epoch', () => {
    expect(rungEpochs(5, 3, 30)).toEqual([5, 15]);
    expect(rungEpochs(5, 3, 15)).toEqual([5]);
    expect(rungEpochs(2, 2, 20)).toEqual([2, 4, 8, 16]);
    expect(rungEpochs(1, 3, 10)).toEqual([1, 3, 9]);
  });

  it('keeps the top 1/η of the values recorded at a rung so far, at least one, a tie with the last kept one going on', () => {
    const rule = new AshaRule({ gracePeriod: 1, reductionFactor: 3 }, 'minimize');
    // n recorded → keep max(1, ⌊n/3⌋); a trial stops when that many recorded values beat it strictly.
    expect(reach(rule, 't1', 0.5)).toBeNull(); // n=1, keep 1: the first always goes on
    expect(reach(rule, 't2', 0.6)).toEqual({ epoch: 1, rule: 'asha', value: 0.6, threshold: 0.5 }); // n=2, keep 1
    expect(reach(rule, 't3', 0.4)).toBeNull(); // n=3, keep 1, best so far
    expect(reach(rule, 't4', 0.45)).toEqual({ epoch: 1, rule: 'asha', value: 0.45, threshold: 0.4 }); // n=4, keep 1
    expect(reach(rule, 't5', 0.45)).not.toBeNull(); // n=5, keep 1
    expect(reach(rule, 't6', 0.42)).toBeNull(); // n=6, keep 2: only 0.4 is better
    expect(reach(rule, 't7', 0.42)).toBeNull(); // n=7, keep 2: the tie with 0.42 is not strictly better
    expect(reach(rule, 't8', 0.43)).toEqual({ epoch: 1, rule: 'asha', value: 0.43, threshold: 0.42 }); // n=8, keep 2
  });

  it('judges only at rungs: epoch 2 of 10 is none, and nothing recorded there stops anyone', () => {
    const rule = new AshaRule({ gracePeriod: 1, reductionFactor: 3 }, 'minimize');
    reach(rule, 't1', 0.1);
    expect([1, 2, 3].map((epoch) => rule.isRung(epoch, 10))).toEqual([true, false, true]);
    expect(rule.judge('t2', 2, 9, 2)).toBeNull();
  });

  it('counts a trial that reaches a rung again (a new attempt) once, with its new value', () => {
    const rule = new AshaRule({ gracePeriod: 1, reductionFactor: 2 }, 'minimize');
    expect(reach(rule, 't1', 0.5)).toBeNull();
    expect(reach(rule, 't1', 0.6)).toBeNull(); // still n=1
  });

  it('keeps the larger values when the goal is to maximize', () => {
    const rule = new AshaRule({ gracePeriod: 1, reductionFactor: 2 }, 'maximize');
    expect(reach(rule, 't1', 0.5)).toBeNull();
    expect(reach(rule, 't2', 0.4)).toEqual({ epoch: 1, rule: 'asha', value: 0.4, threshold: 0.5 });
  });
});
