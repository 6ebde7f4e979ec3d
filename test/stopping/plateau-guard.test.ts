import { describe, expect, it } from 'vitest';
import { PlateauGuard } from '../../src/stopping/plateau-guard.js';
import { history, trialSpec } from './stopping-fixtures.js';

function guardStates(options: Parameters<typeof trialSpec>[1], valLoss: readonly number[], lr: number | readonly number[] = 0.1) {
  const spec = trialSpec('t', options);
  const guard = new PlateauGuard(spec.config, spec.plateau);
  return history(valLoss, lr).map((record) => guard.observe(record, record.lr));
}

describe('plateau guard', () => {
  it('leaves an improving trial unguarded', () => {
    expect(guardStates({ patience: 2 }, [1.0, 0.9, 0.8]).map((state) => state.guarded)).toEqual([false, false, false]);
  });

  it('guards while the wait counter counts toward a cut, then for patience + cooldown epochs after the cut', () => {
    // patience 2, cooldown 1: epochs 3-4 do not improve on 0.9 (wait 1, then 2 → cut at the end of epoch 4);
    // epochs 5, 6, 7 are the patience + cooldown epochs after it; epoch 8 improves and is judged again.
    const states = guardStates({ patience: 2, cooldown: 1, factor: 0.5 }, [1.0, 0.9, 0.95, 0.96, 0.8, 0.7, 0.6, 0.5], [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]);
    expect(states).toEqual([
      { guarded: false },
      { guarded: false },
      { guarded: true, why: 'counting', wait: 1 },
      { guarded: true, why: 'after-cut', cutEpoch: 4 },
      { guarded: true, why: 'after-cut', cutEpoch: 4 },
      { guarded: true, why: 'after-cut', cutEpoch: 4 },
      { guarded: true, why: 'after-cut', cutEpoch: 4 },
      { guarded: false },
    ]);
  });

  it('does not guard a stalled trial whose LR is already at minLr (no cut can come)', () => {
    const states = guardStates({ patience: 3, minLr: 0.1 }, [1.0, 1.0, 1.0]);
    expect(states.map((state) => state.guarded)).toEqual([false, false, false]);
  });
});
