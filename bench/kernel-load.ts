// One kernel-bound process for the machine-parallelism figure (bench/machine-parallelism.ts): trains
// bench/specs/sweep27.yaml's 27 configurations as one bundle on the wasm kernels and prints the
// seconds that training took (after a one-epoch warm-up), as JSON on stdout. Argument: epochs (30).
import { silentLogger } from '../src/log/logger.js';
import { selectBackend } from '../src/train/backend.js';
import { loadDataset } from '../src/train/datasets/load-dataset.js';
import { runFusedTrials } from '../src/train/fused/fused-runner.js';
import { referenceGrid } from './fused.js';
import { referenceTrial } from './reference-trial.js';

const epochs = Number(process.argv[2] ?? 30);
if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`epochs: a positive whole number, not ${String(process.argv[2])}`);
await selectBackend('wasm', silentLogger);
await loadDataset(referenceTrial.workload.dataset);
await runFusedTrials(referenceGrid(27, 1), { backend: 'wasm', engine: 'kernel' });
const started = performance.now();
await runFusedTrials(referenceGrid(27, epochs), { backend: 'wasm', engine: 'kernel' });
process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - started) / 1000 })}\n`);
