import { describe, expect, it } from 'vitest';
import { parseResultsDocument, parseResultsJson, ResultsDocumentError } from '../../src/results/parse-results.js';
import { buildResultsDocument, RESULTS_SCHEMA_VERSION, serializeResultsDocument } from '../../src/results/results-document.js';
import { snapshot, trial } from '../rank/sweep-fixtures.js';

function sampleSweep() {
  return snapshot([
    trial({ id: 'good-0', config: { learningRate: 0.003 }, repeat: 0, objective: 0.05, lrReductions: [4, 7] }),
    trial({ id: 'good-1', config: { learningRate: 0.003 }, repeat: 1, objective: 0.07, attempts: 2 }),
    trial({ id: 'boom', config: { learningRate: 0.1 }, state: 'diverged' }),
    trial({ id: 'crash', config: { learningRate: 0.03 }, state: 'failed', error: { kind: 'WorkerCrashedError', message: 'exit 1, "oom"' } }),
    trial({ id: 'busy', config: { learningRate: 0.001 }, state: 'leased' }),
  ]);
}

describe('buildResultsDocument', () => {
  it('stamps the schema version and describes the sweep', () => {
    const doc = buildResultsDocument(sampleSweep());
    expect(doc.schemaVersion).toBe(RESULTS_SCHEMA_VERSION);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.sweep).toMatchObject({
      id: 'sw-0001',
      name: 'mlp-plateau',
      specSource: 'name: mlp-plateau\n',
      createdAt: '2025-01-02T03:04:05.000Z',
      finishedAt: '2025-01-02T03:09:05.000Z',
      state: 'finished',
    });
    expect(doc.sweep.spec.grid.learningRate).toEqual([0.001, 0.01]);
    expect(doc.environment).toEqual({ backends: ['cpu'], hosts: ['host-a'], versions: { node: '20.19.0', 'plateau-sweep': '0.1.0' } });
  });

  it('reads as running until the sweep finishes, and cancelled once cancelled', () => {
    expect(buildResultsDocument(snapshot([], { finishedAtMs: null })).sweep).toMatchObject({ state: 'running', finishedAt: null });
    expect(buildResultsDocument(snapshot([], { cancelled: true })).sweep.state).toBe('cancelled');
  });

  it('records every trial with its config, repeat, seed, status, attempts, agent, history and objective', () => {
    const doc = buildResultsDocument(sampleSweep());
    const good = doc.trials.find((t) => t.id === 'good-1');
    expect(good).toMatchObject({
      config: { learningRate: 0.003, factor: 0.5, patience: 2, minDelta: 1e-4, cooldown: 0, minLr: 0, batchSize: 64 },
      repeat: 1,
      seed: 1001,
      status: 'succeeded',
      attempts: 2,
      agent: 'agent-1',
      backend: 'cpu',
      lrReductions: [5],
      objective: 0.07,
      wallSeconds: 1.5,
    });
    expect(good?.history).toHaveLength(10);
    expect(good?.history[9]).toMatchObject({ epoch: 10, val_loss: 0.07 });
  });

  it('shows a leased trial as running and a queued-looking trial without a result as empty', () => {
    const busy = buildResultsDocument(sampleSweep()).trials.find((t) => t.id === 'busy');
    expect(busy).toMatchObject({ status: 'running', history: [], lrReductions: [], objective: null, wallSeconds: null, backend: null });
  });

  it('carries the error of a failed trial and the epoch a diverged trial blew up at', () => {
    const doc = buildResultsDocument(sampleSweep());
    expect(doc.trials.find((t) => t.id === 'crash')?.error).toEqual({ kind: 'WorkerCrashedError', message: 'exit 1, "oom"' });
    expect(doc.trials.find((t) => t.id === 'boom')?.divergedAtEpoch).toBe(2);
    expect(doc.trials.find((t) => t.id === 'good-0')).not.toHaveProperty('error');
  });

  it('ranks configs with their aggregated objective, trial ids and flags, broken ones last', () => {
    const { ranking } = buildResultsDocument(sampleSweep());
    expect(ranking.map((entry) => [entry.rank, entry.config.learningRate])).toEqual([
      [1, 0.003],
      [2, 0.1],
      [3, 0.03],
      [4, 0.001],
    ]);
    expect(ranking[0]?.objective?.mean).toBeCloseTo(0.06, 12);
    expect(ranking[0]?.trialIds).toEqual(['good-0', 'good-1']);
    expect(ranking[1]?.flags).toContain('diverged');
    expect(ranking[2]?.flags).toContain('failed');
    expect(ranking[3]?.statuses).toEqual(['running']);
  });

  it('names the best config with paste-ready snippets', () => {
    const { best } = buildResultsDocument(sampleSweep());
    expect(best?.config.learningRate).toBe(0.003);
    expect(best?.objective.n).toBe(2);
    expect(best?.snippets.keras).toContain('tf.keras.optimizers.Adam(learning_rate=0.003)');
    expect(best?.snippets.tfjs).toContain('tf.train.adam(0.003)');
  });

  it('has no best config when every config diverged or failed', () => {
    const doc = buildResultsDocument(snapshot([trial({ state: 'diverged' }), trial({ config: { learningRate: 0.1 }, state: 'failed' })]));
    expect(doc.best).toBeNull();
  });

  it('reports the per-axis effect of the knobs that vary', () => {
    const doc = buildResultsDocument(sampleSweep());
    expect(doc.axisEffects.map((effect) => effect.axis)).toEqual(['learningRate']);
  });
});

