// The sweep's scale-out from 1 to 2 agent slots, with the ceiling the work allows. Prefix
// sharing makes the work of a bundle less than the sum of its members (docs/fused-training.md),
// so 2 slots can go no faster than the slot with the most physical member-epochs: that slot's
// work against the 1-slot total is the honest ceiling, stated next to the measured wall times.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { axisValues } from '../src/spec/grid.js';
import { loadSweepSpecFile } from '../src/spec/load.js';
import type { SweepSpec } from '../src/spec/sweep-spec.js';
import { loadDataset } from '../src/train/datasets/load-dataset.js';
import { logEvents, plateauBin, runCommand } from './command.js';
import { figure, median } from './stats.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export const SWEEP27_X4_SPEC = join(root, 'bench', 'specs', 'sweep27x4.yaml');

const resultsSchema = z.object({
  trials: z.array(z.object({ id: z.string(), history: z.array(z.object({ lr: z.number().nullable() })) })),
});
const runJsonSchema = z.object({ results: z.object({ jsonPath: z.string() }) });
const bundleStartedSchema = z.object({ event: z.literal('bundle.started'), time: z.string(), slot: z.number(), trials: z.array(z.string()) });
const trialFinishedSchema = z.object({ event: z.literal('trial.finished'), time: z.string() });

/** Trials as a slot trains them: the learning rate of each epoch. */
export interface TrialLrHistory {
  readonly id: string;
  readonly lrs: readonly (number | null)[];
}

/**
 * Σ over epochs after `fromEpoch` of the distinct learning-rate prefixes up to that epoch: what
 * one bundle of these trials trains (from the start, or from where a part of it was handed on).
 * A fractional `fromEpoch` (a part that moved mid-epoch) counts the rest of that epoch pro rata.
 */
export function bundleMemberEpochs(trials: readonly TrialLrHistory[], fromEpoch = 0): number {
  const epochs = Math.max(0, ...trials.map((trial) => trial.lrs.length));
  let total = 0;
  for (let e = Math.floor(fromEpoch) + 1; e <= epochs; e++) {
    const share = Math.min(1, e - fromEpoch);
    total += share * new Set(trials.filter((trial) => trial.lrs.length >= e).map((trial) => trial.lrs.slice(0, e).join())).size;
  }
  return total;
}

/** A part of a bundle that moved to another slot (the agent's `bundle.part-taken`). */
export interface MovedPart {
  readonly slot: number;
  readonly fromSlot: number;
  readonly trials: readonly string[];
  /** Epochs trained when it moved, with the batches of the unfinished one as a fraction. */
  readonly epochsDone: number;
}

const partTakenSchema = z.object({ event: z.literal('bundle.part-taken'), slot: z.number(), fromSlot: z.number(), trials: z.array(z.string()), epochsDone: z.number(), batchesDone: z.number() });

/** The moved part a JSON log record reports, if it is a `bundle.part-taken` one (`batchesPerEpoch`: the sweep's). */
export function movedPart(record: unknown, batchesPerEpoch: number): MovedPart | undefined {
  const parsed = partTakenSchema.safeParse(record);
  if (!parsed.success) return undefined;
  const { slot, fromSlot, trials, epochsDone, batchesDone } = parsed.data;
  return { slot, fromSlot, trials, epochsDone: epochsDone + batchesDone / batchesPerEpoch };
}

/** Training batches per epoch of a sweep's trials (the bench sweeps have no batch-size axis). */
export async function sweepBatchesPerEpoch(spec: SweepSpec): Promise<number> {
  const batchSizes = axisValues(spec, 'batchSize');
  if (batchSizes.length > 1) throw new Error(`${spec.name}: the scale-out bench prices work for one batch size`);
  const batchSize = batchSizes[0] ?? spec.workload.batchSize;
  const data = await loadDataset(spec.workload.dataset);
  return Math.ceil(data.train.count / batchSize);
}

/**
 * Physical member-epochs each slot trained: its bundles (trial ids, from `bundle.started`) priced
 * by the trials' histories, less what moved parts took on from their giver. A part holds whole
 * physical members, so its epochs after the move are exactly the giver's loss and the taker's gain.
 */
export function slotMemberEpochs(
  trials: readonly TrialLrHistory[],
  bundles: readonly { readonly slot: number; readonly trials: readonly string[] }[],
  parts: readonly MovedPart[] = [],
): number[] {
  const byId = new Map(trials.map((trial) => [trial.id, trial]));
  const histories = (ids: readonly string[]): TrialLrHistory[] => ids.map((id) => byId.get(id)).filter((trial): trial is TrialLrHistory => trial !== undefined);
  const perSlot: number[] = [];
  const add = (slot: number, work: number): void => {
    perSlot[slot] = (perSlot[slot] ?? 0) + work;
  };
  for (const bundle of bundles) add(bundle.slot, bundleMemberEpochs(histories(bundle.trials)));
  for (const part of parts) {
    const moved = bundleMemberEpochs(histories(part.trials), part.epochsDone);
    add(part.slot, moved);
    add(part.fromSlot, -moved);
  }
  return Array.from(perSlot, (work) => work ?? 0);
}

/** The moved parts in JSON log lines. */
export function movedParts(logLines: readonly string[], batchesPerEpoch: number): MovedPart[] {
  return logLines
    .filter((line) => line.startsWith('{') && line.includes('"bundle.part-taken"'))
    .flatMap((line) => movedPart(JSON.parse(line), batchesPerEpoch) ?? []);
}

