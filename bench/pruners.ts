// The early-stopping peer of issue 18: bench/specs/grid160.yaml (160 trials) run by Optuna +
// PyTorch three ways — no pruner, MedianPruner, SuccessiveHalvingPruner (bench/peer/pruners.py) —
// on the same rows as ours (exported from our generator). `runPrunerPeer` returns typed results
// for any comparison (the early-stop rows of our own sit beside these); `prunersSection` renders
// the peer's table. Alone, after `npx tsc -p tsconfig.build.json`:
//   node dist/bench/pruners.js [--spec FILE] [--ways none,median,successiveHalving]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { axisValues } from '../src/spec/grid.js';
import { loadSweepSpecFile } from '../src/spec/load.js';
import { runCommand } from './command.js';
import { exportDataset, hiddenLayers, PEER_PYTHON, PeerBenchError } from './peer.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const GRID160_SPEC = join(root, 'bench', 'specs', 'grid160.yaml');
export const PRUNERS_SCRIPT = join(root, 'bench', 'peer', 'pruners.py');

export const PRUNER_WAYS = ['none', 'median', 'successiveHalving'] as const;
export type PrunerWay = (typeof PRUNER_WAYS)[number];

const rankedConfigSchema = z.strictObject({
  learningRate: z.number(),
  factor: z.number(),
  patience: z.number(),
  /** Mean final val_loss over the seeds; null when a seed was pruned (unscored) or diverged. */
  meanValLoss: z.number().nullable(),
  diverged: z.boolean(),
  seedsCompleted: z.number().int().nonnegative(),
});

const wayResultSchema = z.strictObject({
  way: z.enum(PRUNER_WAYS),
  trials: z.number().int().nonnegative(),
  completed: z.number().int().nonnegative(),
  pruned: z.number().int().nonnegative(),
  epochsTrained: z.number().int().nonnegative(),
  wallSeconds: z.number().nonnegative(),
  winner: rankedConfigSchema.nullable(),
  top3: z.array(rankedConfigSchema).max(3),
  ranking: z.array(rankedConfigSchema),
});

const prunerPeerOutputSchema = z.strictObject({
  versions: z.strictObject({ python: z.string(), torch: z.string(), optuna: z.string(), numpy: z.string() }),
  epochsPerTrial: z.number().int().positive(),
  ways: z.array(wayResultSchema),
});

/** One configuration as the peer ranked it (the mean over seeds, as src/rank/ranking.ts ranks). */
export type PrunerRankedConfig = z.output<typeof rankedConfigSchema>;
/** One way's run of the whole grid: work done, time taken, what it found. */
export type PrunerWayResult = z.output<typeof wayResultSchema>;
export type PrunerPeerResult = z.output<typeof prunerPeerOutputSchema>;

/** The peer's output did not have the expected shape (a changed script, a crash mid-line). */
export class PrunerPeerOutputError extends Error {
  override readonly name = 'PrunerPeerOutputError';
}

/** Parses the one JSON line bench/peer/pruners.py prints last on stdout. */
export function parsePrunerPeerOutput(stdout: string): PrunerPeerResult {
  const lastLine = stdout.trim().split('\n').pop() ?? '';
  let value: unknown;
  try {
    value = JSON.parse(lastLine);
  } catch {
    throw new PrunerPeerOutputError(`the pruner peer's last line is not JSON (${lastLine.length} characters)`);
  }
  const parsed = prunerPeerOutputSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PrunerPeerOutputError(`the pruner peer's output: ${issue === undefined ? 'invalid' : `${issue.path.join('.')}: ${issue.message}`}`);
  }
  return parsed.data;
}

/** A configuration's grid point as text, e.g. `lr 0.003 · factor 0.5 · patience 4`. */
export function configLabel(config: Pick<PrunerRankedConfig, 'learningRate' | 'factor' | 'patience'>): string {
  return `lr ${config.learningRate} · factor ${config.factor} · patience ${config.patience}`;
}

const sameConfig = (a: Pick<PrunerRankedConfig, 'learningRate' | 'factor' | 'patience'>, b: Pick<PrunerRankedConfig, 'learningRate' | 'factor' | 'patience'>): boolean =>
  a.learningRate === b.learningRate && a.factor === b.factor && a.patience === b.patience;

/** How many of `top3` are among `reference`'s top three. */
export function top3Overlap(top3: readonly PrunerRankedConfig[], reference: readonly PrunerRankedConfig[]): number {
  return top3.filter((config) => reference.some((other) => sameConfig(config, other))).length;
}

export interface PrunerPeerOptions {
  readonly specFile?: string;
  readonly ways?: readonly PrunerWay[];
  /** GridSampler's seed: the order trials run in, so which ones the pruners see first. */
  readonly samplerSeed?: number;
  readonly median?: { readonly nStartupTrials?: number; readonly nWarmupSteps?: number };
  readonly successiveHalving?: { readonly minResource?: number; readonly reductionFactor?: number };
}

