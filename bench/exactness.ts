// Exactness over whole sweeps (issue 21): every trial of a spec trained four ways in this one
// process, then compared trial by trial.
// - run: what `plateau run` trains on the wasm backend: each fusable group as one bundle
//   (runFusedTrials: the wasm kernels where the network has one, else tfjs ops), other trials
//   through model.fit (runTrial).
// - one by one: each trial alone on the engine the run picks for it (a bundle of one, or runTrial).
// - model.fit on tfjs's wasm backend, and on its cpu backend (runTrial).
// Per pair: how many histories are equal bit for bit, the largest and median relative difference
// of the last epoch's val_loss, the trials whose LR cuts fall at other epochs, and whether the
// ranking's top 3 changes. Alone, after a build:
//   node dist/bench/run.js --only exactness --out /tmp/exactness.md
import { ENGINE_NOISE_RELATIVE_TOLERANCE } from '../src/rank/engine-noise.js';
import { rankConfigs } from '../src/rank/ranking.js';
import { silentLogger } from '../src/log/logger.js';
import { expandGrid } from '../src/spec/grid.js';
import { loadSweepSpecFile } from '../src/spec/load.js';
import { fusionBlocker, fusionKey } from '../src/train/fused/fusion-key.js';
import { runFusedTrials } from '../src/train/fused/fused-runner.js';
import { runTrial } from '../src/train/trial-runner.js';
import type { TrialRecord } from '../src/trial/records.js';
import type { ObjectiveSpec, TrialResult, TrialSpec } from '../src/trial/types.js';
import { median } from './stats.js';

export const EXACTNESS_ENGINES = ['run', 'one-by-one', 'fit-wasm', 'fit-cpu'] as const;
export type ExactnessEngine = (typeof EXACTNESS_ENGINES)[number];

const ENGINE_LABEL: Readonly<Record<ExactnessEngine, string>> = {
  run: '`plateau run` (wasm: fused kernels / tfjs ops bundles)',
  'one-by-one': 'one by one, same engine',
  'fit-wasm': 'model.fit, tfjs wasm',
  'fit-cpu': 'model.fit, tfjs cpu',
};

/** The pairs the table compares, each [a, b]. */
export const EXACTNESS_PAIRS: readonly (readonly [ExactnessEngine, ExactnessEngine])[] = [
  ['run', 'one-by-one'],
  ['run', 'fit-wasm'],
  ['run', 'fit-cpu'],
  ['fit-wasm', 'fit-cpu'],
];

export interface PairComparison {
  readonly a: ExactnessEngine;
  readonly b: ExactnessEngine;
  readonly trials: number;
  /** Trials whose whole history (loss, val_loss, lr per epoch), LR cuts and outcome are equal bit for bit. */
  readonly identical: number;
  /** Over trials: |val_loss_a − val_loss_b| / |val_loss_b| at the last epoch both trained. */
  readonly maxFinalValLossRelDiff: number;
  readonly medianFinalValLossRelDiff: number;
  /** The same for the trial's objective (what the ranking sorts by). */
  readonly maxObjectiveRelDiff: number;
  readonly medianObjectiveRelDiff: number;
  /** Trials whose LR cuts happen at other epochs. */
  readonly otherCuts: number;
  /** The ranking's first three configurations, in order, under a and under b. */
  readonly topA: readonly string[];
  readonly topB: readonly string[];
}

export interface SpecExactness {
  readonly spec: string;
  readonly trials: number;
  readonly epochs: number;
  /** Which engine `run` trained the trials on, e.g. "wasm kernels (27 trials)". */
  readonly runEngine: string;
  readonly seconds: Readonly<Record<ExactnessEngine, number>>;
  readonly pairs: readonly PairComparison[];
}

function relativeDifference(a: number | null | undefined, b: number | null | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) return Number.POSITIVE_INFINITY;
  return Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE);
}

function sameHistory(a: TrialResult, b: TrialResult): boolean {
  if (a.outcome.status !== b.outcome.status || a.lrReductions.join() !== b.lrReductions.join() || a.history.length !== b.history.length) return false;
  return a.history.every((record, e) => {
    const other = b.history[e];
    return other !== undefined && Object.is(record.loss, other.loss) && Object.is(record.val_loss, other.val_loss) && Object.is(record.lr, other.lr);
  });
}