export interface ScaleOutRun {
  readonly wallSeconds: number;
  /** First bundle started → last trial finished (the part that slots can shorten). */
  readonly trainingSeconds: number;
  /** Physical member-epochs per slot. */
  readonly slotWork: readonly number[];
}

/** One `plateau run SPEC --agents N`, fresh store; its bundles read from the JSON log on stderr. */
export async function runWithSlotWork(specFile: string, agents: number): Promise<ScaleOutRun> {
  const out = mkdtempSync(join(tmpdir(), 'plateau-bench-scale-'));
  try {
    const { code, stdout, stderr, seconds: wallSeconds } = await runCommand(process.execPath, [
      plateauBin,
      '--log-format',
      'json',
      '--log-level',
      'info',
      'run',
      specFile,
      '--agents',
      String(agents),
      '--out',
      out,
      '--json',
    ]);
    if (code !== 0) throw new Error(`plateau run ${specFile} --agents ${agents} exited ${String(code)}: ${stderr.slice(-2000)}`);
    const paths = runJsonSchema.parse(JSON.parse(stdout.trim().split('\n').pop() ?? ''));
    const results = resultsSchema.parse(JSON.parse(readFileSync(paths.results.jsonPath, 'utf8')));
    const logLines = stderr.split('\n').filter((line) => line.startsWith('{'));
    const bundles = logEvents(stderr, 'bundle.started', bundleStartedSchema);
    const finishes = logEvents(stderr, 'trial.finished', trialFinishedSchema).map((record) => Date.parse(record.time));
    const trainingSeconds = (Math.max(...finishes) - Math.min(...bundles.map((bundle) => Date.parse(bundle.time)))) / 1000;
    const trials = results.trials.map((trial) => ({ id: trial.id, lrs: trial.history.map((record) => record.lr) }));
    const batchesPerEpoch = await sweepBatchesPerEpoch(loadSweepSpecFile(specFile));
    return { wallSeconds, trainingSeconds, slotWork: slotMemberEpochs(trials, bundles, movedParts(logLines, batchesPerEpoch)) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export interface ScaleOutFigures {
  readonly label: string;
  readonly oneSlotSeconds: number;
  readonly twoSlotSeconds: number;
  readonly oneSlotTrainingSeconds: number;
  readonly twoSlotTrainingSeconds: number;
  /** Physical member-epochs with 1 slot. */
  readonly oneSlotWork: number;
  /** Per slot with 2 slots (median run's deal; deals are deterministic but the timing of polls is not). */
  readonly twoSlotWork: readonly number[];
}

/** 1 and 2 slots interleaved `runs` times; medians. */
export async function timeScaleOut(label: string, specFile: string, runs: number): Promise<ScaleOutFigures> {
  const one: ScaleOutRun[] = [];
  const two: ScaleOutRun[] = [];
  for (let run = 0; run < runs; run++) {
    one.push(await runWithSlotWork(specFile, 1));
    two.push(await runWithSlotWork(specFile, 2));
  }
  const twoSeconds = median(two.map((run) => run.wallSeconds));
  const critical = (run: ScaleOutRun): number => Math.max(0, ...run.slotWork);
  const typical = [...two].sort((a, b) => critical(a) - critical(b))[Math.floor(two.length / 2)];
  return {
    label,
    oneSlotSeconds: median(one.map((run) => run.wallSeconds)),
    twoSlotSeconds: twoSeconds,
    oneSlotTrainingSeconds: median(one.map((run) => run.trainingSeconds)),
    twoSlotTrainingSeconds: median(two.map((run) => run.trainingSeconds)),
    oneSlotWork: median(one.map(critical)),
    twoSlotWork: typical?.slotWork ?? [],
  };
}

export function scaleOutSection(figures: readonly ScaleOutFigures[], runs: number): string[] {
  return [
    '## Sweep: scale-out from 1 to 2 slots, and its ceiling',
    '',
    `Whole \`plateau run\` wall time, median of ${runs} interleaved runs. Work: physical member-epochs (prefix sharing trains trials that`,
    'have had the same rates so far once), per slot from the bundles each slot trained and the trials\' learning-rate histories. With',
    '2 slots the run can be no faster than its busiest slot: 1-slot work ÷ busiest slot\'s work is the ceiling of the training phase',
    '(first bundle started → last trial finished; process start, worker start-up and the results files do not shrink with slots).',
    '',
    '| sweep | 1 slot (s) | 2 slots (s) | speed-up 1 → 2 | training phase 1 → 2 (s) | its speed-up | work, 1 slot | work per slot, 2 slots | ceiling |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|',
    ...figures.map((f) => {
      const busiest = Math.max(0, ...f.twoSlotWork);
      const training = `${figure(f.oneSlotTrainingSeconds)} → ${figure(f.twoSlotTrainingSeconds)}`;
      return `| ${f.label} | ${figure(f.oneSlotSeconds)} | ${figure(f.twoSlotSeconds)} | **${figure(f.oneSlotSeconds / f.twoSlotSeconds)}×** | ${training} | ${figure(f.oneSlotTrainingSeconds / f.twoSlotTrainingSeconds)}× | ${figure(f.oneSlotWork, 0)} | ${f.twoSlotWork.map((work) => figure(work, 1)).join(' + ')} | ${figure(f.oneSlotWork / busiest)}× |`;
    }),
    '',
  ];
}
