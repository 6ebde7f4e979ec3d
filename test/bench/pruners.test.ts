import { describe, expect, it } from 'vitest';
import { parsePrunerPeerOutput, prunerPeerRows, PrunerPeerOutputError, top3Overlap, type PrunerRankedConfig } from '../../bench/pruners.js';

const config = (learningRate: number, factor: number, patience: number, meanValLoss: number | null): PrunerRankedConfig => ({
  learningRate,
  factor,
  patience,
  meanValLoss,
  diverged: false,
  seedsCompleted: meanValLoss === null ? 1 : 2,
});

const full = [config(0.03, 0.3, 2, 0.037), config(0.03, 0.7, 2, 0.038), config(0.03, 0.5, 2, 0.039)];
const median = [config(0.03, 0.1, 2, 0.041), config(0.03, 0.7, 2, 0.042)];

function way(name: string, epochsTrained: number, top3: PrunerRankedConfig[], pruned: number): object {
  return { way: name, trials: 160, completed: 160 - pruned, pruned, epochsTrained, wallSeconds: 12.5, winner: top3[0] ?? null, top3, ranking: top3 };
}

/** What bench/peer/pruners.py prints: progress on stderr, one JSON line last on stdout. */
const output = JSON.stringify({
  versions: { python: '3.11.2', torch: '1.13.0', optuna: '3.1.0', numpy: '1.24.2' },
  epochsPerTrial: 24,
  ways: [way('none', 3840, full, 0), way('median', 667, median, 142), way('successiveHalving', 719, [], 154)],
});

describe('parsePrunerPeerOutput', () => {
  it('reads each way\'s epochs, wall time, winner and top three from the last line', () => {
    const result = parsePrunerPeerOutput(`a warning torch printed\n${output}\n`);
    expect(result.ways.map((w) => [w.way, w.epochsTrained, w.pruned])).toEqual([
      ['none', 3840, 0],
      ['median', 667, 142],
      ['successiveHalving', 719, 154],
    ]);
    expect(result.ways[0]?.winner).toEqual(full[0]);
    expect(result.ways[2]?.winner).toBeNull();
  });

  it('refuses a last line that is not JSON, without echoing it', () => {
    expect(() => parsePrunerPeerOutput('Traceback (most recent call last): secret')).toThrow(PrunerPeerOutputError);
    expect(() => parsePrunerPeerOutput('Traceback (most recent call last): secret')).not.toThrow(/secret/);
  });

  it('refuses output of another shape, naming the field', () => {
    const broken = output.replace('"epochsTrained":3840', '"epochsTrained":"lots"');
    expect(() => parsePrunerPeerOutput(broken)).toThrow(/ways\.0\.epochsTrained/);
  });
});

describe('the pruners table', () => {
  it('shows each way\'s share of the full grid\'s epochs and whether it found the full winner', () => {
    const rows = prunerPeerRows(parsePrunerPeerOutput(output));
    expect(rows[0]).toMatch(/\| Optuna, no pruner \| 160 \/ 0 \| 3,840 \(100%\) \| 12\.5 \| lr 0\.03 · factor 0\.3 · patience 2 \(0\.03700\) \| yes \| 3\/3 \|/);
    expect(rows[1]).toMatch(/\| Optuna MedianPruner \| 18 \/ 142 \| 667 \(17%\) \| .* \| no \| 1\/3 \|/);
    expect(rows[2]).toMatch(/\| Optuna SuccessiveHalvingPruner \| 6 \/ 154 \| 719 \(19%\) \| 12\.5 \| none \| n\/a \| 0\/3 \|/);
  });

  it('counts top-3 overlap by configuration', () => {
    expect(top3Overlap(median, full)).toBe(1);
    expect(top3Overlap(full, full)).toBe(3);
  });
});