function lastValLoss(result: TrialResult): number | undefined {
  return result.history.at(-1)?.val_loss;
}

/** The first three configurations of the ranking these results give, as "lr/factor/patience". */
function topThree(specs: readonly TrialSpec[], results: readonly TrialResult[], objective: ObjectiveSpec): string[] {
  const records: TrialRecord[] = specs.map((spec, i) => {
    const result = results[i] ?? null;
    const state = result === null ? 'failed' : result.outcome.status;
    return { spec, state, attempts: [], agentId: null, result };
  });
  return rankConfigs(records, objective)
    .slice(0, 3)
    .map(({ config }) => `${config.learningRate}/${config.factor}/${config.patience}`);
}

function comparePair(a: ExactnessEngine, b: ExactnessEngine, specs: readonly TrialSpec[], results: ReadonlyMap<ExactnessEngine, readonly TrialResult[]>): PairComparison {
  const ra = results.get(a) ?? [];
  const rb = results.get(b) ?? [];
  const finals: number[] = [];
  const objectives: number[] = [];
  let identical = 0;
  let otherCuts = 0;
  specs.forEach((_, i) => {
    const x = ra[i];
    const y = rb[i];
    if (x === undefined || y === undefined) return;
    if (sameHistory(x, y)) identical++;
    if (x.lrReductions.join() !== y.lrReductions.join()) otherCuts++;
    finals.push(relativeDifference(lastValLoss(x), lastValLoss(y)));
    objectives.push(relativeDifference(x.objective, y.objective));
  });
  const objective = specs[0]?.objective ?? { metric: 'val_loss', goal: 'minimize', use: 'final' };
  return {
    a,
    b,
    trials: specs.length,
    identical,
    maxFinalValLossRelDiff: Math.max(0, ...finals),
    medianFinalValLossRelDiff: median(finals),
    maxObjectiveRelDiff: Math.max(0, ...objectives),
    medianObjectiveRelDiff: median(objectives),
    otherCuts,
    topA: topThree(specs, ra, objective),
    topB: topThree(specs, rb, objective),
  };
}

/** The trials of `specs` as `plateau run` trains them on wasm: fusable groups as bundles, the rest alone through model.fit. */
async function asTheRunTrains(specs: readonly TrialSpec[], bundles: boolean): Promise<Map<string, TrialResult>> {
  const byId = new Map<string, TrialResult>();
  const groups = new Map<string, TrialSpec[]>();
  for (const spec of specs) {
    const key = bundles ? fusionKey(spec) : `alone:${spec.id}`;
    groups.set(key, [...(groups.get(key) ?? []), spec]);
  }
  for (const group of groups.values()) {
    const first = group[0];
    if (first === undefined) continue;
    const results = fusionBlocker(first) === undefined ? await runFusedTrials(group, { backend: 'wasm' }) : [await runTrial(first, { backend: 'wasm' })];
    for (const result of results) byId.set(result.trialId, result);
  }
  return byId;
}

async function trainAll(engine: ExactnessEngine, specs: readonly TrialSpec[]): Promise<TrialResult[]> {
  let byId: Map<string, TrialResult>;
  if (engine === 'run' || engine === 'one-by-one') byId = await asTheRunTrains(specs, engine === 'run');
  else {
    byId = new Map();
    const backend = engine === 'fit-wasm' ? 'wasm' : 'cpu';
    for (const spec of specs) byId.set(spec.id, await runTrial(spec, { backend, logger: silentLogger }));
  }
  return specs.map((spec) => {
    const result = byId.get(spec.id);
    if (result === undefined) throw new Error(`no result for trial ${spec.id}`);
    return result;
  });
}

/**
 * Trains every trial of `specFile` four ways (EXACTNESS_ENGINES) and compares them pair by pair.
 * `onPartial` sees the pairs compared so far after each engine (the slow cpu one comes last).
 */
