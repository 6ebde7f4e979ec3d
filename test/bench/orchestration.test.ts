// The orchestration bench end to end: a coordinator here, the no-op agent as a real child
// process (built JS under dist/, as `npm test` builds first). No timing is asserted.
import { describe, expect, it } from 'vitest';
import { timeOrchestration } from '../../bench/orchestration.js';

describe('timeOrchestration', () => {
  it('runs every no-op trial through an agent process polling one trial at a time on its session', async () => {
    const timing = await timeOrchestration(4, 100, { kind: 'single' }, { warmup: 100 });
    expect(timing.trials).toBe(100);
    expect(timing.mode).toEqual({ kind: 'single' });
    expect(timing.transport).toBe('session');
    expect(timing.trialsPerSecond).toBeGreaterThan(0);
    expect(timing.dispatchP99Ms).toBeGreaterThanOrEqual(timing.dispatchP50Ms);
    expect(timing.cycleP50Ms).toBeGreaterThanOrEqual(timing.dispatchP50Ms);
  });

  it('runs every no-op trial over unary calls too', async () => {
    const timing = await timeOrchestration(2, 100, { kind: 'single' }, { transport: 'unary', warmup: 0 });
    expect(timing.trials).toBe(100);
    expect(timing.transport).toBe('unary');
  });

  it('runs every no-op trial through an agent process polling bundles', async () => {
    const timing = await timeOrchestration(2, 100, { kind: 'bundle', maxBundle: 8 }, { warmup: 0 });
    expect(timing.trials).toBe(100);
    expect(timing.coordinatorCpuUsPerTrial).toBeGreaterThan(0);
  });
});
