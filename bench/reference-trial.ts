// Epochs per second of the reference trial (issue 3): an MLP 16-64-64-1 (relu), batch 64,
// 8192 training + 2048 validation rows, adam, trained by the real trial runner on each backend
// in one process. `npm run bench` runs it (bench/run.ts); alone, after `npm run build`:
//   node dist/bench/reference-trial.js [--epochs N] [wasm|cpu|tensorflow|tensorflow-gpu …]
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../src/log/logger.js';
import { selectBackend } from '../src/train/backend.js';
import { runFusedTrials } from '../src/train/fused/fused-runner.js';
import { runTrial } from '../src/train/trial-runner.js';
import type { BackendName, TrialResult, TrialSpec } from '../src/trial/types.js';

export const referenceTrial: TrialSpec = {
  id: 'bench-reference',
  workload: {
    dataset: { kind: 'synthetic-regression', samples: 10_240, features: 16, noise: 0.1, seed: 7, validationSplit: 0.2 },
    model: {
      kind: 'layers',
      layers: [
        { kind: 'dense', units: 64, activation: 'relu' },
        { kind: 'dense', units: 64, activation: 'relu' },
        { kind: 'dense', units: 1, activation: 'linear' },
      ],
    },
    loss: 'meanSquaredError',
    metrics: [],
    optimizer: 'adam',
    batchSize: 64,
    epochs: 6,
    seed: 42,
  },
  plateau: { monitor: 'val_loss', mode: 'auto' },
  config: { learningRate: 0.001, factor: 0.5, patience: 2, minDelta: 1e-4, cooldown: 0, minLr: 0, batchSize: 64 },
  repeat: 0,
  seed: 42,
  objective: { metric: 'val_loss', goal: 'minimize', use: 'final' },
};

export interface ReferenceTrialTiming {
  readonly backend: BackendName;
  /** Epochs after the first (which also builds the model and warms kernels up). */
  readonly timedEpochs: number;
  readonly epochsPerSecond: number;
  /** Wall time of the first epoch, including model build and warm-up. */
  readonly firstEpochSeconds: number;
  readonly finalValLoss: number;
}

/**
 * Times the reference trial trained by `train` (which calls onEpoch as each epoch ends) on
 * `backend`: epochs per second after the first, and the first epoch's wall time.
 */
async function timeEpochs(
  backend: BackendName,
  epochs: number,
  engine: string,
  train: (spec: TrialSpec, onEpoch: () => void) => Promise<TrialResult | undefined>,
): Promise<ReferenceTrialTiming> {
  if (epochs < 2) throw new RangeError('epochs: at least 2 (the first one is warm-up)');
  await selectBackend(backend, silentLogger);
  const spec: TrialSpec = { ...referenceTrial, workload: { ...referenceTrial.workload, epochs } };
  const ends: number[] = [];
  const started = performance.now();
  const result = await train(spec, () => ends.push(performance.now()));
  if (result?.outcome.status !== 'succeeded') throw new Error(`reference trial ${result?.outcome.status ?? 'missing'} on ${engine}`);
  const first = ends[0] ?? started;
  const last = ends[ends.length - 1] ?? first;
  return {
    backend,
    timedEpochs: ends.length - 1,
    epochsPerSecond: (ends.length - 1) / ((last - first) / 1000),
    firstEpochSeconds: (first - started) / 1000,
    finalValLoss: result.history[result.history.length - 1]?.val_loss ?? Number.NaN,
  };
}

export function timeReferenceTrial(backend: BackendName, epochs = referenceTrial.workload.epochs): Promise<ReferenceTrialTiming> {
  return timeEpochs(backend, epochs, backend, (spec, onEpoch) => runTrial(spec, { backend, onEpoch }));
}

/** The reference trial alone on the fused wasm kernels (a bundle of one), timed as timeReferenceTrial times it. */
export function timeKernelReferenceTrial(epochs = referenceTrial.workload.epochs): Promise<ReferenceTrialTiming> {
  return timeEpochs('wasm', epochs, 'the fused kernels', async (spec, onEpoch) => (await runFusedTrials([spec], { backend: 'wasm', engine: 'kernel', onEpoch }))[0]);
}

function parseArgs(argv: readonly string[]): { epochs: number; backends: BackendName[] } {
  let epochs = referenceTrial.workload.epochs;
  const backends: BackendName[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--epochs') {
      epochs = Number(argv[++i]);
    } else if (arg === 'wasm' || arg === 'cpu' || arg === 'tensorflow' || arg === 'tensorflow-gpu') {
      backends.push(arg);
    } else {
      throw new Error(`unknown argument ${String(arg)} — expected --epochs N or backend names`);
    }
  }
  return { epochs, backends: backends.length > 0 ? backends : ['wasm', 'cpu'] };
}

async function main(): Promise<void> {
  const { epochs, backends } = parseArgs(process.argv.slice(2));
  const rows: ReferenceTrialTiming[] = [];
  for (const backend of backends) rows.push(await timeReferenceTrial(backend, epochs));
  const lines = [
    `Reference trial: MLP 16-64-64-1 relu, adam, batch 64, 8192 train + 2048 validation rows; Node ${process.version}`,
    '',
    '| backend | epochs/s | timed epochs | first epoch (s) | final val_loss |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.backend} | ${r.epochsPerSecond.toFixed(2)} | ${r.timedEpochs} | ${r.firstEpochSeconds.toFixed(2)} | ${r.finalValLoss.toFixed(4)} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