/** Runs the peer on the spec's grid (list axes, every seed of `repeats`) and returns its figures. */
export async function runPrunerPeer(options: PrunerPeerOptions = {}): Promise<PrunerPeerResult & { readonly commandSeconds: number }> {
  const spec = loadSweepSpecFile(options.specFile ?? GRID160_SPEC);
  const dir = mkdtempSync(join(tmpdir(), 'plateau-bench-pruners-'));
  try {
    const job = {
      data: await exportDataset(spec, dir),
      grid: {
        learningRate: axisValues(spec, 'learningRate'),
        factor: axisValues(spec, 'factor'),
        patience: axisValues(spec, 'patience'),
        repeat: Array.from({ length: spec.repeats }, (_, repeat) => repeat),
      },
      hidden: hiddenLayers(spec),
      epochs: spec.workload.epochs,
      batchSize: spec.workload.batchSize,
      seed: spec.workload.seed,
      minDelta: spec.plateau.minDelta,
      cooldown: spec.plateau.cooldown,
      minLr: spec.plateau.minLr,
      samplerSeed: options.samplerSeed ?? 0,
      ...(options.median === undefined ? {} : { median: options.median }),
      ...(options.successiveHalving === undefined ? {} : { successiveHalving: options.successiveHalving }),
    };
    const jobFile = join(dir, 'job.json');
    writeFileSync(jobFile, JSON.stringify(job));
    const ways = (options.ways ?? PRUNER_WAYS).join(',');
    // One thread, OpenBLAS's own pool included, as bench/peer.ts runs each peer worker.
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
    const finished = await runCommand(PEER_PYTHON, [PRUNERS_SCRIPT, jobFile, '--ways', ways], env);
    if (finished.code !== 0) throw new PeerBenchError(`${PRUNERS_SCRIPT} --ways ${ways}`, finished.code, finished.stderr.slice(-2000));
    return { ...parsePrunerPeerOutput(finished.stdout), commandSeconds: finished.seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const WAY_LABELS: Readonly<Record<PrunerWay, string>> = {
  none: 'Optuna, no pruner',
  median: 'Optuna MedianPruner',
  successiveHalving: 'Optuna SuccessiveHalvingPruner',
};

const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** Table rows (markdown) for the peer's ways, against its own unpruned run where there is one. */
export function prunerPeerRows(result: PrunerPeerResult): string[] {
  const full = result.ways.find((way) => way.way === 'none');
  return result.ways.map((way) => {
    const share = full === undefined ? 'n/a' : `${fmt((100 * way.epochsTrained) / full.epochsTrained, 0)}%`;
    const sameWinner = full?.winner === null || full === undefined || way.winner === null ? 'n/a' : sameConfig(way.winner, full.winner) ? 'yes' : 'no';
    const overlap = full === undefined ? 'n/a' : `${top3Overlap(way.top3, full.top3)}/3`;
    const winner = way.winner === null ? 'none' : `${configLabel(way.winner)} (${way.winner.meanValLoss?.toPrecision(4) ?? 'n/a'})`;
    return `| ${WAY_LABELS[way.way]} | ${way.completed} / ${way.pruned} | ${way.epochsTrained.toLocaleString('en-US')} (${share}) | ${fmt(way.wallSeconds)} | ${winner} | ${sameWinner} | ${overlap} |`;
  });
}

/** The BENCHMARKS.md section (markdown lines). */
export function prunersSection(result: PrunerPeerResult): string[] {
  return [
    '## Early stopping: Optuna pruners on the 160-trial grid',
    '',
    `\`bench/specs/grid160.yaml\` (5 lr × 4 factor × 4 patience × 2 seeds, ${result.epochsPerTrial} epochs, MLP 8-32-32-1) by Optuna ${result.versions.optuna}`,
    `(GridSampler with a fixed seed, one process, in-memory storage) and PyTorch ${result.versions.torch} (one thread; ReduceLROnPlateau as in the sweep peer),`,
    `Python ${result.versions.python}, on the same rows as ours. Each trial reports val_loss every epoch. A configuration scores the mean final val_loss`,
    'over its seeds; one with a pruned seed is unscored. "Same winner" and "top-3 overlap" are against the unpruned run.',
    '',
    '| way | completed / pruned | epochs trained (of full) | wall (s) | winner (mean val_loss) | same winner | top-3 overlap |',
    '|---|---:|---:|---:|---|---|---:|',
    ...prunerPeerRows(result),
    '',
  ];
}

function parseArgs(argv: readonly string[]): PrunerPeerOptions {
  let specFile: string | undefined;
  let ways: PrunerWay[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--spec') specFile = String(argv[++i]);
    else if (arg === '--ways') {
      ways = String(argv[++i])
        .split(',')
        .map((name) => {
          const way = PRUNER_WAYS.find((known) => known === name);
          if (way === undefined) throw new Error(`--ways: some of ${PRUNER_WAYS.join(', ')}, not ${name}`);
          return way;
        });
    } else throw new Error(`unknown argument ${String(arg)} — expected --spec FILE or --ways none,median,successiveHalving`);
  }
  return { ...(specFile === undefined ? {} : { specFile }), ...(ways === undefined ? {} : { ways }) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runPrunerPeer(parseArgs(process.argv.slice(2)));
  process.stdout.write(`${prunersSection(result).join('\n')}\n`);
  process.stdout.write(`whole command: ${fmt(result.commandSeconds)} s\n`);
  for (const way of result.ways) process.stdout.write(`${way.way} top-3: ${way.top3.map(configLabel).join('; ')}\n`);
}
