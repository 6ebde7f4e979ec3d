// A real sweep small enough for a test (8 trials of a tiny MLP, a few seconds on the cpu
// backend), run through the built CLI, so reports are drawn from what the product writes.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { plateauBin } from '../support/plateau-process.js';

export const TINY_SPEC = `name: tiny-report
workload:
  dataset: { kind: synthetic-regression, samples: 256, features: 4, noise: 0.1, seed: 7, validationSplit: 0.25 }
  model:
    layers:
      - { dense: 8, activation: relu }
      - { dense: 1 }
  loss: meanSquaredError
  optimizer: adam
  batchSize: 32
  epochs: 6
  seed: 42
plateau: { monitor: val_loss, minDelta: 1.0e-4, cooldown: 0, minLr: 0 }
grid:
  learningRate: [0.01, 0.1]
  factor: [0.1, 0.5]
  patience: [1, 2]
repeats: 1
objective: { metric: val_loss, goal: minimize, use: final }
`;

/** Writes the tiny spec into a new temp folder and returns its path. */
export async function writeTinySpec(prefix: string): Promise<{ dir: string; specFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const specFile = join(dir, 'tiny.yaml');
  await writeFile(specFile, TINY_SPEC);
  return { dir, specFile };
}

/** `plateau run` on the tiny spec; resolves with the output folder (results.json, report.html). */
export async function runTinySweep(prefix: string): Promise<{ dir: string; outDir: string }> {
  const { dir, specFile } = await writeTinySpec(prefix);
  const outDir = join(dir, 'out');
  await promisify(execFile)(process.execPath, [plateauBin, 'run', specFile, '--agents', '1', '--backend', 'cpu', '--out', outDir, '--json'], { timeout: 60_000 });
  return { dir, outDir };
}
