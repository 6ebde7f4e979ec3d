// Issue 17's CNN benchmark (`--only cnn`): bench/specs/cnn27.yaml (conv 3×3×16 → maxpool → conv
// 3×3×32 → maxpool → dense 64 → 10 softmax on 8,192 synthetic 28×28 images, 27 configurations,
// 10 epochs) by `plateau run --agents 2` against Optuna + PyTorch with 2 workers
// (bench/peer/cnn.py), interleaved; and one trial per engine (the wasm kernels against tfjs's
// model.fit). Where the kernels cannot train the spec's head (softmax with sparse categorical
// cross-entropy needs the classification kernels), the sweep runs on tfjs's cpu backend through
// model.fit (tfjs's wasm backend cannot train a conv2d: it has no Conv2DBackpropFilter), and the
// section says so.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { expandGrid } from '../src/spec/grid.js';
import { loadSweepSpecFile } from '../src/spec/load.js';
import type { SweepSpec } from '../src/spec/sweep-spec.js';
import { loadDataset } from '../src/train/datasets/load-dataset.js';
import { runFusedTrials, trainsOnKernels } from '../src/train/fused/fused-runner.js';
import { runTrial } from '../src/train/trial-runner.js';
import type { TrialSpec } from '../src/trial/types.js';
import { PEER_PYTHON, runPeerSweep, runPlateauSweep } from './peer.js';
import { median } from './stats.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const CNN_SPEC = join(root, 'bench', 'specs', 'cnn27.yaml');
const CNN_PEER_SCRIPT = join(root, 'bench', 'peer', 'cnn.py');

/** Epochs of the one-trial timing (the first, with model build and warm-up, is not timed). */
const TRIAL_EPOCHS = 2;

/**
 * Images in the one-trial timing: tfjs's cpu backend (the only one whose model.fit trains a conv2d)
 * takes minutes an epoch on all 8,192, so both engines time the same smaller set (per-image work is equal).
 */
const TRIAL_SAMPLES = 640;

const fmt = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** Epochs per second of one trial, over its epochs after the first. */
async function trialEpochsPerSecond(spec: TrialSpec, engine: 'model.fit (cpu)' | 'kernels'): Promise<number> {
  const ends: number[] = [];
  const onEpoch = (): void => {
    ends.push(performance.now());
  };
  if (engine === 'kernels') await runFusedTrials([spec], { backend: 'wasm', onEpoch });
  else await runTrial(spec, { backend: 'cpu', onEpoch });
  const first = ends[0];
  const last = ends[ends.length - 1];
  if (first === undefined || last === undefined || ends.length < 2) throw new Error(`${engine}: too few epochs timed`);
  return (ends.length - 1) / ((last - first) / 1000);
}

/** The peer's job: the spec's rows exported as NHWC float32 files, its layers before the softmax output, and the grid. */
/** cnn27.yaml with its softmax head replaced by one linear unit on the class index under MSE (what the kernels train before the classification kernels merge). */
function regressionHeadSpec(dir: string): string {
  const document = parseDocument(readFileSync(CNN_SPEC, 'utf8'));
  document.setIn(['workload', 'model', 'layers', 6], document.createNode({ dense: 1 }));
  document.setIn(['workload', 'loss'], 'meanSquaredError');
  document.setIn(['name'], 'cnn27-regression-head');
  const file = join(dir, 'cnn27-regression.yaml');
  writeFileSync(file, document.toString());
  return file;
}

async function peerJob(spec: SweepSpec, dir: string, regression: boolean): Promise<Record<string, unknown>> {
  const data = await loadDataset(spec.workload.dataset);
  const { dataset, model } = spec.workload;
  if (dataset.kind !== 'synthetic-images' || model.kind !== 'layers') throw new RangeError('the CNN peer trains a layer list on synthetic images');
  const bytes = (values: Float32Array): Uint8Array => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  writeFileSync(join(dir, 'x_train.f32'), bytes(data.train.x));
  writeFileSync(join(dir, 'y_train.f32'), bytes(data.train.y));
  writeFileSync(join(dir, 'x_val.f32'), bytes(data.validation.x));
  writeFileSync(join(dir, 'y_val.f32'), bytes(data.validation.y));
  return {
    data: { dir, shape: [dataset.height, dataset.width, dataset.channels], trainCount: data.train.count, validationCount: data.validation.count, regression },
    head: regression ? 'regression' : 'softmax',
    layers: model.layers.slice(0, -1),
    classes: dataset.classes,
    grid: { learningRate: spec.grid.learningRate, factor: spec.grid.factor, patience: spec.grid.patience },
    epochs: spec.workload.epochs,
    batchSize: spec.workload.batchSize,
    seed: spec.workload.seed,
    minDelta: spec.plateau.minDelta,
    cooldown: spec.plateau.cooldown,
    minLr: spec.plateau.minLr,
  };
}

