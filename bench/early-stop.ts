// Our early stopping on bench/specs/grid160.yaml (issue 18): the whole grid run by `plateau run`
// without earlyStop, then with `earlyStop: { rule: median }` and `{ rule: asha }` (every other
// knob at its default, the plateau guard on). Each way reports the member-epochs its trials
// trained (the sum of their history lengths) against the full grid's, the whole command's wall
// time, and whether it finds the full grid's winner and top three. Optuna's pruners on the same
// grid are the `pruners` section (bench/pruners.ts). Alone, after `npx tsc -p tsconfig.build.json`:
//   node dist/bench/early-stop.js [--agents N]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configKey } from '../src/rank/config-key.js';
import { parseResultsJson } from '../src/results/parse-results.js';
import type { ResultsDocument } from '../src/results/results-document.js';
import type { StopRuleName } from '../src/stopping/stop-types.js';
import { plateauBin, runCommand } from './command.js';
import { GRID160_SPEC } from './pruners.js';
import { median } from './stats.js';

export const EARLY_STOP_WAYS = ['none', 'median', 'asha'] as const;
export type EarlyStopWay = (typeof EARLY_STOP_WAYS)[number];

/** A ranked configuration as the table shows it. */
export interface EarlyStopRankedConfig {
  readonly key: string;
  readonly label: string;
  readonly objective: number | null;
}

/** One way's run of the whole grid. */
export interface EarlyStopWayResult {
  readonly way: EarlyStopWay;
  readonly trials: number;
  readonly stopped: number;
  /** Sum of every trial's history length: the member-epochs whose results were kept. */
  readonly memberEpochs: number;
  /** Trials × epochs: what the grid trains without stopping. */
  readonly fullMemberEpochs: number;
  readonly wallSeconds: number;
  /** Median of the trials' own wall times: a trial that ends before its first heartbeat carries epochs is never judged. */
  readonly medianTrialSeconds: number;
  /** The ranking's first three configs (stopped ones rank below finished ones). */
  readonly top3: readonly EarlyStopRankedConfig[];
}

/** A failed `plateau run` of one way: its exit code and the end of what it printed. */
export class EarlyStopBenchError extends Error {
  override readonly name = 'EarlyStopBenchError';
}

/** The grid160 spec text with an earlyStop block for the rule (the rest of the spec unchanged). */
export function specWithRule(specText: string, rule: StopRuleName | null): string {
  return rule === null ? specText : `${specText.trimEnd()}\nearlyStop: { rule: ${rule} }\n`;
}

/** The figures of one results.json. */
export function summarizeWay(way: EarlyStopWay, doc: ResultsDocument, wallSeconds: number): EarlyStopWayResult {
  const epochs = doc.sweep.spec.workload.epochs;
  return {
    way,
    trials: doc.trials.length,
    stopped: doc.trials.filter((trial) => trial.status === 'pruned').length,
    memberEpochs: doc.trials.reduce((sum, trial) => sum + trial.history.length, 0),
    fullMemberEpochs: doc.trials.length * epochs,
    wallSeconds,
    medianTrialSeconds: median(doc.trials.flatMap((trial) => (trial.wallSeconds === null ? [] : [trial.wallSeconds]))),
    top3: doc.ranking.slice(0, 3).map((entry) => ({
      key: configKey(entry.config),
      label: `lr ${entry.config.learningRate} · factor ${entry.config.factor} · patience ${entry.config.patience}`,
      objective: entry.objective?.mean ?? null,
    })),
  };
}

