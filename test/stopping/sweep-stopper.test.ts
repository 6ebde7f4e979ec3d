// Which trials the sweep's stopper judges, and when: again as later reports arrive (median and
// asha), stopped trials counted at later epochs, ASHA's rung standing revoked.
import { describe, expect, it } from 'vitest';
import { SweepStopper } from '../../src/stopping/sweep-stopper.js';
import type { EarlyStopSpec } from '../../src/stopping/stop-types.js';
import { history, trialSpec } from './stopping-fixtures.js';

const objective = { metric: 'val_loss', goal: 'minimize', use: 'final' } as const;
const median: EarlyStopSpec = { rule: 'median', gracePeriod: 1, minTrials: 1, reductionFactor: 3, plateauGuard: false, rankStopped: 'below' };
const asha: EarlyStopSpec = { ...median, rule: 'asha', reductionFactor: 2 };
const everyone = (): boolean => true;

describe('median rule, judged again as reports arrive', () => {
  it('stops a trial that reported an epoch first once a later report there puts it above the median', () => {
    const stopper = new SweepStopper(median, objective);
    // Alone at epoch 1: nobody to compare with.
    expect(stopper.observe(trialSpec('first'), history([0.5])).stopped).toBe(false);
    expect(stopper.observe(trialSpec('second'), history([0.2])).stopped).toBe(false);
    const stops = stopper.rejudge('second', history([0.2]), everyone);
    expect(stops.map((stop) => ({ id: stop.trialId, stop: stop.stop, epochs: stop.history.length }))).toEqual([
      { id: 'first', stop: { epoch: 1, rule: 'median', value: 0.5, threshold: 0.2 }, epochs: 1 },
    ]);
    expect(stopper.stopOf('first')).toEqual({ epoch: 1, rule: 'median', value: 0.5, threshold: 0.2 });
  });

  it('leaves a trial alone once it has reported a later epoch, or when the caller does not hold its lease', () => {
    const stopper = new SweepStopper(median, objective);
    stopper.observe(trialSpec('ahead'), history([0.5, 0.45]));
    stopper.observe(trialSpec('elsewhere'), history([0.6]));
    stopper.observe(trialSpec('late'), history([0.2]));
    // 'ahead' is at epoch 2 now; 'elsewhere' is not training here.
    expect(stopper.rejudge('late', history([0.2]), (id) => id !== 'elsewhere')).toEqual([]);
  });

  it('counts a trial stopped earlier at later epochs with its value at the stop', () => {
    const stopper = new SweepStopper(median, objective);
    stopper.observe(trialSpec('good'), history([0.1, 0.1]));
    // Stopped at epoch 1: 0.9 against good's 0.1.
    expect(stopper.observe(trialSpec('stopped'), history([0.9])).stopped).toBe(true);
    // At epoch 2 the others are good (0.1) and stopped (0.9, carried): median 0.5, so 0.3 goes on.
    expect(stopper.observe(trialSpec('middle'), history([0.3, 0.3])).stopped).toBe(false);
  });
});

describe('asha, a rung standing revoked', () => {
  it('stops a trial kept at a rung when later trials there push it out of the top 1/η, at its latest epoch, with its best then as objective', () => {
    // η 2, 4 epochs: rungs 1 and 2.
    const stopper = new SweepStopper(asha, objective);
    expect(stopper.observe(trialSpec('early', { epochs: 4 }), history([0.5, 0.45])).stopped).toBe(false);
    expect(stopper.observe(trialSpec('better', { epochs: 4 }), history([0.3])).stopped).toBe(false);
    const [stop, ...rest] = stopper.rejudge('better', history([0.3]), everyone);
    expect(rest).toEqual([]);
    // At rung 1: early's 0.5 against better's 0.3; keep ⌊2/2⌋ = 1.
    expect(stop?.stop).toEqual({ epoch: 2, rule: 'asha', value: 0.5, threshold: 0.3 });
    expect(stop?.history.length).toBe(2);
    expect(stop?.objective).toBe(0.45);
  });

  it('judges a trial the plateau guard held at a rung at the epoch the guard lets go, against the others\' best at that epoch', () => {
    // η 2, grace 2, 6 epochs: rungs 2 and 4. a and b have finished.
    const epochs = 6;
    const stopper = new SweepStopper({ ...asha, gracePeriod: 2, plateauGuard: true }, objective);
    stopper.remember(trialSpec('a', { epochs }), history([0.6, 0.5, 0.2, 0.2, 0.2, 0.2]));
    stopper.remember(trialSpec('b', { epochs }), history([0.6, 0.55, 0.5, 0.5, 0.5, 0.5]));
    // Patience 2: epoch 2 does not improve (wait 1, counting toward a cut), epoch 3 does.
    const held = trialSpec('held', { epochs, patience: 2 });
    // Epoch 2: 0.6 again (no improvement): counting toward a cut, held back.
    expect(stopper.observe(held, history([0.6, 0.6])).stopped).toBe(false);
    // Epoch 3: 0.3, the guard lets go. Against the rung's values (0.5, 0.55) 0.3 would be best and
    // kept; at epoch 3 a and b stand at 0.2 and 0.5, so 0.3 is second of three, keep ⌊3/2⌋ = 1: stopped, against 0.2.
    const verdict = stopper.observe(held, history([0.6, 0.6, 0.3]).slice(2));
    expect(verdict).toMatchObject({ stopped: true, stop: { epoch: 3, rule: 'asha', value: 0.3, threshold: 0.2 } });
  });
});
