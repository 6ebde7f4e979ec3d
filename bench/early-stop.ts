// Our early stopping on bench/specs/grid160.yaml (issue 18): the whole grid run by `plateau run`
// without earlyStop, with `earlyStop: { rule: median }` and `{ rule: asha }` (every other knob at
// its default, the plateau guard on), and with ASHA at more, gentler rungs. Each way reports the
// member-epochs its trials kept (the sum of their history lengths) and the work the workers
// trained (physical member-batches, from their debug log) against the full grid's, the whole
// command's wall time, and whether it finds the full grid's winner and top three; interleaved
// runs give medians and ranges. Optuna's pruners on the same grid are the `pruners` section
// (bench/pruners.ts). Alone, after `npx tsc -p tsconfig.build.json`:
//   node dist/bench/early-stop.js [--agents N] [--runs N]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { configKey } from '../src/rank/config-key.js';
import { parseResultsJson } from '../src/results/parse-results.js';
import type { ResultsDocument } from '../src/results/results-document.js';
import { logEvents, plateauBin, runCommand } from './command.js';
import { GRID160_SPEC } from './pruners.js';
import { median } from './stats.js';

/** One way to run the grid: the `earlyStop` block added to the spec, or none. */
export interface EarlyStopWay {
  readonly name: string;
  readonly earlyStop: string | null;
}

export const EARLY_STOP_WAYS: readonly EarlyStopWay[] = [
  { name: 'none', earlyStop: null },
  { name: 'median', earlyStop: '{ rule: median }' },
  { name: 'asha', earlyStop: '{ rule: asha }' },
  // More rungs, each keeping half: with the plateau guard holding back trials near their cuts, a
  // gentler cut at more rungs stops more of the sweep early than the defaults' two rungs (5, 15).
  { name: 'asha, gracePeriod 3, η 2', earlyStop: '{ rule: asha, gracePeriod: 3, reductionFactor: 2 }' },
];

/** A ranked configuration as the table shows it. */
export interface EarlyStopRankedConfig {
  readonly key: string;
  readonly label: string;
  readonly objective: number | null;
}

/** One run of the whole grid one way. */
export interface EarlyStopWayResult {
  readonly way: string;
  readonly trials: number;
  readonly stopped: number;
  /** Sum of every trial's history length: the member-epochs whose results were kept. */
  readonly memberEpochs: number;
  /** Trials × epochs: what the grid trains without stopping. */
  readonly fullMemberEpochs: number;
  /**
   * Batches the workers trained, counted per physical member (prefix sharing trains trials that
   * have had the same rates so far once): the work done, including what a stopped trial trained
   * before its stop reached the worker.
   */
  readonly trainedMemberBatches: number;
  readonly wallSeconds: number;
  /** The ranking's first three configs (stopped ones rank below finished ones). */
  readonly top3: readonly EarlyStopRankedConfig[];
}

/** Every run of one way. */
export interface EarlyStopWayRuns {
  readonly way: string;
  readonly runs: readonly EarlyStopWayResult[];
}

/** A failed `plateau run` of one way: its exit code and the end of what it printed. */
export class EarlyStopBenchError extends Error {
  override readonly name = 'EarlyStopBenchError';
}

/** The grid160 spec text with the way's earlyStop block (the rest of the spec unchanged). */
export function specWithEarlyStop(specText: string, earlyStop: string | null): string {
  return earlyStop === null ? specText : `${specText.trimEnd()}\nearlyStop: ${earlyStop}\n`;
}

/** The physical member-batches the workers' `fused.trained` log lines (JSON, debug level) add up to. */
export function trainedMemberBatches(logText: string): number {
  return logEvents(logText, 'fused.trained', trainedSchema).reduce((sum, record) => sum + record.memberBatches, 0);
}

const trainedSchema = z.object({ event: z.literal('fused.trained'), memberBatches: z.number() });

/** The figures of one results.json. */
export function summarizeWay(way: string, doc: ResultsDocument, wallSeconds: number, trained: number): EarlyStopWayResult {
  const epochs = doc.sweep.spec.workload.epochs;
  return {
    way,
    trials: doc.trials.length,
    stopped: doc.trials.filter((trial) => trial.status === 'pruned').length,
    memberEpochs: doc.trials.reduce((sum, trial) => sum + trial.history.length, 0),
    fullMemberEpochs: doc.trials.length * epochs,
    trainedMemberBatches: trained,
    wallSeconds,
    top3: doc.ranking.slice(0, 3).map((entry) => ({
      key: configKey(entry.config),
      label: `lr ${entry.config.learningRate} · factor ${entry.config.factor} · patience ${entry.config.patience}`,
      objective: entry.objective?.mean ?? null,
    })),
  };
}