async function runWay(way: EarlyStopWay, specText: string, agents: number): Promise<EarlyStopWayResult> {
  const dir = mkdtempSync(join(tmpdir(), `plateau-bench-early-stop-${way}-`));
  try {
    const specFile = join(dir, 'grid160.yaml');
    writeFileSync(specFile, specWithRule(specText, way === 'none' ? null : way));
    const out = join(dir, 'out');
    const finished = await runCommand(process.execPath, [plateauBin, 'run', specFile, '--agents', String(agents), '--out', out, '--json']);
    if (finished.code !== 0) throw new EarlyStopBenchError(`plateau run (${way}) exited ${String(finished.code)}: ${finished.stderr.slice(-1000)}`);
    return summarizeWay(way, parseResultsJson(readFileSync(join(out, 'results.json'), 'utf8'), `results.json (${way})`), finished.seconds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the three ways one after the other on `agents` local slots. */
export async function measureEarlyStop(options: { readonly agents?: number; readonly onProgress?: (line: string) => void } = {}): Promise<EarlyStopWayResult[]> {
  const specText = readFileSync(GRID160_SPEC, 'utf8');
  const results: EarlyStopWayResult[] = [];
  for (const way of EARLY_STOP_WAYS) {
    const result = await runWay(way, specText, options.agents ?? 2);
    options.onProgress?.(`early-stop ${way}: ${result.stopped} stopped, ${result.memberEpochs} member-epochs, ${result.wallSeconds.toFixed(1)} s`);
    results.push(result);
  }
  return results;
}

const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** How many of `top3` are among `reference`'s top three, by configuration. */
export function top3Overlap(top3: readonly EarlyStopRankedConfig[], reference: readonly EarlyStopRankedConfig[]): number {
  return top3.filter((config) => reference.some((other) => other.key === config.key)).length;
}

/** Table rows (markdown), each way against the run without early stopping. */
export function earlyStopRows(results: readonly EarlyStopWayResult[]): string[] {
  const full = results.find((result) => result.way === 'none');
  return results.map((result) => {
    const share = full === undefined ? 'n/a' : `${fmt((100 * result.memberEpochs) / full.memberEpochs, 0)}%`;
    const winner = result.top3[0];
    const sameWinner = full?.top3[0] === undefined || winner === undefined ? 'n/a' : winner.key === full.top3[0].key ? 'yes' : 'no';
    const overlap = full === undefined ? 'n/a' : `${top3Overlap(result.top3, full.top3)}/3`;
    const wall = full === undefined ? fmt(result.wallSeconds) : `${fmt(result.wallSeconds)} (${fmt((100 * result.wallSeconds) / full.wallSeconds, 0)}%)`;
    const label = result.way === 'none' ? 'plateau-sweep, no early stopping' : `plateau-sweep, earlyStop ${result.way}`;
    const winnerText = winner === undefined ? 'none' : `${winner.label} (${winner.objective?.toPrecision(4) ?? 'n/a'})`;
    return `| ${label} | ${result.trials - result.stopped} / ${result.stopped} | ${result.memberEpochs.toLocaleString('en-US')} (${share}) | ${wall} | ${winnerText} | ${sameWinner} | ${overlap} |`;
  });
}

/** Whether each way meets issue 18's goal against the full grid: same top-1, top-3 overlap ≥ 2/3, ≤ 40% of the member-epochs, less wall time. */
export function goalLines(results: readonly EarlyStopWayResult[]): string[] {
  const full = results.find((result) => result.way === 'none');
  if (full === undefined) return [];
  return results
    .filter((result) => result.way !== 'none')
    .map((result) => {
      const checks = [
        ['same top-1', result.top3[0]?.key === full.top3[0]?.key],
        ['top-3 overlap ≥ 2/3', top3Overlap(result.top3, full.top3) >= 2],
        ['≤ 40% of the member-epochs', result.memberEpochs <= 0.4 * full.memberEpochs],
        ['less wall time', result.wallSeconds < full.wallSeconds],
      ] as const;
      const missed = checks.filter(([, met]) => !met).map(([name]) => name);
      return `- ${result.way}: ${missed.length === 0 ? 'meets the goal' : `misses ${missed.join(', ')}`}.`;
    });
}

/** The BENCHMARKS.md section (markdown lines). */
export function earlyStopSection(results: readonly EarlyStopWayResult[], agents: number): string[] {
  const full = results.find((result) => result.way === 'none');
  return [
    '## Early stopping: ours on the 160-trial grid',
    '',
    `\`plateau run bench/specs/grid160.yaml --agents ${agents}\` (5 lr × 4 factor × 4 patience × 2 seeds, ${full === undefined ? '?' : full.fullMemberEpochs / Math.max(1, full.trials)} epochs, fused bundles as by default),`,
    'without early stopping, then with `earlyStop: { rule: median }` and `{ rule: asha }` (grace period 5, minTrials 5, η 3, the plateau guard on: the defaults).',
    'Member-epochs are the epochs whose results each trial keeps (the sum of history lengths); wall time is the whole command.',
    'Stopped configs rank below finished ones, so "same top-1" and "top-3 overlap" compare finished configs with the full grid\'s. Optuna\'s pruners on the same grid: the section above.',
    '',
    '| way | finished / stopped | member-epochs (of full) | wall (s, of full) | top-1 (mean val_loss) | same top-1 | top-3 overlap |',
    '|---|---:|---:|---:|---|---|---:|',
    ...earlyStopRows(results),
    '',
    "Issue 18's goal (same top-1, top-3 overlap ≥ 2/3, ≤ 40% of the member-epochs, less wall time):",
    ...goalLines(results),
    '',
    `A trial is judged on the epochs its heartbeats carry; the leases of an early-stopping sweep make agents send each epoch as it ends`,
    `(one heartbeat in flight per trial), so even short trials are judged while they run. Median trial wall time here: ${results.map((result) => `${result.way} ${fmt(result.medianTrialSeconds, 2)} s`).join(', ')}.`,
    '',
  ];
}

function parseAgents(argv: readonly string[]): number {
  if (argv.length === 0) return 2;
  const agents = Number(argv[1]);
  if (argv[0] !== '--agents' || argv.length !== 2 || !Number.isInteger(agents) || agents < 1) throw new Error('expected --agents N (a positive integer)');
  return agents;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const agents = parseAgents(process.argv.slice(2));
  const results = await measureEarlyStop({ agents, onProgress: (line) => process.stderr.write(`[bench] ${line}\n`) });
  process.stdout.write(`${earlyStopSection(results, agents).join('\n')}\n`);
  for (const result of results) process.stdout.write(`${result.way} top-3: ${result.top3.map((config) => config.label).join('; ')}\n`);
}
