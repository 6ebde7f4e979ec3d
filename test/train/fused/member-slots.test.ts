import { describe, expect, it } from 'vitest';
import { initialSlots, planSlots } from '../../../src/train/fused/member-slots.js';

describe('initialSlots', () => {
  it('gives members with equal float32 learning rates one slot, in order of first appearance', () => {
    const plan = initialSlots([0.01, 0.03, 0.01, 0.003, 0.03]);
    expect(plan.sources).toEqual([0, 0, 0]);
    expect(plan.rates).toEqual([Math.fround(0.01), Math.fround(0.03), Math.fround(0.003)]);
    expect(plan.memberSlots).toEqual([0, 1, 0, 2, 1]);
  });

  it('treats rates that differ only beyond float32 precision as equal', () => {
    const plan = initialSlots([0.1, Math.fround(0.1), 0.1 + 1e-12]);
    expect(plan.memberSlots).toEqual([0, 0, 0]);
    expect(plan.rates).toEqual([Math.fround(0.1)]);
  });
});

describe('planSlots', () => {
  it('keeps every slot in place when each slot’s members go on at one rate', () => {
    const plan = planSlots(2, [
      { slot: 0, lr: 0.01 },
      { slot: 1, lr: 0.005 },
      { slot: 0, lr: 0.01 },
    ]);
    expect(plan).toEqual({ sources: [0, 1], rates: [Math.fround(0.01), Math.fround(0.005)], memberSlots: [0, 1, 0], unchanged: true });
  });

  it('forks a slot whose members’ next rates differ, the copy right after the original', () => {
    const plan = planSlots(2, [
      { slot: 0, lr: 0.005 },
      { slot: 0, lr: 0.01 },
      { slot: 1, lr: 0.03 },
      { slot: 0, lr: 0.005 },
    ]);
    expect(plan.sources).toEqual([0, 0, 1]);
    expect(plan.rates).toEqual([Math.fround(0.005), Math.fround(0.01), Math.fround(0.03)]);
    expect(plan.memberSlots).toEqual([0, 1, 2, 0]);
    expect(plan.unchanged).toBe(false);
  });

  it('keeps the old slots’ order whatever order the members come in', () => {
    const plan = planSlots(3, [
      { slot: 2, lr: 0.1 },
      { slot: 0, lr: 0.2 },
      { slot: 1, lr: 0.3 },
    ]);
    expect(plan.sources).toEqual([0, 1, 2]);
    expect(plan.memberSlots).toEqual([2, 0, 1]);
    expect(plan.unchanged).toBe(true);
  });

  it('drops the slots none of whose members is still training', () => {
    const plan = planSlots(3, [
      { slot: 2, lr: 0.1 },
      { slot: 0, lr: 0.2 },
    ]);
    expect(plan.sources).toEqual([0, 2]);
    expect(plan.rates).toEqual([Math.fround(0.2), Math.fround(0.1)]);
    expect(plan.memberSlots).toEqual([1, 0]);
    expect(plan.unchanged).toBe(false);
  });

  it('drops and forks in one plan', () => {
    const plan = planSlots(3, [
      { slot: 2, lr: 0.1 },
      { slot: 2, lr: 0.01 },
      { slot: 1, lr: 0.5 },
    ]);
    expect(plan.sources).toEqual([1, 2, 2]);
    expect(plan.memberSlots).toEqual([1, 2, 0]);
  });

  it('leaves no slot when no member is training', () => {
    expect(planSlots(2, [])).toEqual({ sources: [], rates: [], memberSlots: [], unchanged: false });
  });

  it('refuses a member in a slot that does not exist', () => {
    expect(() => planSlots(2, [{ slot: 2, lr: 0.1 }])).toThrow(RangeError);
    expect(() => planSlots(2, [{ slot: -1, lr: 0.1 }])).toThrow(RangeError);
  });
});
