// Fused trials vs the same trials one after another (issue 7): wall time of K configurations of
// the reference trial (MLP 16-64-64-1 relu, adam, batch 64, 8192 train + 2048 validation rows),
// from the 27-point grid learningRate × factor × patience, trained by runFusedTrials as one
// bundle and by runTrial in turn, in this one process on one backend. Alone, after a build:
//   node dist/bench/fused.js [--k 27] [--epochs 3] [--runs 1] [wasm|cpu …]
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../src/log/logger.js';
import { selectBackend } from '../src/train/backend.js';
import { loadDataset } from '../src/train/datasets/load-dataset.js';
import { runFusedTrials } from '../src/train/fused/fused-runner.js';
import { runTrial } from '../src/train/trial-runner.js';
import type { BackendName, TrialResult, TrialSpec } from '../src/trial/types.js';
import { referenceTrial } from './reference-trial.js';
import { median } from './stats.js';

export const GRID = {
  learningRate: [0.001, 0.003, 0.01],
  factor: [0.1, 0.3, 0.5],
  patience: [2, 5, 10],
} as const;

/** The first `k` (≤ 27) points of the grid as reference-trial specs, `epochs` each. */
export function referenceGrid(k: number, epochs: number): TrialSpec[] {
  const specs: TrialSpec[] = [];
  for (const learningRate of GRID.learningRate) {
    for (const factor of GRID.factor) {
      for (const patience of GRID.patience) {
        specs.push({
          ...referenceTrial,
          id: `bench-fused-${learningRate}-${factor}-${patience}`,
          workload: { ...referenceTrial.workload, epochs },
          config: { ...referenceTrial.config, learningRate, factor, patience },
        });
      }
    }
  }
  if (!Number.isInteger(k) || k < 1 || k > specs.length) throw new RangeError(`k: a whole number from 1 to ${specs.length}`);
  return specs.slice(0, k);
}

export interface FusedTiming {
  readonly backend: BackendName;
  readonly k: number;
  readonly epochs: number;
  /** Median wall seconds of the K trials run one after another with runTrial. */
  readonly separateSeconds: number;
  /** Median wall seconds of the same K trials as one runFusedTrials bundle. */
  readonly fusedSeconds: number;
  /** separateSeconds / fusedSeconds. */
  readonly speedup: number;
  /** Largest relative difference of any epoch's loss or val_loss between the two (0 on cpu: bit for bit). */
  readonly maxRelativeDifference: number;
  /** Whether every trial's LR reductions and outcome agree. */
  readonly schedulesAgree: boolean;
}

function compare(separate: readonly TrialResult[], fused: readonly TrialResult[]): { maxRelativeDifference: number; schedulesAgree: boolean } {
  let maxRelativeDifference = 0;
  let schedulesAgree = separate.length === fused.length;
  separate.forEach((single, i) => {
    const other = fused[i];
    if (other === undefined) return;
    schedulesAgree &&= single.outcome.status === other.outcome.status && single.lrReductions.join() === other.lrReductions.join();
    single.history.forEach((record, e) => {
      for (const key of ['loss', 'val_loss'] as const) {
        const a = record[key];
        const b = other.history[e]?.[key] ?? Number.NaN;
        if (Number.isFinite(a) || Number.isFinite(b)) maxRelativeDifference = Math.max(maxRelativeDifference, Math.abs(a - b) / Math.max(Math.abs(a), Number.MIN_VALUE));
      }
    });
  });
  return { maxRelativeDifference, schedulesAgree };
}

/**
 * Times K reference-grid trials fused vs separately on `backend` (`runs` times each,
 * interleaved, medians reported). The backend and dataset are loaded, and both paths run once
 * for one epoch, before any timing.
 */
export async function timeFusedVsSeparate(k: number, backend: BackendName, options: { epochs?: number; runs?: number } = {}): Promise<FusedTiming> {
  const epochs = options.epochs ?? 3;
  const runs = options.runs ?? 1;
  const specs = referenceGrid(k, epochs);
  await selectBackend(backend, silentLogger);
  await loadDataset(referenceTrial.workload.dataset);
  // Warm-up, untimed: kernels, and the wasm heap grown to the bundle's size once.
  const warmUp = referenceGrid(k, 1);
  await runTrial(warmUp[0] ?? referenceTrial, { backend });
  await runFusedTrials(warmUp, { backend });
  const separateTimes: number[] = [];
  const fusedTimes: number[] = [];
  let separate: TrialResult[] = [];
  let fused: TrialResult[] = [];
  for (let run = 0; run < runs; run++) {
    let started = performance.now();
    separate = [];
    for (const spec of specs) separate.push(await runTrial(spec, { backend }));
    separateTimes.push((performance.now() - started) / 1000);
    started = performance.now();
    fused = await runFusedTrials(specs, { backend });
    fusedTimes.push((performance.now() - started) / 1000);
  }
  const separateSeconds = median(separateTimes);
  const fusedSeconds = median(fusedTimes);
  return { backend, k, epochs, separateSeconds, fusedSeconds, speedup: separateSeconds / fusedSeconds, ...compare(separate, fused) };
}

