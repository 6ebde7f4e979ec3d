// The benchmark of issue 17: bench/specs/mlp-dropout-bn81.yaml (sweep27's MLP with batch norm
// and dropout 0.1 after each hidden layer, 27 configurations × 3 seeds, 30 epochs) by
// `plateau run --agents 2` against the Optuna + PyTorch peer with 2 workers (nn.BatchNorm1d,
// nn.Dropout), and one trial of it per engine: tfjs model.fit (where it trained before) and the
// fused wasm kernels (where it trains now). Where the peer cannot run (no torch or optuna), our
// side is still timed and the section says why the peer is missing.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSweepSpecFile } from '../src/spec/load.js';
import { expandGrid } from '../src/spec/grid.js';
import { runFusedTrials } from '../src/train/fused/fused-runner.js';
import { runTrial } from '../src/train/trial-runner.js';
import type { TrialSpec } from '../src/trial/types.js';
import { runCommand } from './command.js';
import { comparePeer, PEER_PYTHON, runPlateauSweep } from './peer.js';
import { median } from './stats.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const MLP_DROPOUT_BN_SPEC = join(root, 'bench', 'specs', 'mlp-dropout-bn81.yaml');

/** Epochs of the one-trial timing (the first, with model build and warm-up, is not timed). */
const TRIAL_EPOCHS = 6;

const fmt = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** Epochs per second of one trial on `engine` (wasm backend), over its epochs after the first. */
async function trialEpochsPerSecond(spec: TrialSpec, engine: 'model.fit' | 'kernels'): Promise<number> {
  const ends: number[] = [];
  const onEpoch = (): void => {
    ends.push(performance.now());
  };
  if (engine === 'model.fit') await runTrial(spec, { backend: 'wasm', onEpoch });
  else await runFusedTrials([spec], { backend: 'wasm', onEpoch: onEpoch });
  const first = ends[0];
  const last = ends[ends.length - 1];
  if (first === undefined || last === undefined || ends.length < 2) throw new Error(`${engine}: too few epochs timed`);
  return (ends.length - 1) / ((last - first) / 1000);
}

/** Why the peer cannot run here (its interpreter lacks a module), or undefined when it can. */
async function peerMissing(): Promise<string | undefined> {
  const probe = await runCommand(PEER_PYTHON, ['-c', 'import numpy, optuna, torch']);
  return probe.code === 0 ? undefined : `${PEER_PYTHON} cannot import numpy, optuna and torch: ${probe.stderr.trim().split('\n').pop() ?? ''}`;
}

export async function regularizedSweepSections(runs: number, log: (line: string) => void): Promise<string[]> {
  const sweep = loadSweepSpecFile(MLP_DROPOUT_BN_SPEC);
  const first = expandGrid(sweep)[0];
  if (first === undefined) throw new Error(`${MLP_DROPOUT_BN_SPEC} has no trials`);
  const trial: TrialSpec = { ...first, workload: { ...first.workload, epochs: TRIAL_EPOCHS } };
  const perEngine = { 'model.fit': [] as number[], kernels: [] as number[] };
  for (let run = 0; run < runs; run++) {
    for (const engine of ['model.fit', 'kernels'] as const) {
      const rate = await trialEpochsPerSecond(trial, engine);
      perEngine[engine].push(rate);
      log(`run ${run + 1}/${runs}: one trial on ${engine}: ${fmt(rate, 1)} epochs/s`);
    }
  }
  const fitRate = median(perEngine['model.fit']);
  const kernelRate = median(perEngine.kernels);

  const lines = [
    '## Sweep: MLP with dropout and batch norm (issue 17)',
    '',
    '`bench/specs/mlp-dropout-bn81.yaml`: MLP 16-64-64-1, each hidden layer followed by batch norm and dropout 0.1; 27 configs (lr × factor ×',
    'patience) × 3 seeds = 81 trials, 30 epochs, batch 64, 8,192 + 2,048 rows. Dropout and batch norm train fused on the wasm kernels',
    '(the tfjs-ops engine has neither layer, so there is no tfjs-ops figure to set against them).',
    '',
    `One trial, wasm backend, epochs 2–${TRIAL_EPOCHS}: tfjs model.fit ${fmt(fitRate, 1)} epochs/s; fused kernels (a bundle of one) ${fmt(kernelRate, 1)} epochs/s:`,
    `**${fmt(kernelRate / fitRate)}×**. Median of ${runs} interleaved runs.`,
    '',
  ];
  log(`${MLP_DROPOUT_BN_SPEC} against the Optuna + PyTorch peer, 2 slots / workers`);
  try {
    const missing = await peerMissing();
    if (missing !== undefined) throw new Error(missing);
    const comparison = await comparePeer({ runs, slots: [2], specFile: MLP_DROPOUT_BN_SPEC, onProgress: log });
    const two = comparison.bySlots[0];
    if (two === undefined) throw new Error('no 2-slot comparison');
    lines.push(
      `Whole command, 2 slots / 2 workers, median of ${runs} interleaved runs: \`plateau run\` ${fmt(two.oursSeconds)} s; Optuna ${comparison.versions.optuna} + PyTorch`,
      `${comparison.versions.torch} (nn.BatchNorm1d momentum 0.01 = Keras's 0.99, eps 1e-3; nn.Dropout 0.1; one thread per worker) ${fmt(two.peerSeconds)} s:`,
      `**${fmt(two.speedup)}×** (goal ≥ 3×). Runs: ours ${two.oursRuns.map((t) => fmt(t)).join(', ')} s; peer ${two.peerRuns.map((t) => fmt(t)).join(', ')} s.`,
      '',
    );
  } catch (error) {
    log(`peer failed: ${String(error)}`);
    const ours: number[] = [];
    for (let run = 0; run < runs; run++) {
      const result = await runPlateauSweep(MLP_DROPOUT_BN_SPEC, 2);
      ours.push(result.wallSeconds);
      log(`run ${run + 1}/${runs}: plateau run --agents 2: ${fmt(result.wallSeconds, 1)} s (${result.trials} trials)`);
    }
    lines.push(
      `Whole command \`plateau run --agents 2\`: ${fmt(median(ours))} s (median of ${runs}: ${ours.map((t) => fmt(t)).join(', ')} s).`,
      `Peer not measured: ${String(error).slice(0, 300)}`,
      '',
    );
  }
  return lines;
}
