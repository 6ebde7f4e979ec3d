import { describe, expect, it } from 'vitest';
import { decodeParentMessage, decodeWorkerMessage, MAX_STOPPED_MEMBERS, parseBackendRequest, toCancelReason } from '../../agent/worker-protocol.js';
import { tinyTrial } from './fixtures.js';

const epoch = { epoch: 1, loss: 0.5, val_loss: 0.6, lr: 0.01 };
const result = {
  trialId: 't1',
  outcome: { status: 'succeeded' },
  history: [epoch],
  lrReductions: [],
  objective: 0.6,
  wallSeconds: 1.5,
  backend: 'cpu',
  seed: 3,
};

/** A part of one physical member (a 2-float network) holding trials a and b, handed off after 2 batches of epoch 4. */
function part(overrides: { slot?: number; rates?: Float32Array; ids?: readonly string[]; batchesDone?: number; epochLosses?: Float32Array; epochAccuracies?: Float32Array } = {}): unknown {
  const ids = overrides.ids ?? ['a', 'b'];
  return {
    epochsDone: 3,
    batchesDone: overrides.batchesDone ?? 2,
    elapsedSeconds: 0.25,
    members: ids.map((id) => ({
      spec: tinyTrial(id),
      slot: overrides.slot ?? 0,
      lr: 0.005,
      history: [epoch],
      lrReductions: [2],
      scheduler: { best: Number.POSITIVE_INFINITY, wait: 1, cooldownCounter: 0 },
    })),
    engine: { kind: 'kernel', count: 1, floatsPerMember: 2, blocks: new Float32Array(6), rates: overrides.rates ?? new Float32Array([0.005]), accBeta1: 0.729, accBeta2: 0.997, epochLosses: overrides.epochLosses ?? new Float32Array([0.4, Number.NaN]), ...(overrides.epochAccuracies === undefined ? {} : { epochAccuracies: overrides.epochAccuracies }), epochBatchSizes: [32, 32] },
  };
}

