import { describe, expect, it } from 'vitest';
import { scheduleFlags } from '../../src/rank/schedule-flags.js';
import { trial } from './sweep-fixtures.js';

describe('scheduleFlags', () => {
  it('flags nothing for a config whose schedule reduced the LR in a healthy run', () => {
    expect(scheduleFlags([trial({ lrReductions: [4, 8] })])).toEqual([]);
  });

  it('flags a schedule that cannot fire because patience is at least the number of epochs', () => {
    expect(scheduleFlags([trial({ config: { patience: 10 }, epochs: 10, lrReductions: [] })])).toEqual(['schedule-cannot-fire']);
    expect(scheduleFlags([trial({ config: { patience: 9 }, epochs: 10, lrReductions: [] })])).toEqual(['schedule-never-fired']);
  });

  it('flags a schedule that cannot fire because the initial LR is already at minLr', () => {
    expect(scheduleFlags([trial({ config: { learningRate: 1e-5, minLr: 1e-5 }, lrReductions: [] })])).toEqual(['schedule-cannot-fire']);
  });

  it('flags a schedule that could fire but reduced the LR in no repeat', () => {
    expect(scheduleFlags([trial({ repeat: 0, lrReductions: [] }), trial({ repeat: 1, lrReductions: [] })])).toEqual(['schedule-never-fired']);
  });

  it('does not flag a schedule that fired in at least one repeat', () => {
    expect(scheduleFlags([trial({ repeat: 0, lrReductions: [] }), trial({ repeat: 1, lrReductions: [6] })])).toEqual([]);
  });

  it('does not judge the schedule on runs that never finished', () => {
    expect(scheduleFlags([trial({ state: 'diverged' })])).toEqual(['diverged']);
    expect(scheduleFlags([trial({ state: 'running' })])).toEqual([]);
  });

  it('flags diverged and failed repeats, most serious first', () => {
    const flags = scheduleFlags([trial({ repeat: 0, state: 'failed' }), trial({ repeat: 1, state: 'diverged' }), trial({ repeat: 2, lrReductions: [] })]);
    expect(flags).toEqual(['diverged', 'failed', 'schedule-never-fired']);
  });
});
