// Scale-out on an agent already running: the warm-up sweep, what the agent's log says of a
// sweep, and one real round (a coordinator here, `plateau agent` children from dist/). No timing
// is asserted, only that the figures come from real sweeps.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { agentLogFacts, timeWarmScaleOut, warmScaleOutSection, warmUpSpec } from '../../bench/warm-scale-out.js';

const quick = fileURLToPath(new URL('../../examples/quick.yaml', import.meta.url));

describe('warmUpSpec', () => {
  it('keeps the workload but trains a few epochs of one seed, under a name of its own', () => {
    const spec = { ...loadSweepSpecFile(quick), repeats: 4 };
    const warm = warmUpSpec(spec, 2);
    expect(warm.workload.dataset).toEqual(spec.workload.dataset);
    expect(warm.workload.model).toEqual(spec.workload.model);
    expect(warm.workload.epochs).toBeLessThan(spec.workload.epochs);
    expect(warm.repeats).toBe(1);
    expect(warm.grid).toEqual(spec.grid);
    expect(warm.name).not.toBe(spec.name);
    expect(warmUpSpec(spec, 3).name).not.toBe(warm.name);
  });
});

describe('agentLogFacts', () => {
  it("keeps the sweep's bundles with their slots and the parts moved between slots", () => {
    const lines = [
      '{"event":"bundle.started","time":"t","slot":0,"sweep":"s1","trials":["a","b"]}',
      '{"event":"bundle.started","time":"t","slot":1,"sweep":"other","trials":["c"]}',
      'not json',
      '{"event":"bundle.part-taken","slot":1,"fromSlot":0,"trials":["b"],"epochsDone":3,"batchesDone":32}',
      '{"event":"bundle.started","time":"t","slot":1,"sweep":"s1","trials":["d"]}',
    ];
    expect(agentLogFacts(lines, 's1', 128)).toEqual({
      bundles: [
        { slot: 0, trials: ['a', 'b'] },
        { slot: 1, trials: ['d'] },
      ],
      parts: [{ slot: 1, fromSlot: 0, trials: ['b'], epochsDone: 3.25 }],
    });
  });
});

describe('timeWarmScaleOut', () => {
  it('times a sweep on a warm 1-slot and 2-slot agent and reports it per spec', async () => {
    const figures = await timeWarmScaleOut([{ label: 'quick (12 trials)', specFile: quick }], 1, { measureMachine: false, perRound: 1 });
    expect(figures.rounds).toHaveLength(1);
    const [round] = figures.rounds;
    expect(round?.oneSlot[0]?.seconds).toBeGreaterThan(0);
    expect(round?.twoSlots[0]?.seconds).toBeGreaterThan(0);
    expect(round?.oneSlot[0]?.slotWork).toHaveLength(1);
    expect(figures.machine).toBeNull();
    const section = warmScaleOutSection(figures).join('\n');
    expect(section).toContain('| quick (12 trials) |');
  }, 120_000);
});