export async function measureSpecExactness(specFile: string, label: string, onProgress: (line: string) => void, onPartial?: (partial: SpecExactness) => void): Promise<SpecExactness> {
  const specs = expandGrid(loadSweepSpecFile(specFile));
  const results = new Map<ExactnessEngine, readonly TrialResult[]>();
  const seconds: Record<ExactnessEngine, number> = { run: 0, 'one-by-one': 0, 'fit-wasm': 0, 'fit-cpu': 0 };
  // A spec with no fusable trial trains every trial alone through model.fit on wasm in `run`:
  // one by one and model.fit on wasm would be that very call again, so only cpu is compared.
  const noneFusable = specs.every((spec) => fusionBlocker(spec) !== undefined);
  const engines = noneFusable ? (['run', 'fit-cpu'] as const) : EXACTNESS_ENGINES;
  const blockers = specs.map(fusionBlocker);
  const fusable = blockers.filter((blocker) => blocker === undefined).length;
  const runEngine = fusable === specs.length ? 'wasm kernels' : fusable === 0 ? `model.fit on wasm: ${blockers[0] ?? ''}` : `wasm kernels for ${fusable} trials, model.fit for ${specs.length - fusable}`;
  const soFar = (): SpecExactness => ({
    spec: label,
    trials: specs.length,
    epochs: specs[0]?.workload.epochs ?? 0,
    runEngine,
    seconds: { ...seconds },
    pairs: EXACTNESS_PAIRS.filter(([a, b]) => results.has(a) && results.has(b)).map(([a, b]) => comparePair(a, b, specs, results)),
  });
  for (const engine of engines) {
    onProgress(`${label}: ${specs.length} trials, ${engine}`);
    const started = performance.now();
    results.set(engine, await trainAll(engine, specs));
    seconds[engine] = (performance.now() - started) / 1000;
    onPartial?.(soFar());
  }
  return soFar();
}

const sci = (value: number): string => (value === 0 ? '0' : Number.isFinite(value) ? value.toExponential(1) : '∞');

/** The BENCHMARKS.md section for `measured`. */
export function exactnessSection(measured: readonly SpecExactness[]): string[] {
  return [
    '## Exactness: engines over whole sweeps',
    '',
    'Every trial of each spec trained four ways in one process (bench/exactness.ts): as `plateau run` trains it on the wasm',
    'backend (fusable trials as bundles, on the wasm kernels), one by one on that same engine, and through tfjs-layers\' `model.fit`',
    'on tfjs\'s wasm and cpu backends. "identical": histories (loss, val_loss, lr of every epoch), LR cuts and outcome equal bit',
    'for bit. Relative differences are |a − b| / |b| of the last epoch\'s val_loss; "other cuts": trials whose learning rate is',
    'cut at other epochs; "top 3": the ranking\'s first three configurations (learning rate/factor/patience) under a and under b.',
    '',
    '| spec (trials × epochs, run engine) | a vs b | identical | val_loss rel. diff: max | median | other cuts | top 3 a → b |',
    '|---|---|---:|---:|---:|---:|---|',
    ...measured.flatMap((spec) =>
      spec.pairs.map((pair) => {
        const top = pair.topA.join() === pair.topB.join() ? `same (${pair.topA.join(', ')})` : `${pair.topA.join(', ')} → ${pair.topB.join(', ')}`;
        return `| ${spec.spec} (${spec.trials} × ${spec.epochs}, ${spec.runEngine}) | ${ENGINE_LABEL[pair.a]} vs ${ENGINE_LABEL[pair.b]} | ${pair.identical}/${pair.trials} | ${sci(pair.maxFinalValLossRelDiff)} | ${sci(pair.medianFinalValLossRelDiff)} | ${pair.otherCuts} | ${top} |`;
      }),
    ),
    '',
    'Training the same trials in a bundle or one by one on one engine is bit for bit the same (so are prefix sharing, memory',
    'chunks and work stealing, tested in test/train/fused and test/e2e). Between engines, float32 sums run in other orders',
    '(matrix products, reductions): the difference starts in the last bit and grows over a sweep, mostly once a trial\'s LR is',
    'cut at another epoch. The ranking flags a configuration `within-noise` (≈ in the table) when its objective is within',
    `${String(ENGINE_NOISE_RELATIVE_TOLERANCE)} (relative) of the one ranked just above it (src/rank/engine-noise.ts): another engine could swap the two.`,
    '',
  ];
}