export interface EngineTiming {
  readonly k: number;
  readonly epochs: number;
  /** Median wall seconds of the bundle with tfjs ops (engine 'tfjs'). */
  readonly tfjsSeconds: number;
  /** Median wall seconds of the bundle on the wasm kernels (engine 'kernel'). */
  readonly kernelSeconds: number;
  /** Member-epochs the sweep asks for (K × epochs). */
  readonly memberEpochs: number;
  /** Member-epochs actually trained: trials that share their learning-rate history so far train as one. */
  readonly trainedMemberEpochs: number;
  readonly maxRelativeDifference: number;
  readonly schedulesAgree: boolean;
}

/** Σ over epochs of the distinct learning-rate histories up to that epoch: the member-epochs prefix sharing trains. */
export function sharedPrefixMemberEpochs(results: readonly TrialResult[]): number {
  const epochs = Math.max(0, ...results.map((result) => result.history.length));
  let total = 0;
  for (let e = 1; e <= epochs; e++) total += new Set(results.filter((r) => r.history.length >= e).map((r) => r.history.slice(0, e).map((record) => record.lr).join())).size;
  return total;
}

/** The K-config reference grid as one bundle on the wasm backend, tfjs ops vs the wasm kernels, interleaved `runs` times. */
export async function timeFusedEngines(k: number, epochs: number, runs: number): Promise<EngineTiming> {
  const specs = referenceGrid(k, epochs);
  await selectBackend('wasm', silentLogger);
  await loadDataset(referenceTrial.workload.dataset);
  for (const engine of ['tfjs', 'kernel'] as const) await runFusedTrials(referenceGrid(k, 1), { backend: 'wasm', engine });
  const times = { tfjs: [] as number[], kernel: [] as number[] };
  let tfjs: TrialResult[] = [];
  let kernel: TrialResult[] = [];
  for (let run = 0; run < runs; run++) {
    let started = performance.now();
    tfjs = await runFusedTrials(specs, { backend: 'wasm', engine: 'tfjs' });
    times.tfjs.push((performance.now() - started) / 1000);
    started = performance.now();
    kernel = await runFusedTrials(specs, { backend: 'wasm', engine: 'kernel' });
    times.kernel.push((performance.now() - started) / 1000);
  }
  return {
    k,
    epochs,
    tfjsSeconds: median(times.tfjs),
    kernelSeconds: median(times.kernel),
    memberEpochs: k * epochs,
    trainedMemberEpochs: sharedPrefixMemberEpochs(kernel),
    ...compare(tfjs, kernel),
  };
}

function parseArgs(argv: readonly string[]): { k: number; epochs: number; runs: number; backends: BackendName[] } {
  let k = 27;
  let epochs = 3;
  let runs = 1;
  const backends: BackendName[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--k') k = Number(argv[++i]);
    else if (arg === '--epochs') epochs = Number(argv[++i]);
    else if (arg === '--runs') runs = Number(argv[++i]);
    else if (arg === 'wasm' || arg === 'cpu' || arg === 'tensorflow' || arg === 'tensorflow-gpu') backends.push(arg);
    else throw new Error(`unknown argument ${String(arg)} — expected --k N, --epochs N, --runs N or backend names`);
  }
  return { k, epochs, runs, backends: backends.length > 0 ? backends : ['wasm'] };
}

async function main(): Promise<void> {
  const { k, epochs, runs, backends } = parseArgs(process.argv.slice(2));
  const lines = [
    `Fused vs separate: ${k} configs of the reference trial (MLP 16-64-64-1 relu, adam, batch 64, 8192 + 2048 rows), ${epochs} epochs, median of ${runs}; Node ${process.version}`,
    '',
    '| backend | separate (s) | fused (s) | speed-up | max rel. diff | schedules agree |',
    '|---|---:|---:|---:|---:|---|',
  ];
  for (const backend of backends) {
    const t = await timeFusedVsSeparate(k, backend, { epochs, runs });
    lines.push(`| ${t.backend} | ${t.separateSeconds.toFixed(2)} | ${t.fusedSeconds.toFixed(2)} | ${t.speedup.toFixed(1)}× | ${t.maxRelativeDifference.toExponential(1)} | ${t.schedulesAgree ? 'yes' : 'no'} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
