// Prefix-aware dealing: which queued trials the asking slot trains as its bundle, so that
// trials that would share a prefix stay together and the slots get balanced work.
import { describe, expect, it } from 'vitest';
import { dealBundle, planParts, PrefixCostModel, type DealCandidate } from '../../coordinator/bundle-dealer.js';
import type { TrialConfig } from '../../src/trial/types.js';

function config(learningRate: number, factor: number, patience: number): TrialConfig {
  return { learningRate, factor, patience, minDelta: 1e-4, cooldown: 0, minLr: 0, batchSize: 64 };
}

/** A grid in the sweep's order (rate slowest, patience fastest), all of one fusion key unless told. */
function grid(rates: readonly number[], factors: readonly number[], patiences: readonly number[], fusionKey = 'seed-42'): DealCandidate[] {
  const trials: DealCandidate[] = [];
  for (const rate of rates)
    for (const factor of factors)
      for (const patience of patiences) trials.push({ id: `${fusionKey}/${rate}/${factor}/${patience}`, fusionKey, config: config(rate, factor, patience), epochs: 30 });
  return trials;
}

const sweep27 = grid([0.001, 0.003, 0.01], [0.1, 0.3, 0.5], [2, 5, 10]);

function deal(trials: readonly DealCandidate[], idleSlots: number, maxBundle = 64): DealCandidate[] {
  const [first, ...queued] = trials;
  if (first === undefined) throw new Error('no trials');
  return [first, ...dealBundle({ first, queued, idleSlots, maxBundle })];
}

const rates = (trials: readonly DealCandidate[]): number[] => [...new Set(trials.map((trial) => trial.config.learningRate))].sort((a, b) => a - b);
const patiences = (trials: readonly DealCandidate[]): number[] => [...new Set(trials.map((trial) => trial.config.patience))].sort((a, b) => a - b);

describe('bundle dealer', () => {
  it('gives a lone idle slot every queued trial of the fusion key', () => {
    expect(deal(sweep27, 1)).toHaveLength(27);
  });

  it('trials sharing a learning rate go to the same slot', () => {
    const dealt = deal(sweep27, 2);
    for (const rate of rates(dealt)) expect(dealt.filter((trial) => trial.config.learningRate === rate)).toHaveLength(9);
    const rest = sweep27.filter((trial) => !dealt.includes(trial));
    expect(rates(rest).filter((rate) => rates(dealt).includes(rate))).toEqual([]);
  });

  it('gives the highest learning rate a slot of its own on the 27-config grid: its schedules part soonest', () => {
    const parts = planParts(sweep27, 2);
    expect(parts.map((part) => rates(part.trials))).toEqual([[0.01], [0.001, 0.003]]);
  });

  it('two slots get balanced work when the groups allow it', () => {
    const parts = planParts(grid([0.001, 0.002, 0.005, 0.01], [0.5], [2]), 2);
    expect(parts.map((part) => part.trials.length)).toEqual([2, 2]);
  });

  it('one learning rate over two slots splits along patience, the smallest patience apart', () => {
    const parts = planParts(grid([0.01], [0.1, 0.3, 0.5], [2, 5, 10]), 2);
    expect(parts.map((part) => patiences(part.trials))).toEqual([[5, 10], [2]]);
  });

  it('does not split a learning rate when whole groups balance as well', () => {
    const parts = planParts(grid([0.001, 0.01], [0.5], [2, 5]), 2);
    for (const part of parts) expect(rates(part.trials)).toHaveLength(1);
  });

  it('hands a slot one whole seed when other seeds are queued for the other slots', () => {
    const queue = [...grid([0.001, 0.003, 0.01], [0.1, 0.5], [2, 5], 'seed-1'), ...grid([0.001, 0.003, 0.01], [0.1, 0.5], [2, 5], 'seed-2')];
    const dealt = deal(queue, 2);
    expect(dealt.map((trial) => trial.fusionKey)).toEqual(Array(12).fill('seed-1'));
  });

  it('never puts trials of another fusion key in the bundle', () => {
    const queue = [...grid([0.001], [0.5], [2, 5], 'seed-1'), ...grid([0.001], [0.5], [2, 5], 'seed-2')];
    expect(new Set(deal(queue, 1).map((trial) => trial.fusionKey))).toEqual(new Set(['seed-1']));
  });

  it('keeps to the bundle limit, taking the first trial’s learning rate before others', () => {
    const dealt = deal(sweep27, 1, 12);
    expect(dealt).toHaveLength(12);
    expect(dealt.slice(0, 9).map((trial) => trial.config.learningRate)).toEqual(Array(9).fill(0.001));
  });

  it('deals the same bundle for the same queue', () => {
    expect(deal(sweep27, 3).map((trial) => trial.id)).toEqual(deal(sweep27, 3).map((trial) => trial.id));
  });

  it('prices a group by its rate: one member per epoch for one schedule, more for higher rates', () => {
    const model = new PrefixCostModel([0.001, 0.01]);
    const nine = (rate: number): TrialConfig[] => grid([rate], [0.1, 0.3, 0.5], [2, 5, 10]).map((trial) => trial.config);
    expect(model.groupCost([config(0.01, 0.5, 2), config(0.01, 0.5, 2)], 30)).toBe(30);
    expect(model.groupCost(nine(0.01), 30)).toBeGreaterThan(model.groupCost(nine(0.001), 30));
    expect(model.groupCost(nine(0.01), 30)).toBeLessThanOrEqual(9 * 30);
  });
});
