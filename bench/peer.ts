// The peer baseline of issue 7: `plateau run bench/specs/sweep27.yaml` against the same sweep
// run by Optuna's GridSampler + PyTorch's ReduceLROnPlateau (bench/peer/optuna_torch_sweep.py),
// on the same rows (exported from our own generator), with 1 and 2 agent slots / worker
// processes, interleaved. Both wall times are whole commands as their users run them (process
// start, imports, every trial). Alone, after `npx tsc -p tsconfig.build.json`:
//   node dist/bench/peer.js [--runs 3] [--epochs 30] [--slots 1,2]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { axisValues } from '../src/spec/grid.js';
import { loadSweepSpecFile } from '../src/spec/load.js';
import type { SweepSpec } from '../src/spec/sweep-spec.js';
import { loadDataset } from '../src/train/datasets/load-dataset.js';
import { plateauBin, runCommand } from './command.js';
import { compareRankings, gridKey, type FinalLosses, type GridPoint, type RankingAgreement } from './ranking-agreement.js';
import { median } from './stats.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const SWEEP27_SPEC = join(root, 'bench', 'specs', 'sweep27.yaml');
export const PEER_SCRIPT = join(root, 'bench', 'peer', 'optuna_torch_sweep.py');
/** Debian's interpreter (it has python3-optuna and python3-torch); PLATEAU_PEER_PYTHON overrides. */
export const PEER_PYTHON = process.env['PLATEAU_PEER_PYTHON'] ?? '/usr/bin/python3';

/** A failed side of the comparison, with what it printed. */
export class PeerBenchError extends Error {
  override readonly name = 'PeerBenchError';
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(`${command} exited ${String(exitCode)}: ${stderrTail}`);
  }
}

// ── I/O: the two sides ─────────────────────────────────────────────────────

/** The sweep spec file with its epochs replaced (a shorter smoke run), comments kept. */
function specWithEpochs(specFile: string, epochs: number, dir: string): string {
  const document = parseDocument(readFileSync(specFile, 'utf8'));
  document.setIn(['workload', 'epochs'], epochs);
  const file = join(dir, 'sweep.yaml');
  writeFileSync(file, document.toString());
  return file;
}

/** Writes the spec's dataset as raw little-endian float32 files the peer maps with numpy. */
export async function exportDataset(spec: SweepSpec, dir: string): Promise<{ dir: string; featureCount: number; trainCount: number; validationCount: number }> {
  const data = await loadDataset(spec.workload.dataset);
  if (data.targetCount !== 1) throw new RangeError('the peer trains single-target regression only');
  const bytes = (array: Float32Array): Buffer => Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  writeFileSync(join(dir, 'x_train.f32'), bytes(data.train.x));
  writeFileSync(join(dir, 'y_train.f32'), bytes(data.train.y));
  writeFileSync(join(dir, 'x_val.f32'), bytes(data.validation.x));
  writeFileSync(join(dir, 'y_val.f32'), bytes(data.validation.y));
  return { dir, featureCount: data.featureCount, trainCount: data.train.count, validationCount: data.validation.count };
}

/** A layer before the peer's linear output (bench/peer/optuna_torch_sweep.py builds relu dense layers). */
export type PeerLayer = { readonly kind: 'dense'; readonly units: number } | { readonly kind: 'batchNorm' } | { readonly kind: 'dropout'; readonly rate: number };

export function hiddenLayers(spec: SweepSpec): PeerLayer[] {
  const model = spec.workload.model;
  if (model.kind !== 'layers') throw new RangeError('the peer builds layer-list MLPs only');
  const last = model.layers[model.layers.length - 1];
  if (last?.kind !== 'dense' || last.units !== 1 || last.activation !== 'linear') throw new RangeError('the peer builds one linear output');
  if (spec.workload.optimizer !== 'adam' || spec.workload.loss !== 'meanSquaredError') throw new RangeError('the peer trains adam + mean squared error');
  return model.layers.slice(0, -1).map((layer): PeerLayer => {
    switch (layer.kind) {
      case 'dense':
        if (layer.activation !== 'relu' || layer.kernelRegularizer !== undefined) throw new RangeError('the peer builds unregularized relu hidden layers');
        return { kind: 'dense', units: layer.units };
      case 'batchNorm':
        return { kind: 'batchNorm' };
      case 'dropout':
        return { kind: 'dropout', rate: layer.rate };
      default:
        throw new RangeError(`the peer builds no ${layer.kind} layer (bench/peer/cnn.py trains the CNN)`);
    }
  });
}

