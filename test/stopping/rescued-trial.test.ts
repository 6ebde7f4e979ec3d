// The constructed case of issue 18: a trial whose val_loss stalls until its own LR cut rescues
// it, and then wins. A schedule-blind median rule stops it during the stall; the plateau guard keeps it.
import { describe, expect, it } from 'vitest';
import { SweepStopper } from '../../src/stopping/sweep-stopper.js';
import type { EarlyStopSpec } from '../../src/stopping/stop-types.js';
import type { EpochRecord } from '../../src/trial/types.js';
import { history, trialSpec } from './stopping-fixtures.js';

const EPOCHS = 12;
const objective = { metric: 'val_loss', goal: 'minimize', use: 'final' } as const;
const spec = (plateauGuard: boolean): EarlyStopSpec => ({ rule: 'median', gracePeriod: 3, minTrials: 5, reductionFactor: 3, plateauGuard, rankStopped: 'below' });

/** Five steady trials: val_loss = 1 − s·e, s from 0.03 to 0.05, so their median at epoch e is 1 − 0.04·e. */
const steady = [0.03, 0.035, 0.04, 0.045, 0.05].map((slope, index) => ({
  spec: trialSpec(`steady-${index}`, { patience: 10, epochs: EPOCHS }),
  history: history(Array.from({ length: EPOCHS }, (_, epoch) => 1 - slope * (epoch + 1))),
}));

/**
 * The eventual winner (patience 4, factor 0.1): 0.9 from epoch 2 to 6 (wait 1, 2, 3, 4 → the LR
 * cut at the end of epoch 6), then the lower LR takes it to 0.15, well below the steady trials' best (0.4).
 */
const winner = {
  spec: trialSpec('winner', { patience: 4, factor: 0.1, epochs: EPOCHS }),
  history: history([0.95, 0.9, 0.9, 0.9, 0.9, 0.9, 0.6, 0.4, 0.3, 0.25, 0.2, 0.15], [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01]),
};

function run(plateauGuard: boolean): { readonly stops: ReadonlyMap<string, { epoch: number; value: number; threshold: number }>; readonly finalOf: (id: string) => number } {
  const stopper = new SweepStopper(spec(plateauGuard), objective);
  const stops = new Map<string, { epoch: number; value: number; threshold: number }>();
  const kept = new Map<string, readonly EpochRecord[]>();
  // The steady trials report first; then the winner, one epoch per heartbeat.
  for (const trial of [...steady, winner]) {
    for (const record of trial.history) {
      const verdict = stopper.observe(trial.spec, [record]);
      if (verdict.stopped) {
        stops.set(trial.spec.id, verdict.stop);
        kept.set(trial.spec.id, verdict.history);
        break;
      }
    }
    if (!stops.has(trial.spec.id)) kept.set(trial.spec.id, trial.history);
  }
  return { stops, finalOf: (id) => kept.get(id)?.at(-1)?.val_loss ?? Number.NaN };
}

describe('a trial rescued by its own LR cut', () => {
  it('is stopped by a schedule-blind median rule during its stall, at epoch 3', () => {
    const { stops } = run(false);
    // Epoch 3: its best 0.9 against the steady trials' median 1 − 0.04·3 = 0.88.
    expect(stops.get('winner')).toEqual({ epoch: 3, rule: 'median', value: 0.9, threshold: expect.closeTo(0.88, 12) as number });
  });

  it('is kept by the plateau guard and finishes best of all', () => {
    const { stops, finalOf } = run(true);
    expect(stops.has('winner')).toBe(false);
    const finals = [...steady, winner].map((trial) => ({ id: trial.spec.id, final: finalOf(trial.spec.id) }));
    finals.sort((a, b) => a.final - b.final);
    expect(finals[0]?.id).toBe('winner');
  });
});

describe('sweep stopper', () => {
  it('replaces a trial\'s epochs when a new attempt reports from epoch 1 again', () => {
    const stopper = new SweepStopper({ ...spec(false), gracePeriod: 1, minTrials: 1 }, objective);
    stopper.observe(trialSpec('a'), history([0.5, 0.5]));
    stopper.observe(trialSpec('b'), history([0.9]));
    // b is judged at epoch 1 against a (0.5) and is worse.
    expect(stopper.stopOf('b')).toEqual({ epoch: 1, rule: 'median', value: 0.9, threshold: 0.5 });
    stopper.observe(trialSpec('a'), history([0.4]));
    const verdict = stopper.observe(trialSpec('c'), history([0.45]));
    // c compares with a's new epoch 1 (0.4) and b's (0.9): median 0.65, so c goes on.
    expect(verdict.stopped).toBe(false);
  });

  it('never judges the last epoch, which ends the trial anyway', () => {
    const stopper = new SweepStopper({ ...spec(false), gracePeriod: 1, minTrials: 1 }, objective);
    stopper.observe(trialSpec('a', { epochs: 1 }), history([0.1]));
    expect(stopper.observe(trialSpec('b', { epochs: 1 }), history([0.9])).stopped).toBe(false);
  });
});
