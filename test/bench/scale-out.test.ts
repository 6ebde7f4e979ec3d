// Pricing a slot's work: physical member-epochs of the bundles it trained, from the trials' learning-rate histories.
import { describe, expect, it } from 'vitest';
import { bundleMemberEpochs, slotMemberEpochs } from '../../bench/scale-out.js';

const steady = (id: string): { id: string; lrs: number[] } => ({ id, lrs: [0.01, 0.01, 0.01, 0.01] });
const reducedAt3 = (id: string, to: number): { id: string; lrs: number[] } => ({ id, lrs: [0.01, 0.01, to, to] });

describe('scale-out work', () => {
  it('counts trials with the same rates so far once per epoch', () => {
    expect(bundleMemberEpochs([steady('a'), steady('b'), steady('c')])).toBe(4);
  });

  it('counts each schedule on its own once they part', () => {
    expect(bundleMemberEpochs([steady('a'), reducedAt3('b', 0.001), reducedAt3('c', 0.005)])).toBe(2 + 3 + 3);
  });

  it('adds up the bundles of each slot, and a shared prefix dealt to two slots is trained twice', () => {
    const trials = [steady('a'), reducedAt3('b', 0.001)];
    expect(slotMemberEpochs(trials, [{ slot: 0, trials: ['a', 'b'] }])).toEqual([6]);
    expect(slotMemberEpochs(trials, [{ slot: 0, trials: ['a'] }, { slot: 1, trials: ['b'] }])).toEqual([4, 4]);
  });

  it('moves a part\'s epochs after the move from the slot that gave it to the slot that took it', () => {
    const trials = [steady('a'), reducedAt3('b', 0.001)];
    // b parted from a at epoch 3; after 3 epochs b moved: its 4th epoch is slot 1's work.
    expect(slotMemberEpochs(trials, [{ slot: 0, trials: ['a', 'b'] }], [{ slot: 1, fromSlot: 0, trials: ['b'], epochsDone: 3 }])).toEqual([5, 1]);
  });

  it('moves the rest of an epoch pro rata when a part moved mid-epoch', () => {
    const trials = [steady('a'), reducedAt3('b', 0.001)];
    // b moved a quarter into its 4th epoch: three quarters of that epoch are slot 1's work.
    expect(slotMemberEpochs(trials, [{ slot: 0, trials: ['a', 'b'] }], [{ slot: 1, fromSlot: 0, trials: ['b'], epochsDone: 3.25 }])).toEqual([5.25, 0.75]);
  });
});
