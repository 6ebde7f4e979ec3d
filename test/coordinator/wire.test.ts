import { describe, expect, it } from 'vitest';
import * as gen from '../../gen/plateau/v1/coordinator.js';
import type { SweepSummary } from '../../src/rpc/sweep-progress.js';
import {
  decodeEpoch,
  decodeLease,
  decodeSweepSummary,
  decodeTrialResult,
  decodeTrialSpec,
  encodeEpoch,
  encodeLease,
  encodeSweepSummary,
  encodeTrialResult,
  WireDecodeError,
} from '../../src/rpc/wire.js';
import { expandGrid } from '../../src/spec/grid.js';
import type { TrialOutcome, TrialResult } from '../../src/trial/types.js';
import { resultFor, tinySweepSpec } from './fixtures.js';

/** Through real protobuf bytes, as the network carries it. */
function overTheWire<T>(codec: { encode(message: T): { finish(): Uint8Array }; decode(bytes: Uint8Array): T }, message: T): T {
  return codec.decode(codec.encode(message).finish());
}

const trial = expandGrid(tinySweepSpec())[0];
if (trial === undefined) throw new Error('the tiny grid is empty');

describe('wire conversions', () => {
  it('keeps NaN, ±Infinity and extra metrics of an epoch', () => {
    const record = { epoch: 4, loss: Number.NaN, val_loss: Number.POSITIVE_INFINITY, lr: 0.001, val_acc: Number.NEGATIVE_INFINITY };
    const decoded = decodeEpoch(overTheWire(gen.EpochReport, encodeEpoch(record)));
    expect(decoded).toEqual(record);
  });

  it.each<TrialOutcome>([
    { status: 'succeeded' },
    { status: 'diverged', atEpoch: 3 },
    { status: 'failed', error: { kind: 'DatasetError', message: 'train.csv:4: not a number' } },
    { status: 'cancelled', reason: 'sweep-cancelled' },
  ])('round-trips a $status result', (outcome) => {
    const result = resultFor(trial.id, outcome.status === 'succeeded' ? 0.5 : null, outcome);
    const decoded = decodeTrialResult(overTheWire(gen.TrialResult, encodeTrialResult(result)));
    expect(decoded).toEqual(result);
  });

  it('refuses a result an agent reports as pruned: only the coordinator stops a trial early', () => {
    const wire = { ...encodeTrialResult(resultFor(trial.id)), status: gen.TrialStatus.TRIAL_STATUS_PRUNED };
    expect(() => decodeTrialResult(wire)).toThrow(WireDecodeError);
  });

  it('refuses a result from an unknown backend', () => {
    const wire = { ...encodeTrialResult(resultFor(trial.id)), backend: 'cuda9' };
    expect(() => decodeTrialResult(wire)).toThrow(WireDecodeError);
  });

  it('round-trips a lease with the trial spec the grid produced', () => {
    const lease = { leaseId: 'L1', fencingToken: 3, sweepId: 's', trialId: trial.id, attempt: 2, heartbeatTimeoutMs: 30_000, reportEveryEpoch: false, trial };
    expect(decodeLease(overTheWire(gen.Lease, encodeLease(lease)))).toEqual(lease);
  });

  it('carries a lease of an early-stopping sweep as reporting every epoch', () => {
    const lease = { leaseId: 'L1', fencingToken: 3, sweepId: 's', trialId: trial.id, attempt: 2, heartbeatTimeoutMs: 30_000, reportEveryEpoch: true, trial };
    expect(decodeLease(overTheWire(gen.Lease, encodeLease(lease))).reportEveryEpoch).toBe(true);
  });

  it('refuses a lease whose trial spec is malformed, naming the field', () => {
    const wire = encodeLease({ leaseId: 'L1', fencingToken: 1, sweepId: 's', trialId: trial.id, attempt: 1, heartbeatTimeoutMs: 1, reportEveryEpoch: false, trial });
    const broken = { ...wire, trialSpecJson: JSON.stringify({ ...trial, config: { ...trial.config, patience: -1 } }) };
    expect(() => decodeLease(broken)).toThrow(/lease\.trial_spec_json\.config\.patience/);
    expect(() => decodeLease({ ...wire, trialSpecJson: '{not json' })).toThrow(WireDecodeError);
    expect(() => decodeLease({ ...wire, trialId: 'other' })).toThrow(/trial_id/);
  });

  it('checks the rest of every trial spec whose workload it has checked before', () => {
    expect(decodeTrialSpec(JSON.stringify(trial))).toEqual(trial);
    const badConfig = JSON.stringify({ ...trial, config: { ...trial.config, cooldown: 1.5 } });
    expect(() => decodeTrialSpec(badConfig)).toThrow(/trial_spec_json\.config\.cooldown/);
    const extraField = JSON.stringify({ ...trial, extra: 1 });
    expect(() => decodeTrialSpec(extraField)).toThrow(WireDecodeError);
  });

  it('checks in full a workload that differs from every one checked before', () => {
    expect(decodeTrialSpec(JSON.stringify(trial))).toEqual(trial);
    const badWorkload = JSON.stringify({ ...trial, workload: { ...trial.workload, epochs: 0 } });
    expect(() => decodeTrialSpec(badWorkload)).toThrow(/trial_spec_json\.workload\.epochs/);
  });

  it('round-trips a sweep summary, with and without a best config', () => {
    const summary: SweepSummary = {
      sweepId: 'abc',
      name: 'tiny',
      state: 'running',
      totalTrials: 4,
      counts: { queued: 1, running: 1, succeeded: 1, failed: 0, diverged: 1, pruned: 0, cancelled: 0 },
      best: { objective: 0.125, config: trial.config },
      createdAtMs: 1_700_000_000_000,
      finishedAtMs: null,
      error: null,
    };
    expect(decodeSweepSummary(overTheWire(gen.SweepSummary, encodeSweepSummary(summary)))).toEqual(summary);
    const empty = { ...summary, best: null, state: 'failed' as const, finishedAtMs: 1_700_000_100_000 };
    expect(decodeSweepSummary(overTheWire(gen.SweepSummary, encodeSweepSummary(empty)))).toEqual(empty);
  });

  it('round-trips a sweep summary with the workload error that failed it', () => {
    const failed: SweepSummary = {
      sweepId: 'abc',
      name: 'tiny',
      state: 'failed',
      totalTrials: 4,
      counts: { queued: 0, running: 0, succeeded: 0, failed: 1, diverged: 0, pruned: 0, cancelled: 3 },
      best: null,
      createdAtMs: 1_700_000_000_000,
      finishedAtMs: 1_700_000_000_500,
      error: { kind: 'workload', message: 'train.csv:1: the target column "y" is not in the header', trialId: 't-1', scope: 'sweep', atMs: 1_700_000_000_400 },
    };
    expect(decodeSweepSummary(overTheWire(gen.SweepSummary, encodeSweepSummary(failed)))).toEqual(failed);
  });

  it('carries a workload error\'s scope in a failed result and refuses a scope it does not know', () => {
    const result: TrialResult = {
      trialId: 't-1',
      outcome: { status: 'failed', error: { kind: 'workload', message: 'batch size 512 — too big', scope: 'config' } },
      history: [],
      lrReductions: [],
      objective: null,
      wallSeconds: 0.1,
      backend: 'cpu',
      seed: 7,
    };
    expect(decodeTrialResult(overTheWire(gen.TrialResult, encodeTrialResult(result)))).toEqual(result);
    expect(() => decodeTrialResult({ ...encodeTrialResult(result), errorScope: 'galaxy' })).toThrow(/result\.error_scope/);
  });
});