async function runWay(way: EarlyStopWay, specText: string, agents: number): Promise<EarlyStopWayResult> {
  const dir = mkdtempSync(join(tmpdir(), 'plateau-bench-early-stop-'));
  try {
    const specFile = join(dir, 'grid160.yaml');
    writeFileSync(specFile, specWithEarlyStop(specText, way.earlyStop));
    const out = join(dir, 'out');
    const args = [plateauBin, 'run', specFile, '--agents', String(agents), '--out', out, '--json', '--log-format', 'json', '--log-level', 'debug'];
    const finished = await runCommand(process.execPath, args);
    if (finished.code !== 0) throw new EarlyStopBenchError(`plateau run (${way.name}) exited ${String(finished.code)}: ${finished.stderr.slice(-1000)}`);
    const doc = parseResultsJson(readFileSync(join(out, 'results.json'), 'utf8'), `results.json (${way.name})`);
    return summarizeWay(way.name, doc, finished.seconds, trainedMemberBatches(finished.stderr));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs every way `runs` times on `agents` local slots, interleaved (each round runs every way once). */
export async function measureEarlyStop(
  options: { readonly agents?: number; readonly runs?: number; readonly onProgress?: (line: string) => void } = {},
): Promise<EarlyStopWayRuns[]> {
  const specText = readFileSync(GRID160_SPEC, 'utf8');
  const runs = EARLY_STOP_WAYS.map((way) => ({ way: way.name, runs: [] as EarlyStopWayResult[] }));
  for (let round = 0; round < (options.runs ?? 1); round++) {
    for (const [index, way] of EARLY_STOP_WAYS.entries()) {
      const result = await runWay(way, specText, options.agents ?? 2);
      options.onProgress?.(`early-stop ${way.name} (run ${round + 1}): ${result.stopped} stopped, ${result.memberEpochs} member-epochs, ${result.wallSeconds.toFixed(1)} s`);
      runs[index]?.runs.push(result);
    }
  }
  return runs;
}

const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const thousands = (value: number): string => Math.round(value).toLocaleString('en-US');

/** How many of `top3` are among `reference`'s top three, by configuration. */
export function top3Overlap(top3: readonly EarlyStopRankedConfig[], reference: readonly EarlyStopRankedConfig[]): number {
  return top3.filter((config) => reference.some((other) => other.key === config.key)).length;
}

/** One way's figures over its runs, against the full grid's (`full`, the way `none`). */
interface WayFigures {
  readonly way: string;
  readonly stopped: number;
  readonly memberEpochs: number;
  readonly memberEpochsRange: readonly [number, number];
  readonly memberEpochsShare: number;
  readonly workShare: number;
  readonly wallSeconds: number;
  readonly wallShare: number;
  readonly sameTop1: number;
  readonly overlapRange: readonly [number, number];
  readonly runs: number;
}

function figuresOf(way: EarlyStopWayRuns, full: EarlyStopWayRuns): WayFigures {
  const reference = full.runs[0]?.top3 ?? [];
  const memberEpochs = way.runs.map((run) => run.memberEpochs);
  const overlaps = way.runs.map((run) => top3Overlap(run.top3, reference));
  const fullEpochs = median(full.runs.map((run) => run.memberEpochs));
  const wallSeconds = median(way.runs.map((run) => run.wallSeconds));
  return {
    way: way.way,
    stopped: median(way.runs.map((run) => run.stopped)),
    memberEpochs: median(memberEpochs),
    memberEpochsRange: [Math.min(...memberEpochs), Math.max(...memberEpochs)],
    memberEpochsShare: median(memberEpochs) / fullEpochs,
    workShare: median(way.runs.map((run) => run.trainedMemberBatches)) / median(full.runs.map((run) => run.trainedMemberBatches)),
    wallSeconds,
    wallShare: wallSeconds / median(full.runs.map((run) => run.wallSeconds)),
    sameTop1: way.runs.filter((run) => run.top3[0] !== undefined && run.top3[0].key === reference[0]?.key).length,
    overlapRange: [Math.min(...overlaps), Math.max(...overlaps)],
    runs: way.runs.length,
  };
}

const percent = (share: number): string => `${fmt(100 * share, 0)}%`;

/** Table rows (markdown): each way's medians over its runs, against the run without early stopping. */
export function earlyStopRows(ways: readonly EarlyStopWayRuns[]): string[] {
  const full = ways.find((way) => way.way === 'none');
  if (full === undefined) return [];
  return ways.map((way) => {
    const f = figuresOf(way, full);
    const label = way.way === 'none' ? 'plateau-sweep, no early stopping' : `plateau-sweep, earlyStop ${way.way}`;
    const range = f.memberEpochsRange[0] === f.memberEpochsRange[1] ? '' : ` (${thousands(f.memberEpochsRange[0])}–${thousands(f.memberEpochsRange[1])})`;
    const overlap = f.overlapRange[0] === f.overlapRange[1] ? `${f.overlapRange[0]}/3` : `${f.overlapRange[0]}–${f.overlapRange[1]}/3`;
    return `| ${label} | ${thousands(f.stopped)} | ${thousands(f.memberEpochs)}${range} | ${percent(f.memberEpochsShare)} | ${percent(f.workShare)} | ${fmt(f.wallSeconds)} (${percent(f.wallShare)}) | ${f.sameTop1}/${f.runs} | ${overlap} |`;
  });
}

/** Whether each way meets issue 18's goal in every run: same top-1, top-3 overlap ≥ 2/3; and, by the medians, ≤ 40% of the member-epochs and less wall time. */
export function goalLines(ways: readonly EarlyStopWayRuns[]): string[] {
  const full = ways.find((way) => way.way === 'none');
  if (full === undefined) return [];
  return ways
    .filter((way) => way.way !== 'none')
    .map((way) => {
      const f = figuresOf(way, full);
      const checks = [
        ['same top-1 in every run', f.sameTop1 === f.runs],
        ['top-3 overlap ≥ 2/3 in every run', f.overlapRange[0] >= 2],
        ['≤ 40% of the member-epochs', f.memberEpochsShare <= 0.4],
        ['less wall time', f.wallShare < 1],
      ] as const;
      const missed = checks.filter(([, met]) => !met).map(([name]) => name);
      return `- ${way.way}: ${missed.length === 0 ? 'meets the goal' : `misses ${missed.join(', ')}`}.`;
    });
}

/** The BENCHMARKS.md section (markdown lines). */
export function earlyStopSection(ways: readonly EarlyStopWayRuns[], agents: number): string[] {
  const full = ways.find((way) => way.way === 'none')?.runs[0];
  const runs = ways[0]?.runs.length ?? 0;
  const winner = full?.top3[0];
  return [
    '## Early stopping: ours on the 160-trial grid',
    '',
    `\`plateau run bench/specs/grid160.yaml --agents ${agents}\` (5 lr × 4 factor × 4 patience × 2 seeds, ${full === undefined ? '?' : full.fullMemberEpochs / Math.max(1, full.trials)} epochs, fused bundles as by default),`,
    'without early stopping, with `earlyStop: { rule: median }` and `{ rule: asha }` (grace period 5, minTrials 5, η 3, the plateau guard on: the defaults),',
    `and with \`{ rule: asha, gracePeriod: 3, reductionFactor: 2 }\` (rungs at 3, 6, 12, each keeping half), ${runs} run${runs === 1 ? '' : 's'} each, interleaved; figures are medians.`,
    'Member-epochs: the epochs whose results each trial keeps (the sum of history lengths, range over the runs). Trained work: the batches the workers',
    'trained per physical member (prefix sharing trains trials with the same rates so far once), including what a stopped trial trained before its stop',
    'reached the worker. Wall time: the whole command. Stopped configs rank below finished ones, so "same top-1" and "top-3 overlap" compare finished',
    `configs with the full grid's (top-1 there: ${winner === undefined ? 'n/a' : `${winner.label}, mean val_loss ${winner.objective?.toPrecision(4) ?? 'n/a'}`}). Optuna's pruners on the same grid: the section above.`,
    '',
    '| way | stopped | member-epochs | of full | trained work, of full | wall (s, of full) | same top-1 (runs) | top-3 overlap |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...earlyStopRows(ways),
    '',
    "Issue 18's goal (same top-1, top-3 overlap ≥ 2/3, ≤ 40% of the member-epochs, less wall time):",
    ...goalLines(ways),
    '',
    'A trial is judged on the epochs its heartbeats carry (each epoch as it ends, one heartbeat in flight per trial), and judged again as later',
    'trials report its epoch or its rung (docs/early-stopping.md). Stops depend on the order trials report in, hence the ranges.',
    '',
  ];
}

function parseArgs(argv: readonly string[]): { readonly agents: number; readonly runs: number } {
  let agents = 2;
  let runs = 1;
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${String(argv[i])}: a positive integer`);
    if (argv[i] === '--agents') agents = value;
    else if (argv[i] === '--runs') runs = value;
    else throw new Error('expected --agents N and/or --runs N (positive integers)');
  }
  return { agents, runs };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { agents, runs } = parseArgs(process.argv.slice(2));
  const results = await measureEarlyStop({ agents, runs, onProgress: (line) => process.stderr.write(`[bench] ${line}\n`) });
  process.stdout.write(`${earlyStopSection(results, agents).join('\n')}\n`);
  for (const way of results) for (const run of way.runs) process.stdout.write(`${way.way} top-3: ${run.top3.map((config) => config.label).join('; ')}\n`);
}
