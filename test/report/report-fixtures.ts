// Results documents for the report tests: a sweep with everything a report must draw —
// repeats, a diverged config, a failed trial, a trial still queued — built from the same
// store-shaped fixtures the ranking tests use.
import { buildResultsDocument, type ResultsDocument } from '../../src/results/results-document.js';
import type { EpochRecord } from '../../src/trial/types.js';
import { baseSpec, snapshot, trial } from '../rank/sweep-fixtures.js';

/** A falling val_loss that ends at `final`, with the LR cut in half at `cutAt`. */
export function curve(epochs: number, final: number, learningRate: number, cutAt: number): EpochRecord[] {
  return Array.from({ length: epochs }, (_, index) => ({
    epoch: index + 1,
    loss: final * 1.1 + 0.05 * (epochs - index),
    val_loss: final + 0.04 * (epochs - index - 1),
    lr: index + 1 > cutAt ? learningRate / 2 : learningRate,
  }));
}

const spec = { ...baseSpec, grid: { learningRate: [0.001, 0.01, 0.1], factor: [0.1, 0.5], patience: [2, 4] }, repeats: 2 };

/**
 * 3 learning rates × 2 factors × 2 patiences = 12 configs, 2 repeats each: lr 0.1 diverges
 * (patience 2, factor 0.1), one repeat of another config failed, one config still queued.
 */
export function mixedSweepDocument(): ResultsDocument {
  const trials = [];
  for (const learningRate of spec.grid.learningRate) {
    for (const factor of spec.grid.factor) {
      for (const patience of spec.grid.patience) {
        for (const repeat of [0, 1]) {
          const config = { learningRate, factor, patience };
          const id = `lr${learningRate}-f${factor}-p${patience}-r${repeat}`;
          if (learningRate === 0.1 && factor === 0.1 && patience === 2) {
            trials.push(trial({ id, config, repeat, state: 'diverged' }));
          } else if (learningRate === 0.001 && factor === 0.5 && patience === 4 && repeat === 1) {
            trials.push(trial({ id, config, repeat, state: 'failed' }));
          } else if (learningRate === 0.1 && factor === 0.5 && patience === 4) {
            trials.push(trial({ id, config, repeat, state: 'queued' }));
          } else {
            const final = 0.2 + Math.abs(Math.log10(learningRate) + 2) * 0.1 + factor * 0.05 + patience * 0.01 + repeat * 0.002;
            trials.push(trial({ id, config, repeat, objective: final, history: curve(10, final, learningRate, patience + 3), lrReductions: [patience + 3] }));
          }
        }
      }
    }
  }
  return buildResultsDocument(snapshot(trials, { spec, finishedAtMs: null }));
}

/** One config, one trial: nothing varies, so there are no axis effects. */
export function singleTrialDocument(): ResultsDocument {
  const single = { ...baseSpec, grid: { learningRate: [0.01], factor: [0.5], patience: [2] } };
  return buildResultsDocument(snapshot([trial({ id: 'only', objective: 0.3, history: curve(10, 0.3, 0.01, 5) })], { spec: single }));
}

/**
 * Early stopping (median, plateau guard on): 3 learning rates × 2 patiences, 10 epochs. lr 0.1 is
 * stopped at epoch 3 (both patiences), lr 0.001 patience 4 at epoch 6; the other three finish.
 */
export function stoppedSweepDocument(options: { readonly plateauGuard?: boolean } = {}): ResultsDocument {
  const earlyStop = { rule: 'median', gracePeriod: 3, minTrials: 2, reductionFactor: 3, plateauGuard: options.plateauGuard ?? true, rankStopped: 'below' } as const;
  const stoppedSpec = { ...baseSpec, grid: { learningRate: [0.001, 0.01, 0.1], factor: [0.5], patience: [2, 4] }, earlyStop };
  const trials = [];
  for (const learningRate of stoppedSpec.grid.learningRate) {
    for (const patience of stoppedSpec.grid.patience) {
      const config = { learningRate, factor: 0.5, patience };
      const id = `lr${learningRate}-p${patience}`;
      const final = 0.2 + Math.abs(Math.log10(learningRate) + 2) * 0.1 + patience * 0.01;
      const full = curve(10, final, learningRate, patience + 3);
      const stopAt = learningRate === 0.1 ? 3 : learningRate === 0.001 && patience === 4 ? 6 : null;
      if (stopAt === null) {
        trials.push(trial({ id, config, objective: final, history: full, lrReductions: [patience + 3] }));
      } else {
        const history = full.slice(0, stopAt);
        const value = history.at(-1)?.val_loss ?? 0;
        trials.push(trial({ id, config, state: 'pruned', objective: value, history, lrReductions: [], stop: { epoch: stopAt, rule: 'median', value, threshold: value - 0.05 } }));
      }
    }
  }
  return buildResultsDocument(snapshot(trials, { spec: stoppedSpec }));
}
