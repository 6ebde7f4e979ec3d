// The machine's own 2-process ceiling: real kernel processes (built JS under dist/), alone and two at once.
// No timing is asserted, only that the figure is made of real runs.
import { describe, expect, it } from 'vitest';
import { medianMachineParallelism, timeMachineParallelismRound } from '../../bench/machine-parallelism.js';

describe('timeMachineParallelismRound', () => {
  it('times one kernel process alone and two at once, and reports the work ratio between them', async () => {
    const machine = await timeMachineParallelismRound(1);
    expect(machine.aloneSeconds).toBeGreaterThan(0);
    expect(machine.togetherSeconds).toBeGreaterThan(0);
    expect(machine.speedUp).toBeCloseTo((2 * machine.aloneSeconds) / machine.togetherSeconds, 10);
  }, 60_000);
});

describe('medianMachineParallelism', () => {
  it('takes the median alone and together times of the rounds, and the speed-up from those medians', () => {
    const round = (aloneSeconds: number, togetherSeconds: number): { aloneSeconds: number; togetherSeconds: number; speedUp: number } => ({ aloneSeconds, togetherSeconds, speedUp: (2 * aloneSeconds) / togetherSeconds });
    expect(medianMachineParallelism([round(3, 4), round(1, 2), round(2, 8)])).toEqual({ aloneSeconds: 2, togetherSeconds: 4, speedUp: 1 });
  });
});
