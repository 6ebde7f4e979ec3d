import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EARLY_STOP_WAYS, earlyStopRows, goalLines, specWithEarlyStop, summarizeWay, top3Overlap, trainedMemberBatches, type EarlyStopWayResult } from '../../bench/early-stop.js';
import { buildResultsDocument } from '../../src/results/results-document.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { findPackageRoot } from '../../src/package-root.js';
import { baseSpec, historyOf, snapshot, trial } from '../rank/sweep-fixtures.js';

const GRID160_SPEC = join(findPackageRoot(import.meta.url), 'bench', 'specs', 'grid160.yaml');
const dir = mkdtempSync(join(tmpdir(), 'plateau-bench-early-stop-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ranked = (key: string, objective: number): EarlyStopWayResult['top3'][number] => ({ key, label: key, objective });

function run(name: string, memberEpochs: number, wallSeconds: number, top3: EarlyStopWayResult['top3'], stopped = 0, trained = memberEpochs * 10): EarlyStopWayResult {
  return { way: name, trials: 160, stopped, memberEpochs, fullMemberEpochs: 3840, trainedMemberBatches: trained, wallSeconds, top3 };
}

const top = [ranked('a', 0.037), ranked('b', 0.038), ranked('c', 0.039)];
const full = { way: 'none', runs: [run('none', 3840, 100, top), run('none', 3840, 90, top), run('none', 3840, 110, top)] };
const median = {
  way: 'median',
  runs: [
    run('median', 1400, 60, [ranked('a', 0.037), ranked('c', 0.039), ranked('d', 0.04)], 120),
    run('median', 1300, 50, top, 125, 9_000),
    run('median', 1500, 70, top, 118),
  ],
};
const asha = { way: 'asha', runs: [run('asha', 1700, 120, [ranked('b', 0.038), ranked('d', 0.04), ranked('e', 0.041)], 130)] };

describe('the early-stop bench', () => {
  it('adds each way\'s earlyStop block, which the spec loader accepts', () => {
    for (const way of EARLY_STOP_WAYS) {
      const file = join(dir, 'way.yaml');
      writeFileSync(file, specWithEarlyStop(readFileSync(GRID160_SPEC, 'utf8'), way.earlyStop));
      const earlyStop = loadSweepSpecFile(file).earlyStop;
      if (way.earlyStop === null) expect(earlyStop).toBeUndefined();
      else expect(earlyStop).toMatchObject({ plateauGuard: true });
    }
    expect(loadSweepSpecFile(join(dir, 'way.yaml')).earlyStop).toMatchObject({ rule: 'asha', gracePeriod: 3, reductionFactor: 2 });
  });

  it('counts member-epochs as the sum of history lengths, and the stopped trials', () => {
    const doc = buildResultsDocument(
      snapshot([
        trial({ config: { learningRate: 0.01 }, objective: 0.5 }),
        trial({ config: { learningRate: 0.1 }, state: 'pruned', objective: 0.9, history: historyOf(4, 0.9) }),
      ]),
    );
    const result = summarizeWay('median', doc, 12.5, 700);
    expect(result).toMatchObject({ trials: 2, stopped: 1, memberEpochs: baseSpec.workload.epochs + 4, fullMemberEpochs: 2 * baseSpec.workload.epochs, wallSeconds: 12.5, trainedMemberBatches: 700 });
    expect(result.top3.map((config) => config.label)).toEqual(['lr 0.01 · factor 0.5 · patience 2', 'lr 0.1 · factor 0.5 · patience 2']);
  });

  it('adds up the physical member-batches of the workers\' fused.trained lines, and nothing else', () => {
    const log = [
      '{"event":"fused.trained","memberBatches":6214,"fromEpoch":0}',
      '{"event":"heartbeat.answered","memberBatches":99}',
      'not json "fused.trained"',
      '{"event":"fused.trained","memberBatches":3640,"fromEpoch":12}',
    ].join('\n');
    expect(trainedMemberBatches(log)).toBe(9854);
  });

  it('shows each way\'s medians over its runs against the full grid\'s, with the range and how often it kept the winner', () => {
    const rows = earlyStopRows([full, median, asha]);
    expect(rows[0]).toBe('| plateau-sweep, no early stopping | 0 | 3,840 | 100% | 100% | 100.0 (100%) | 3/3 | 3/3 |');
    expect(rows[1]).toBe('| plateau-sweep, earlyStop median | 120 | 1,400 (1,300–1,500) | 36% | 36% | 60.0 (60%) | 3/3 | 2–3/3 |');
    expect(rows[2]).toBe('| plateau-sweep, earlyStop asha | 130 | 1,700 | 44% | 44% | 120.0 (120%) | 0/1 | 1/3 |');
  });

  it('says which part of the goal each rule misses', () => {
    expect(top3Overlap(asha.runs[0]?.top3 ?? [], top)).toBe(1);
    expect(goalLines([full, median, asha])).toEqual([
      '- median: meets the goal.',
      '- asha: misses same top-1 in every run, top-3 overlap ≥ 2/3 in every run, ≤ 40% of the member-epochs, less wall time.',
    ]);
  });
});
