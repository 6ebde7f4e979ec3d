// The orchestration bench end to end: a coordinator here, the no-op agent as a real child
// process (built JS under dist/, as `npm test` builds first). No timing is asserted.
import { describe, expect, it } from 'vitest';
import { timeOrchestration } from '../../bench/orchestration.js';

describe('timeOrchestration', () => {
  it('runs every no-op trial through an agent process polling one trial at a time', async () => {
    const timing = await timeOrchestration(4, 100);
    expect(timing.trials).toBe(100);
    expect(timing.mode).toEqual({ kind: 'single' });
    expect(timing.trialsPerSecond).toBeGreaterThan(0);
    expect(timing.p99Ms).toBeGreaterThanOrEqual(timing.p50Ms);
  });

  it('runs every no-op trial through an agent process polling bundles', async () => {
    const timing = await timeOrchestration(2, 100, { kind: 'bundle', maxBundle: 8 });
    expect(timing.trials).toBe(100);
    expect(timing.coordinatorCpuUsPerTrial).toBeGreaterThan(0);
  });
});