const peerOutputSchema = z.object({
  sweepSeconds: z.number(),
  workers: z.number(),
  versions: z.object({ python: z.string(), torch: z.string(), optuna: z.string(), numpy: z.string() }),
  trials: z.array(
    z.object({
      config: z.object({ learningRate: z.number(), factor: z.number(), patience: z.number(), repeat: z.number().optional() }),
      finalValLoss: z.number().nullable(),
    }),
  ),
});

export interface SweepRun {
  /** The whole command, as its user waits for it. */
  readonly wallSeconds: number;
  /** Trials started (the peer may repeat a grid point when two workers race for the last one). */
  readonly trials: number;
  readonly losses: FinalLosses;
}

export interface PeerRun extends SweepRun {
  /** From study creation to the last worker's exit (no interpreter start or imports). */
  readonly sweepSeconds: number;
  readonly versions: { readonly python: string; readonly torch: string; readonly optuna: string; readonly numpy: string };
}

function lossesOf(entries: readonly { readonly point: GridPoint; readonly loss: number | null }[]): Map<string, number> {
  const losses = new Map<string, number>();
  for (const { point, loss } of entries) {
    const key = gridKey(point);
    // A repeated point keeps its first finished result.
    if (!losses.has(key) || losses.get(key) === Infinity) losses.set(key, loss !== null && Number.isFinite(loss) ? loss : Infinity);
  }
  return losses;
}

/** One peer sweep: `workers` processes over a fresh journal file. */
export async function runPeerSweep(job: Record<string, unknown>, workers: number, dir: string, script: string = PEER_SCRIPT): Promise<PeerRun> {
  const journal = join(dir, `journal-${workers}-${Date.now()}.log`);
  const jobFile = join(dir, 'job.json');
  writeFileSync(jobFile, JSON.stringify({ ...job, journal }));
  // One thread per worker, OpenBLAS's own pool included (torch.set_num_threads does not reach it here).
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  const finished = await runCommand(PEER_PYTHON, [script, jobFile, '--workers', String(workers)], env);
  rmSync(journal, { force: true });
  if (finished.code !== 0) throw new PeerBenchError(`${script} --workers ${workers}`, finished.code, finished.stderr.slice(-2000));
  const lastLine = finished.stdout.trim().split('\n').pop() ?? '';
  const output = peerOutputSchema.parse(JSON.parse(lastLine));
  return {
    wallSeconds: finished.seconds,
    sweepSeconds: output.sweepSeconds,
    trials: output.trials.length,
    losses: lossesOf(output.trials.map((trial) => ({ point: trial.config, loss: trial.finalValLoss }))),
    versions: output.versions,
  };
}

const resultsSchema = z.object({
  trials: z.array(
    z.object({
      config: z.object({ learningRate: z.number(), factor: z.number(), patience: z.number() }),
      status: z.string(),
      objective: z.number().nullable(),
    }),
  ),
});
const runJsonSchema = z.object({ results: z.object({ jsonPath: z.string() }) });

