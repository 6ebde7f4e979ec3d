import { describe, expect, it } from 'vitest';
import { rankConfigs } from '../../src/rank/ranking.js';
import { buildResultsDocument } from '../../src/results/results-document.js';
import { baseSpec, minimize, snapshot, trial } from './sweep-fixtures.js';

// A stopped trial's value at the stop (0.2) is better than the finished trial's final value (0.5).
const finished = trial({ config: { learningRate: 0.01 }, state: 'succeeded', objective: 0.5 });
const stopped = trial({ config: { learningRate: 0.1 }, state: 'pruned', objective: 0.2 });

describe('ranking stopped trials', () => {
  it('ranks a stopped trial below every finished one by default, whatever its value', () => {
    const ranked = rankConfigs([stopped, finished], minimize);
    expect(ranked.map((entry) => entry.config.learningRate)).toEqual([0.01, 0.1]);
    expect(ranked[1]?.objective?.mean).toBe(0.2);
  });

  it('ranks stopped and finished trials together by value with rankStopped: together', () => {
    const ranked = rankConfigs([stopped, finished], minimize, 'together');
    expect(ranked.map((entry) => entry.config.learningRate)).toEqual([0.1, 0.01]);
  });

  it('writes each stopped trial\'s stop record into results.json, and picks the best among finished configs', () => {
    const spec = { ...baseSpec, earlyStop: { rule: 'median', gracePeriod: 5, minTrials: 5, reductionFactor: 3, plateauGuard: true, rankStopped: 'below' } as const };
    const doc = buildResultsDocument(snapshot([stopped, finished], { spec }));
    expect(doc.trials.find((entry) => entry.status === 'pruned')?.stop).toMatchObject({ rule: 'median' });
    expect(doc.trials.find((entry) => entry.status === 'succeeded')?.stop).toBeUndefined();
    expect(doc.best?.config.learningRate).toBe(0.01);
  });
});

describe('results.csv', () => {
  it('has a stop column saying the rule, epoch, value and threshold of each stopped trial', async () => {
    const { resultsCsv } = await import('../../src/results/results-csv.js');
    const stoppedAt = trial({ config: { learningRate: 0.1 }, state: 'pruned', objective: 0.9 });
    const csv = resultsCsv(buildResultsDocument(snapshot([stoppedAt, finished])));
    const [header, ...rows] = csv.trimEnd().split('\r\n');
    expect(header?.split(',').at(-1)).toBe('stop');
    const stopCells = rows.map((row) => row.split(',').at(-1));
    expect(stopCells).toContain('');
    expect(stopCells.some((cell) => cell?.startsWith('median at epoch '))).toBe(true);
  });
});