describe('worker protocol', () => {
  it('decodes a bundle part to resume, with its typed arrays and an infinite best', () => {
    const decoded = decodeParentMessage({ type: 'run-part', part: part(), files: {} });
    expect(decoded).toMatchObject({ ok: true, message: { type: 'run-part', part: { epochsDone: 3, batchesDone: 2, engine: { count: 1, epochBatchSizes: [32, 32] } } } });
    expect(decodeWorkerMessage({ type: 'handoff', requestId: 4, part: part() }).ok).toBe(true);
  });

  it('refuses a part whose member trains in a physical member it does not hold, or with a rate missing', () => {
    expect(decodeParentMessage({ type: 'run-part', part: part({ slot: 1 }), files: {} })).toMatchObject({ ok: false });
    expect(decodeParentMessage({ type: 'run-part', part: part({ rates: new Float32Array(0) }), files: {} })).toMatchObject({ ok: false });
    expect(decodeParentMessage({ type: 'run-part', part: part({ ids: ['a', 'a'] }), files: {} })).toMatchObject({ ok: false });
  });

  it('refuses a part whose unfinished epoch\'s losses do not match its batches done', () => {
    expect(decodeParentMessage({ type: 'run-part', part: part({ batchesDone: 3 }), files: {} })).toMatchObject({ ok: false });
    expect(decodeParentMessage({ type: 'run-part', part: part({ epochLosses: new Float32Array(1) }), files: {} })).toMatchObject({ ok: false });
  });

  it('decodes a part carrying the unfinished epoch\'s batch accuracies, and refuses one whose accuracies do not match its losses', () => {
    const decoded = decodeParentMessage({ type: 'run-part', part: part({ epochAccuracies: new Float32Array([0.5, 0.25]) }), files: {} });
    expect(decoded.ok && decoded.message.type === 'run-part' ? Array.from(decoded.message.part.engine.epochAccuracies ?? []) : []).toEqual([0.5, 0.25]);
    expect(decodeParentMessage({ type: 'run-part', part: part({ epochAccuracies: new Float32Array(1) }), files: {} })).toMatchObject({ ok: false });
  });

  it('decodes split requests and their answers', () => {
    expect(decodeParentMessage({ type: 'split', requestId: 0 })).toEqual({ ok: true, message: { type: 'split', requestId: 0 } });
    expect(decodeParentMessage({ type: 'split-withdrawn', requestId: 2 })).toEqual({ ok: true, message: { type: 'split-withdrawn', requestId: 2 } });
    expect(decodeWorkerMessage({ type: 'no-handoff', requestId: 2 })).toEqual({ ok: true, message: { type: 'no-handoff', requestId: 2 } });
    expect(decodeParentMessage({ type: 'split', requestId: -1 }).ok).toBe(false);
  });

  it('hands a worker the paths its agent resolved for the trial\'s files, and nothing without them', () => {
    const files = { [`sha256:${'a'.repeat(64)}`]: '/var/cache/plateau/sha256/aaaa' };
    expect(decodeParentMessage({ type: 'run', trial: tinyTrial('t1'), files })).toMatchObject({ ok: true, message: { files } });
    expect(decodeParentMessage({ type: 'run', trial: tinyTrial('t1') }).ok).toBe(false);
  });

  it('decodes every message the agent sends', () => {
    expect(decodeParentMessage({ type: 'run', trial: tinyTrial('t1'), files: {} })).toMatchObject({ ok: true, message: { type: 'run' } });
    expect(decodeParentMessage({ type: 'cancel', trialId: 't1', reason: 'pruned' })).toEqual({
      ok: true,
      message: { type: 'cancel', trialId: 't1', reason: 'pruned' },
    });
    expect(decodeParentMessage({ type: 'shutdown' })).toEqual({ ok: true, message: { type: 'shutdown' } });
  });

  it('decodes a bundle to train fused, and refuses an empty one or one naming a trial twice', () => {
    expect(decodeParentMessage({ type: 'run-bundle', trials: [tinyTrial('a'), tinyTrial('b')], files: {} })).toMatchObject({ ok: true, message: { type: 'run-bundle' } });
    expect(decodeParentMessage({ type: 'run-bundle', trials: [], files: {} }).ok).toBe(false);
    expect(decodeParentMessage({ type: 'run-bundle', trials: [tinyTrial('a'), tinyTrial('a')], files: {} }).ok).toBe(false);
  });

  it('decodes a stop for some members of the running bundle, and refuses one naming none, a trial twice or more members than a bundle holds', () => {
    expect(decodeParentMessage({ type: 'stop-members', trialIds: ['b', 'c'], reason: 'pruned' })).toEqual({ ok: true, message: { type: 'stop-members', trialIds: ['b', 'c'], reason: 'pruned' } });
    expect(decodeParentMessage({ type: 'stop-members', trialIds: [], reason: 'pruned' }).ok).toBe(false);
    expect(decodeParentMessage({ type: 'stop-members', trialIds: ['b', 'b'], reason: 'pruned' }).ok).toBe(false);
    expect(decodeParentMessage({ type: 'stop-members', trialIds: Array.from({ length: MAX_STOPPED_MEMBERS + 1 }, (_, i) => `t${i}`), reason: 'pruned' }).ok).toBe(false);
    expect(decodeParentMessage({ type: 'stop-members', trialIds: ['x'.repeat(1_025)], reason: 'pruned' }).ok).toBe(false);
    expect(decodeParentMessage({ type: 'stop-members', trialIds: ['b'], reason: 'bored' }).ok).toBe(false);
  });

  it('decodes every message a worker sends', () => {
    expect(decodeWorkerMessage({ type: 'ready', backend: 'cpu', skipped: [{ backend: 'wasm', reason: 'no wasm' }] }).ok).toBe(true);
    expect(decodeWorkerMessage({ type: 'epochs', records: [{ trialId: 't1', record: { ...epoch, acc: 0.9 } }] })).toEqual({
      ok: true,
      message: { type: 'epochs', records: [{ trialId: 't1', record: { ...epoch, acc: 0.9 } }] },
    });
    expect(decodeWorkerMessage({ type: 'result', result }).ok).toBe(true);
    expect(decodeWorkerMessage({ type: 'fatal', trialId: null, error: { kind: 'WorkerStartError', message: 'x' } }).ok).toBe(true);
    expect(decodeWorkerMessage({ type: 'log', level: 'info', event: 'e', fields: { a: 1 } }).ok).toBe(true);
  });

  it('decodes the epochs of several trials in one message, in the order they were sent', () => {
    const records = [
      { trialId: 'a', record: { ...epoch, epoch: 2 } },
      { trialId: 'b', record: { ...epoch, epoch: 2, val_acc: 0.7 } },
      { trialId: 'a', record: { ...epoch, epoch: 3 } },
    ];
    expect(decodeWorkerMessage({ type: 'epochs', records })).toEqual({ ok: true, message: { type: 'epochs', records } });
  });

  it('keeps NaN and infinite metric values of a diverged epoch', () => {
    const decoded = decodeWorkerMessage({ type: 'epochs', records: [{ trialId: 't1', record: { epoch: 3, loss: Number.NaN, val_loss: Infinity, lr: 0.01 } }] });
    expect(decoded.ok && decoded.message.type === 'epochs' && decoded.message.records[0]?.record).toEqual({ epoch: 3, loss: Number.NaN, val_loss: Infinity, lr: 0.01 });
  });

  it.each([
    ['a non-object', 42],
    ['null', null],
    ['an unknown type', { type: 'explode' }],
    ['a run without a trial', { type: 'run' }],
    ['a run with a malformed trial', { type: 'run', trial: { ...tinyTrial('t1'), config: { learningRate: 'fast' } } }],
    ['a cancel with an unknown reason', { type: 'cancel', trialId: 't1', reason: 'bored' }],
    ['a cancel without its trial', { type: 'cancel', reason: 'pruned' }],
  ])('rejects %s sent to a worker', (_label, value) => {
    expect(decodeParentMessage(value).ok).toBe(false);
  });

  it.each([
    ['a string', 'ready'],
    ['ready with an unknown backend', { type: 'ready', backend: 'quantum', skipped: [] }],
    ['epochs with none in them', { type: 'epochs', records: [] }],
    ['epochs without their records', { type: 'epochs' }],
    ['an epoch with a string loss', { type: 'epochs', records: [{ trialId: 't1', record: { ...epoch, loss: '0.5' } }] }],
    ['an epoch without its trial', { type: 'epochs', records: [{ record: epoch }] }],
    ['an epoch without its record', { type: 'epochs', records: [{ trialId: 't1' }] }],
    ['a good epoch followed by a bad one', { type: 'epochs', records: [{ trialId: 't1', record: epoch }, { trialId: 't2', record: { ...epoch, epoch: -1 } }] }],
    ['a lone epoch in the old one-per-message form', { type: 'epoch', trialId: 't1', record: epoch }],
    ['a result with an unknown status', { type: 'result', result: { ...result, outcome: { status: 'great' } } }],
    ['a cancelled result without its reason', { type: 'result', result: { ...result, outcome: { status: 'cancelled' } } }],
    ['a log at an unknown level', { type: 'log', level: 'loud', event: 'e', fields: {} }],
  ])('rejects %s sent by a worker', (_label, value) => {
    expect(decodeWorkerMessage(value).ok).toBe(false);
  });

  it('says where a message is malformed', () => {
    const decoded = decodeWorkerMessage({ type: 'epochs', records: [{ trialId: 't1', record: epoch }, { trialId: 't1', record: { ...epoch, lr: 'high' } }] });
    expect(decoded).toEqual({ ok: false, problem: expect.stringContaining('records.1.record.lr') });
  });

  it('reads backend requests and maps foreign abort reasons to interrupted', () => {
    expect(parseBackendRequest('wasm')).toBe('wasm');
    expect(parseBackendRequest('auto')).toBe('auto');
    expect(parseBackendRequest('gpu')).toBeNull();
    expect(toCancelReason('lease-lost')).toBe('lease-lost');
    expect(toCancelReason(new Error('x'))).toBe('interrupted');
    expect(toCancelReason(undefined)).toBe('interrupted');
  });
});
