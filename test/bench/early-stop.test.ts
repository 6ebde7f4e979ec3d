import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { earlyStopRows, goalLines, specWithRule, summarizeWay, top3Overlap, type EarlyStopWayResult } from '../../bench/early-stop.js';
import { buildResultsDocument } from '../../src/results/results-document.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { findPackageRoot } from '../../src/package-root.js';
import { baseSpec, historyOf, snapshot, trial } from '../rank/sweep-fixtures.js';

const GRID160_SPEC = join(findPackageRoot(import.meta.url), 'bench', 'specs', 'grid160.yaml');
const dir = mkdtempSync(join(tmpdir(), 'plateau-bench-early-stop-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ranked = (key: string, objective: number) => ({ key, label: key, objective });

function way(name: EarlyStopWayResult['way'], memberEpochs: number, wallSeconds: number, top3: EarlyStopWayResult['top3'], stopped = 0): EarlyStopWayResult {
  return { way: name, trials: 160, stopped, memberEpochs, fullMemberEpochs: 3840, wallSeconds, medianTrialSeconds: 0.5, top3 };
}

const full = way('none', 3840, 100, [ranked('a', 0.037), ranked('b', 0.038), ranked('c', 0.039)]);
const median = way('median', 1400, 60, [ranked('a', 0.037), ranked('c', 0.039), ranked('d', 0.04)], 120);
const asha = way('asha', 1700, 120, [ranked('b', 0.038), ranked('d', 0.04), ranked('e', 0.041)], 130);

describe('the early-stop bench', () => {
  it('adds an earlyStop block that the spec loader accepts, with the rule asked for', () => {
    for (const rule of ['median', 'asha'] as const) {
      const file = join(dir, `${rule}.yaml`);
      writeFileSync(file, specWithRule(readFileSync(GRID160_SPEC, 'utf8'), rule));
      expect(loadSweepSpecFile(file).earlyStop).toMatchObject({ rule, plateauGuard: true });
    }
    expect(specWithRule('name: x\n', null)).toBe('name: x\n');
  });

  it('counts member-epochs as the sum of history lengths, and the stopped trials', () => {
    const doc = buildResultsDocument(
      snapshot([
        trial({ config: { learningRate: 0.01 }, objective: 0.5 }),
        trial({ config: { learningRate: 0.1 }, state: 'pruned', objective: 0.9, history: historyOf(4, 0.9) }),
      ]),
    );
    const result = summarizeWay('median', doc, 12.5);
    expect(result).toMatchObject({ trials: 2, stopped: 1, memberEpochs: baseSpec.workload.epochs + 4, fullMemberEpochs: 2 * baseSpec.workload.epochs, wallSeconds: 12.5, medianTrialSeconds: 1.5 });
    expect(result.top3.map((config) => config.label)).toEqual(['lr 0.01 · factor 0.5 · patience 2', 'lr 0.1 · factor 0.5 · patience 2']);
  });

  it('shows each way\'s share of the full grid\'s member-epochs and wall time, and whether it kept the winner', () => {
    const rows = earlyStopRows([full, median, asha]);
    expect(rows[0]).toBe('| plateau-sweep, no early stopping | 160 / 0 | 3,840 (100%) | 100.0 (100%) | a (0.03700) | yes | 3/3 |');
    expect(rows[1]).toBe('| plateau-sweep, earlyStop median | 40 / 120 | 1,400 (36%) | 60.0 (60%) | a (0.03700) | yes | 2/3 |');
    expect(rows[2]).toBe('| plateau-sweep, earlyStop asha | 30 / 130 | 1,700 (44%) | 120.0 (120%) | b (0.03800) | no | 1/3 |');
  });

  it('says which part of the goal each rule misses', () => {
    expect(top3Overlap(asha.top3, full.top3)).toBe(1);
    expect(goalLines([full, median, asha])).toEqual([
      '- median: meets the goal.',
      '- asha: misses same top-1, top-3 overlap ≥ 2/3, ≤ 40% of the member-epochs, less wall time.',
    ]);
  });
});