describe('results.json round trip', () => {
  it('writes NaN and Infinity in histories as null, and reads them back as NaN', () => {
    const withNaN = snapshot([
      trial({
        id: 'nan',
        state: 'diverged',
        history: [
          { epoch: 1, loss: 3, val_loss: 2.5, lr: 0.01 },
          { epoch: 2, loss: Number.POSITIVE_INFINITY, val_loss: Number.NaN, lr: 0.01, mse: Number.NaN },
        ],
      }),
    ]);
    const text = serializeResultsDocument(buildResultsDocument(withNaN));
    expect(text).toContain('"loss": null');
    expect(text).not.toMatch(/NaN|Infinity/);
    const back = parseResultsJson(text);
    const epoch2 = back.trials[0]?.history[1];
    expect(epoch2?.loss).toBeNaN();
    expect(epoch2?.val_loss).toBeNaN();
    expect(epoch2?.['mse']).toBeNaN();
    expect(back.trials[0]?.history[0]).toEqual({ epoch: 1, loss: 3, val_loss: 2.5, lr: 0.01 });
  });

  it('reads back exactly the document it wrote', () => {
    const doc = buildResultsDocument(sampleSweep());
    expect(parseResultsDocument(JSON.parse(serializeResultsDocument(doc)))).toEqual(doc);
  });

  it('refuses a document of another schema version, naming the field', () => {
    const value = { ...(JSON.parse(serializeResultsDocument(buildResultsDocument(sampleSweep()))) as Record<string, unknown>), schemaVersion: 2 };
    const error = catchError(() => parseResultsDocument(value, 'runs/x/results.json'));
    expect(error).toBeInstanceOf(ResultsDocumentError);
    expect((error as ResultsDocumentError).source).toBe('runs/x/results.json');
    expect((error as ResultsDocumentError).issues.map((issue) => issue.path)).toEqual(['schemaVersion']);
  });

  it('refuses a trial with an unknown status, naming its path', () => {
    const value = JSON.parse(serializeResultsDocument(buildResultsDocument(sampleSweep()))) as { trials: { status: string }[] };
    const third = value.trials[2];
    if (third !== undefined) third.status = 'exploded';
    const error = catchError(() => parseResultsDocument(value));
    expect((error as ResultsDocumentError).issues.map((issue) => issue.path)).toEqual(['trials.2.status']);
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseResultsJson('{"schemaVersion": 1,', 'results.json')).toThrow(ResultsDocumentError);
  });
});

function catchError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