/** One `plateau run SPEC --agents N` with a fresh store, as a user runs it. */
export async function runPlateauSweep(specFile: string, agents: number, extraArgs: readonly string[] = []): Promise<SweepRun> {
  const out = mkdtempSync(join(tmpdir(), 'plateau-bench-peer-'));
  try {
    const finished = await runCommand(process.execPath, [plateauBin, 'run', specFile, '--agents', String(agents), '--out', out, '--json', ...extraArgs]);
    if (finished.code !== 0) throw new PeerBenchError(`plateau run ${specFile} --agents ${agents}`, finished.code, finished.stderr.slice(-2000));
    const paths = runJsonSchema.parse(JSON.parse(finished.stdout.trim().split('\n').pop() ?? ''));
    const results = resultsSchema.parse(JSON.parse(readFileSync(paths.results.jsonPath, 'utf8')));
    return {
      wallSeconds: finished.seconds,
      trials: results.trials.length,
      losses: lossesOf(results.trials.map((trial) => ({ point: trial.config, loss: trial.status === 'succeeded' ? trial.objective : null }))),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

// ── The comparison ─────────────────────────────────────────────────────────

export interface PeerComparisonOptions {
  readonly runs: number;
  /** Replaces the spec's 30 epochs (a shorter smoke run). */
  readonly epochs?: number;
  /** Agent slots on our side = worker processes on the peer's. */
  readonly slots?: readonly number[];
  readonly specFile?: string;
  readonly onProgress?: (line: string) => void;
}

export interface SlotComparison {
  readonly slots: number;
  /** Median whole-command wall seconds. */
  readonly oursSeconds: number;
  readonly peerSeconds: number;
  /** Median of the peer's in-script sweep time (no interpreter start or imports). */
  readonly peerSweepSeconds: number;
  /** peerSeconds / oursSeconds: above 1, we are faster. */
  readonly speedup: number;
  readonly oursRuns: readonly number[];
  readonly peerRuns: readonly number[];
  readonly peerTrials: number;
  /** Final val_loss per config, of the last run on each side. */
  readonly oursLosses: FinalLosses;
  readonly peerLosses: FinalLosses;
  /** Of the last run on each side. */
  readonly agreement: RankingAgreement;
}

export interface PeerComparison {
  readonly specFile: string;
  readonly epochs: number;
  readonly runs: number;
  readonly versions: PeerRun['versions'];
  readonly bySlots: readonly SlotComparison[];
}

/** Runs both sides `runs` times per slot count, alternating ours and the peer's. */
export async function comparePeer(options: PeerComparisonOptions): Promise<PeerComparison> {
  const slots = options.slots ?? [1, 2];
  const dir = mkdtempSync(join(tmpdir(), 'plateau-bench-peer-data-'));
  const progress = options.onProgress ?? ((): void => undefined);
  try {
    const baseSpec = options.specFile ?? SWEEP27_SPEC;
    const specFile = options.epochs === undefined ? baseSpec : specWithEpochs(baseSpec, options.epochs, dir);
    const spec = loadSweepSpecFile(specFile);
    const job = {
      data: await exportDataset(spec, dir),
      grid: {
        learningRate: axisValues(spec, 'learningRate'),
        factor: axisValues(spec, 'factor'),
        patience: axisValues(spec, 'patience'),
        // Several seeds per configuration: the peer trains each from its own seed too.
        ...(spec.repeats > 1 ? { repeat: Array.from({ length: spec.repeats }, (_, r) => r) } : {}),
      },
      hidden: hiddenLayers(spec),
      epochs: spec.workload.epochs,
      batchSize: spec.workload.batchSize,
      seed: spec.workload.seed,
      minDelta: spec.plateau.minDelta,
      cooldown: spec.plateau.cooldown,
      minLr: spec.plateau.minLr,
    };
    const ours = new Map<number, SweepRun[]>();
    const peer = new Map<number, PeerRun[]>();
    for (let run = 0; run < options.runs; run++) {
      for (const n of slots) {
        // Alternate which side goes first, so neither always gets the quieter moment.
        const order = run % 2 === 0 ? (['ours', 'peer'] as const) : (['peer', 'ours'] as const);
        for (const side of order) {
          if (side === 'ours') {
            const result = await runPlateauSweep(specFile, n);
            ours.set(n, [...(ours.get(n) ?? []), result]);
            progress(`run ${run + 1}/${options.runs}: plateau run --agents ${n}: ${result.wallSeconds.toFixed(1)} s`);
          } else {
            const result = await runPeerSweep(job, n, dir);
            peer.set(n, [...(peer.get(n) ?? []), result]);
            progress(`run ${run + 1}/${options.runs}: peer --workers ${n}: ${result.wallSeconds.toFixed(1)} s (sweep ${result.sweepSeconds.toFixed(1)} s)`);
          }
        }
      }
    }
    const bySlots = slots.map((n): SlotComparison => {
      const oursRuns = (ours.get(n) ?? []).map((r) => r.wallSeconds);
      const peerRunsFull = peer.get(n) ?? [];
      const peerRuns = peerRunsFull.map((r) => r.wallSeconds);
      const lastOurs = ours.get(n)?.at(-1);
      const lastPeer = peerRunsFull.at(-1);
      const oursSeconds = median(oursRuns);
      const peerSeconds = median(peerRuns);
      return {
        slots: n,
        oursSeconds,
        peerSeconds,
        peerSweepSeconds: median(peerRunsFull.map((r) => r.sweepSeconds)),
        speedup: peerSeconds / oursSeconds,
        oursRuns,
        peerRuns,
        peerTrials: Math.max(...peerRunsFull.map((r) => r.trials)),
        oursLosses: lastOurs?.losses ?? new Map(),
        peerLosses: lastPeer?.losses ?? new Map(),
        agreement: compareRankings(lastOurs?.losses ?? new Map(), lastPeer?.losses ?? new Map()),
      };
    });
    const versions = peer.get(slots[0] ?? 1)?.[0]?.versions ?? { python: '?', torch: '?', optuna: '?', numpy: '?' };
    return { specFile: baseSpec, epochs: spec.workload.epochs, runs: options.runs, versions, bySlots };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** The BENCHMARKS.md section (markdown lines). */
export function peerSection(c: PeerComparison): string[] {
  const rows = c.bySlots.map(
    (s) => `| ${s.slots} | ${fmt(s.oursSeconds)} | ${fmt(s.peerSeconds)} (${fmt(s.peerSweepSeconds)}) | **${fmt(s.speedup)}×** | ${fmt(s.agreement.spearman)} | ${s.agreement.top1Matches ? 'yes' : 'no'} | ${s.agreement.top3Overlap}/3 |`,
  );
  const last = c.bySlots[c.bySlots.length - 1];
  const one = c.bySlots.find((s) => s.slots === 1);
  const scaleOut = c.bySlots
    .filter((s) => s.slots > 1 && one !== undefined)
    .map((s) => `plateau run from 1 to ${s.slots} slots: **${fmt((one?.oursSeconds ?? Number.NaN) / s.oursSeconds)}×** (scale-out efficiency ${fmt((100 * (one?.oursSeconds ?? Number.NaN)) / s.oursSeconds / s.slots, 0)}%).`);
  return [
    '## Sweep: against the Optuna + PyTorch peer',
    '',
    `\`plateau run bench/specs/sweep27.yaml\` (27 configs: lr × factor × patience, ${c.epochs} epochs, MLP 16-64-64-1, batch 64, 8,192 + 2,048 rows)`,
    `against the same sweep by Optuna ${c.versions.optuna} (GridSampler, N worker processes sharing one journal file) and PyTorch ${c.versions.torch}`,
    `(Debian, OpenBLAS, one thread per worker; Adam, Keras initializers, ReduceLROnPlateau with patience − 1 and cooldown − 1, threshold_mode 'abs'),`,
    `Python ${c.versions.python}, trained on the same rows exported from our generator. Wall time of the whole command on each side (peer in parentheses: its`,
    `sweep alone, without interpreter start and imports); median of ${c.runs} interleaved runs. Rankings: per-config final val_loss of the last run.`,
    '',
    '| slots / workers | plateau run (s) | peer (s) | peer ÷ ours | Spearman ρ | same top-1 | top-3 overlap |',
    '|---:|---:|---:|---:|---:|---|---:|',
    ...rows,
    '',
    ...scaleOut,
    last === undefined ? '' : `Best config: ours ${last.agreement.oursTop1}; peer ${last.agreement.peerTop1}.`,
    '',
  ];
}

function parseArgs(argv: readonly string[]): PeerComparisonOptions {
  let runs = 3;
  let epochs: number | undefined;
  let slots: number[] = [1, 2];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--runs') runs = Number(argv[++i]);
    else if (arg === '--epochs') epochs = Number(argv[++i]);
    else if (arg === '--slots') slots = String(argv[++i]).split(',').map(Number);
    else throw new Error(`unknown argument ${String(arg)} — expected --runs N, --epochs N or --slots 1,2`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs: a positive integer');
  if (epochs !== undefined && (!Number.isInteger(epochs) || epochs < 1)) throw new Error('--epochs: a positive integer');
  if (slots.length === 0 || slots.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--slots: positive integers, comma-separated');
  return { runs, slots, ...(epochs === undefined ? {} : { epochs }) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = parseArgs(process.argv.slice(2));
  const comparison = await comparePeer({ ...options, onProgress: (line) => process.stderr.write(`[peer] ${line}\n`) });
  process.stdout.write(`${peerSection(comparison).join('\n')}\n`);
  for (const s of comparison.bySlots) {
    process.stdout.write(`slots ${s.slots}: ours ${s.oursRuns.map((t) => fmt(t)).join(', ')} s; peer ${s.peerRuns.map((t) => fmt(t)).join(', ')} s; peer trials ${s.peerTrials}\n`);
  }
  const last = comparison.bySlots[comparison.bySlots.length - 1];
  if (last !== undefined) {
    process.stdout.write('\nfinal val_loss (last run): config — ours — peer\n');
    for (const key of [...last.oursLosses.keys()].sort()) {
      process.stdout.write(`${key} — ${fmt(last.oursLosses.get(key) ?? Number.NaN, 5)} — ${fmt(last.peerLosses.get(key) ?? Number.NaN, 5)}\n`);
    }
  }
}
