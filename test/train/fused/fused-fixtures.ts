// What the fused tests share: a bundle of tiny trials whose schedules reduce at different epochs,
// the same trials run one by one, and the comparison of a fused member with its single trial.
import { expect } from 'vitest';
import { runTrial } from '../../../src/train/trial-runner.js';
import type { BackendName, TrialConfig, TrialResult, TrialSpec, WorkloadSpec } from '../../../src/trial/types.js';
import { trialSpec } from '../trial-fixtures.js';

/** Schedules that reduce at different epochs on the tiny regression (minDelta makes plateaus come early). */
export const SCHEDULES: readonly Partial<TrialConfig>[] = [
  { learningRate: 0.01, patience: 1, minDelta: 0.05 },
  { learningRate: 0.03, factor: 0.3, patience: 2, minDelta: 0.1 },
  { learningRate: 0.003, patience: 0, minDelta: 0.2 },
];

export function bundle(workload: Partial<WorkloadSpec>, schedules: readonly Partial<TrialConfig>[] = SCHEDULES): TrialSpec[] {
  return schedules.map((config, i) => trialSpec({ id: `member-${i}`, workload: { epochs: 8, ...workload }, config }));
}

export async function separately(specs: readonly TrialSpec[], backend: BackendName = 'cpu'): Promise<TrialResult[]> {
  const results: TrialResult[] = [];
  for (const spec of specs) results.push(await runTrial(spec, { backend }));
  return results;
}

export function expectClose(actual: number, expected: number, what: string, relative = 1e-5): void {
  if (Number.isNaN(expected)) {
    expect(actual, what).toBeNaN();
    return;
  }
  if (!Number.isFinite(expected)) {
    expect(actual, what).toBe(expected);
    return;
  }
  expect(Math.abs(actual - expected), what).toBeLessThanOrEqual(relative * Math.abs(expected));
}

/** Same trial, outcome, LR schedule (exactly) and losses (to relative 1e-5). */
export function expectSameResult(fused: TrialResult | undefined, single: TrialResult, relative = 1e-5): void {
  expect(fused?.trialId).toBe(single.trialId);
  expect(fused?.outcome).toEqual(single.outcome);
  expect(fused?.lrReductions).toEqual(single.lrReductions);
  expect(fused?.history.map((r) => [r.epoch, r.lr])).toEqual(single.history.map((r) => [r.epoch, r.lr]));
  single.history.forEach((record, e) => {
    const other = fused?.history[e];
    expectClose(other?.loss ?? Number.NaN, record.loss, `${single.trialId} epoch ${record.epoch} loss`, relative);
    expectClose(other?.val_loss ?? Number.NaN, record.val_loss, `${single.trialId} epoch ${record.epoch} val_loss`, relative);
  });
  if (single.objective === null) expect(fused?.objective).toBeNull();
  else expectClose(fused?.objective ?? Number.NaN, single.objective, `${single.trialId} objective`, relative);
  expect(fused?.seed).toBe(single.seed);
  expect(fused?.backend).toBe(single.backend);
}

// One starting rate for three schedules that part ways at different epochs (minDelta makes
// plateaus come early), a twin of the first that never parts from it, and a second rate.
export const FORKING: readonly Partial<TrialConfig>[] = [
  { learningRate: 0.03, factor: 0.5, patience: 1, minDelta: 0.2 },
  { learningRate: 0.03, factor: 0.5, patience: 3, minDelta: 0.2 },
  { learningRate: 0.03, factor: 0.1, patience: 1, minDelta: 0.05 },
  { learningRate: 0.03, factor: 0.5, patience: 1, minDelta: 0.2 },
  { learningRate: 0.01, factor: 0.3, patience: 1, minDelta: 0.5 },
];
