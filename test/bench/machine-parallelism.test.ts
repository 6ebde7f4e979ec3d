// The machine's own 2-process ceiling: real kernel processes (built JS under dist/), alone, two at once, and pinned to each CPU.
// No timing is asserted, only that the figure is made of real runs.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { medianMachineParallelism, timeMachineParallelismRound, type MachineParallelism } from '../../bench/machine-parallelism.js';

describe('timeMachineParallelismRound', () => {
  it('times one kernel process alone and two at once, and reports the work ratio between them', async () => {
    const machine = await timeMachineParallelismRound(1);
    expect(machine.aloneSeconds).toBeGreaterThan(0);
    expect(machine.togetherSeconds).toBeGreaterThan(0);
    expect(machine.speedUp).toBeCloseTo((2 * machine.aloneSeconds) / machine.togetherSeconds, 10);
  }, 60_000);

  it('times one kernel process pinned to CPU 0 and to CPU 1 where taskset can pin it', async () => {
    const canPin = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0,1', 'true']).status === 0;
    const machine = await timeMachineParallelismRound(1);
    if (!canPin) {
      expect(machine.perCpuSeconds).toBeNull();
      return;
    }
    expect(machine.perCpuSeconds).toHaveLength(2);
    for (const seconds of machine.perCpuSeconds ?? []) expect(seconds).toBeGreaterThan(0);
  }, 60_000);
});

describe('medianMachineParallelism', () => {
  const round = (aloneSeconds: number, togetherSeconds: number, perCpuSeconds: readonly number[] | null = null): MachineParallelism => ({
    aloneSeconds,
    togetherSeconds,
    speedUp: (2 * aloneSeconds) / togetherSeconds,
    perCpuSeconds,
  });

  it('takes the median alone and together times of the rounds, and the speed-up from those medians', () => {
    expect(medianMachineParallelism([round(3, 4), round(1, 2), round(2, 8)])).toEqual({ aloneSeconds: 2, togetherSeconds: 4, speedUp: 1, perCpuSeconds: null });
  });

  it('takes the median of each CPU separately, over the rounds that pinned', () => {
    const rounds = [round(3, 4, [3, 4]), round(1, 2, [1, 9]), round(2, 8, null), round(2, 8, [2, 5])];
    expect(medianMachineParallelism(rounds).perCpuSeconds).toEqual([2, 5]);
  });
});
