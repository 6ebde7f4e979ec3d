// The reason a trial failed, where the user looks: results.json and results.csv carry every
// failed or diverged trial's last error, cancelled trials their reason, and the sweep's error once.
import { describe, expect, it } from 'vitest';
import { parseResultsDocument } from '../../src/results/parse-results.js';
import { resultsCsv } from '../../src/results/results-csv.js';
import { buildResultsDocument, serializeResultsDocument } from '../../src/results/results-document.js';
import type { AttemptRecord, TrialRecord } from '../../src/trial/records.js';
import { snapshot, trial } from '../rank/sweep-fixtures.js';

function attempt(n: number, ending: string): AttemptRecord {
  return { attempt: n, agentId: 'agent-1', startedAtMs: 1_700_000_000_000 + n, endedAtMs: 1_700_000_001_000 + n, ending };
}

/** A trial that ended without a result, as the store keeps one that crashed or met a workload error. */
function withoutResult(record: TrialRecord, attempts: readonly AttemptRecord[]): TrialRecord {
  return { ...record, result: null, attempts };
}

const missingColumn = '/data/train.csv:1: the target column "y" is not in the header';

function workloadFailedSweep() {
  return snapshot(
    [
      withoutResult(trial({ id: 'first', config: { learningRate: 0.001 }, state: 'failed' }), [attempt(1, `failed: workload: ${missingColumn}`)]),
      withoutResult(trial({ id: 'queued-then-stopped', config: { learningRate: 0.01 }, state: 'cancelled' }), []),
      trial({ id: 'told-to-stop', config: { learningRate: 0.1 }, state: 'cancelled' }),
    ].map((record) =>
      record.spec.id === 'told-to-stop' && record.result !== null ? { ...record, result: { ...record.result, outcome: { status: 'cancelled', reason: 'workload-error' } } } : record,
    ),
    { error: { kind: 'workload', message: missingColumn, trialId: 'first', scope: 'sweep', atMs: Date.UTC(2025, 0, 2, 3, 5, 0) } },
  );
}

describe('errors in the results document', () => {
  it('gives a trial that failed without a result the error of its last failed attempt', () => {
    const crashed = withoutResult(trial({ id: 'crashed', state: 'failed', attempts: 0 }), [
      attempt(1, 'lease-expired'),
      attempt(2, 'failed: WorkerCrashedError: worker died during trial crashed (signal SIGKILL)'),
    ]);
    const doc = buildResultsDocument(snapshot([crashed]));
    expect(doc.trials[0]?.error).toEqual({ kind: 'WorkerCrashedError', message: 'worker died during trial crashed (signal SIGKILL)' });
  });

  it('names a lost lease as the error when that was the last attempt', () => {
    const lost = withoutResult(trial({ id: 'lost', state: 'failed' }), [attempt(1, 'failed: WorkerTimeoutError: epoch 2 did not finish'), attempt(2, 'lease-expired')]);
    expect(buildResultsDocument(snapshot([lost])).trials[0]?.error?.kind).toBe('lease-expired');
  });

  it('gives a diverged trial an error naming the epoch whose loss was not finite', () => {
    const doc = buildResultsDocument(snapshot([trial({ id: 'boom', state: 'diverged' })]));
    expect(doc.trials[0]?.error).toEqual({ kind: 'diverged', message: 'the loss was not a finite number at epoch 2' });
  });

  it('gives no error to a trial that succeeded after a failed attempt', () => {
    const retried = { ...trial({ id: 'retried' }), attempts: [attempt(1, 'failed: WorkerCrashedError: exit 137'), attempt(2, 'succeeded')] };
    expect(buildResultsDocument(snapshot([retried])).trials[0]).not.toHaveProperty('error');
  });

  it('carries the sweep error once, with its trial, scope and time', () => {
    const doc = buildResultsDocument(workloadFailedSweep());
    expect(doc.sweep.error).toEqual({ kind: 'workload', message: missingColumn, trialId: 'first', scope: 'sweep', at: '2025-01-02T03:05:00.000Z' });
    expect(doc.trials.find((t) => t.id === 'first')?.error).toEqual({ kind: 'workload', message: missingColumn });
  });

  it('says why each cancelled trial was cancelled, whether it had started or not', () => {
    const doc = buildResultsDocument(workloadFailedSweep());
    expect(doc.trials.map((t) => [t.id, t.status, t.cancelReason])).toEqual([
      ['first', 'failed', undefined],
      ['queued-then-stopped', 'cancelled', 'workload-error'],
      ['told-to-stop', 'cancelled', 'workload-error'],
    ]);
  });

  it('has no sweep error when none happened', () => {
    expect(buildResultsDocument(snapshot([trial()])).sweep).not.toHaveProperty('error');
  });

  it('reads back the errors it wrote, and still reads a document written before they existed', () => {
    const doc = buildResultsDocument(workloadFailedSweep());
    expect(parseResultsDocument(JSON.parse(serializeResultsDocument(doc)))).toEqual(doc);
    const older = JSON.parse(serializeResultsDocument(doc)) as { sweep: Record<string, unknown>; trials: Record<string, unknown>[] };
    delete older.sweep['error'];
    for (const t of older.trials) {
      delete t['error'];
      delete t['cancelReason'];
    }
    expect(() => parseResultsDocument(older)).not.toThrow();
  });

  it('fills results.csv\'s error column for a trial that failed without a result', () => {
    const rows = resultsCsv(buildResultsDocument(workloadFailedSweep())).split('\r\n');
    const header = rows[0]?.split(',') ?? [];
    expect(header[header.length - 2]).toBe('error');
    expect(rows[1]).toMatch(/^first,.*,"workload: \/data\/train\.csv:1: the target column ""y"" is not in the header",$/);
  });
});