export async function cnnSweepSections(runs: number, log: (line: string) => void): Promise<string[]> {
  const sweep = loadSweepSpecFile(CNN_SPEC);
  const first = expandGrid(sweep)[0];
  if (first === undefined) throw new Error(`${CNN_SPEC} has no trials`);
  const onKernels = await trainsOnKernels(first, 'wasm');
  // The engines compare on the spec's network; without the softmax head on the kernels, on the same convolutions with a regression head (one linear unit, MSE).
  const layers = first.workload.model.kind === 'layers' ? first.workload.model.layers : [];
  const regressionHead = { ...first.workload, model: { kind: 'layers' as const, layers: [...layers.slice(0, -1), { kind: 'dense' as const, units: 1, activation: 'linear' as const }] }, loss: 'meanSquaredError' as const };
  const timed = onKernels ? first.workload : regressionHead;
  const fewer = timed.dataset.kind === 'synthetic-images' ? { ...timed.dataset, samples: TRIAL_SAMPLES } : timed.dataset;
  const trial: TrialSpec = { ...first, workload: { ...timed, dataset: fewer, epochs: TRIAL_EPOCHS } };
  const engines = ['model.fit (cpu)', 'kernels'] as const;
  const rates = new Map<string, number[]>();
  const ours: number[] = [];
  const peer: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'plateau-bench-cnn-'));
  // Before the classification kernels, both sides train the same convolutions with a regression
  // head (model.fit on tfjs's cpu backend, the only one that trains a conv2d, takes about a minute
  // an epoch here: the softmax sweep there would take hours).
  const specFile = onKernels ? CNN_SPEC : regressionHeadSpec(dir);
  const backendArgs: string[] = [];
  let peerError: string | undefined;
  let versions = '';
  try {
    const job = await peerJob(onKernels ? sweep : loadSweepSpecFile(specFile), dir, !onKernels);
    for (let run = 0; run < runs; run++) {
      for (const engine of engines) {
        const rate = await trialEpochsPerSecond(trial, engine);
        rates.set(engine, [...(rates.get(engine) ?? []), rate]);
        log(`run ${run + 1}/${runs}: one trial on ${engine}: ${fmt(rate, 2)} epochs/s`);
      }
      const result = await runPlateauSweep(specFile, 2, backendArgs);
      ours.push(result.wallSeconds);
      log(`run ${run + 1}/${runs}: plateau run --agents 2 ${backendArgs.join(' ')}: ${fmt(result.wallSeconds, 1)} s (${result.trials} trials)`);
      if (peerError === undefined) {
        try {
          const peerRun = await runPeerSweep(job, 2, dir, CNN_PEER_SCRIPT);
          peer.push(peerRun.wallSeconds);
          versions = `Optuna ${peerRun.versions.optuna} + PyTorch ${peerRun.versions.torch}`;
          log(`run ${run + 1}/${runs}: peer ${PEER_PYTHON} bench/peer/cnn.py --workers 2: ${fmt(peerRun.wallSeconds, 1)} s`);
        } catch (error) {
          peerError = String(error).slice(0, 300);
          log(`peer failed: ${peerError}`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const fitRate = median(rates.get('model.fit (cpu)') ?? []);
  const kernelRate = median(rates.get('kernels') ?? []);
  const lines = [
    '## Sweep: small CNN (issue 17)',
    '',
    '`bench/specs/cnn27.yaml`: conv 3×3×16 relu → maxpool 2 → conv 3×3×32 relu → maxpool 2 → flatten → dense 64 relu → dense 10 softmax,',
    'sparse categorical cross-entropy, adam, batch 64, on 8,192 synthetic 28×28×1 images of 10 classes (6,553 train + 1,639 validation);',
    `27 configurations (lr × factor × patience), 10 epochs. Median of ${runs} interleaved run(s).`,
    '',
    `One trial${onKernels ? '' : ' of the same convolutions with a regression head (dense 1, MSE)'} on ${TRIAL_SAMPLES} of the images, epochs 2–${TRIAL_EPOCHS}: tfjs model.fit on the cpu backend ${fmt(fitRate)} epochs/s; the wasm kernels ${fmt(kernelRate)} epochs/s:`,
    `**${fmt(kernelRate / fitRate)}×** for the kernels (tfjs's wasm backend cannot train a conv2d through model.fit: it has no Conv2DBackpropFilter kernel, so tfjs ops run on cpu).`,
    ...(onKernels
      ? []
      : [
          'The kernels have no softmax + sparse categorical cross-entropy head in this build (it comes with the classification kernels), and model.fit',
          'on the cpu backend would take hours on this sweep, so both sides below train the same network with a regression head (dense 1 on the class index, MSE; the peer nn.MSELoss).',
        ]),
    '',
    `Whole command, 2 slots / 2 workers: \`plateau run --agents 2${backendArgs.length > 0 ? ` ${backendArgs.join(' ')}` : ''}\` ${fmt(median(ours))} s (runs ${ours.map((t) => fmt(t)).join(', ')} s)` +
      (peer.length > 0
        ? `; ${versions} (bench/peer/cnn.py, nn.Conv2d/MaxPool2d, CrossEntropyLoss, one thread per worker) ${fmt(median(peer))} s (runs ${peer.map((t) => fmt(t)).join(', ')} s): **${fmt(median(peer) / median(ours))}×** (goal ≥ 1×).`
        : `; peer not measured: ${peerError ?? 'no run'}.`),
    '',
  ];
  return lines;
}
