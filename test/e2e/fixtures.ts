// Small real sweeps for end-to-end tests: specs written to a temp folder, cleaned up after.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export { removeTempDirs, tempDir } from '../support/temp-dirs.js';

/**
 * A grid with a known answer: sgd on a small regression. lr 1e-5 barely moves in 6 epochs,
 * lr 0.05 learns, lr 100 blows up (diverged). So every lr=0.05 config must outrank every
 * lr=1e-5 config, and the lr=100 configs rank last as diverged.
 */
export const knownAnswerSpec = `
name: known-answer
workload:
  dataset: { kind: synthetic-regression, samples: 512, features: 4, noise: 0.05, seed: 3 }
  model: { layers: [ { dense: 16, activation: relu }, { dense: 1 } ] }
  loss: meanSquaredError
  optimizer: sgd
  batchSize: 32
  epochs: 6
  seed: 11
plateau: { monitor: val_loss, minDelta: 1.0e-4 }
grid:
  learningRate: [0.00001, 0.05, 100]
  factor: [0.1, 0.5]
  patience: [1, 2]
objective: { metric: val_loss, goal: minimize, use: final }
`;

export function writeSpec(dir: string, text: string, file = 'sweep.yaml'): string {
  const path = join(dir, file);
  writeFileSync(path, text);
  return path;
}
