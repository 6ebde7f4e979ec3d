// The machine's own 2-process ceiling: real kernel processes (built JS under dist/), alone and two at once.
// No timing is asserted, only that the figure is made of real runs.
import { describe, expect, it } from 'vitest';
import { timeMachineParallelism } from '../../bench/machine-parallelism.js';

describe('timeMachineParallelism', () => {
  it('times one kernel process alone and two at once, and reports the work ratio between them', async () => {
    const machine = await timeMachineParallelism(1, 1);
    expect(machine.aloneSeconds).toBeGreaterThan(0);
    expect(machine.togetherSeconds).toBeGreaterThan(0);
    expect(machine.speedUp).toBeCloseTo((2 * machine.aloneSeconds) / machine.togetherSeconds, 10);
  }, 60_000);
});
