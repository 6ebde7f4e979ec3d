// Issue 19 figure: the longest event-loop block (perf_hooks monitorEventLoopDelay) while a
// coordinator takes one N-trial submit. Usage (after npm run build):
//   node scripts/red-team/submit-block.mjs <checkout root> <trials, a multiple of 1000>
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const root = process.argv[2]; const trials = Number(process.argv[3]);
const { Coordinator } = await import(`${root}/dist/coordinator/coordinator.js`);
const coordinator = new Coordinator({ dataDir: mkdtempSync(join(tmpdir(), 'blk-')), expiryCheckIntervalMs: 0 });
const rates = trials / 1000;
const spec = {
  name: 'block', workload: { dataset: { kind: 'synthetic-regression', samples: 64, features: 2, noise: 0.1, seed: 1, validationSplit: 0.25 }, model: { kind: 'layers', layers: [{ kind: 'dense', units: 1, activation: 'linear' }] }, loss: 'meanSquaredError', metrics: [], optimizer: 'sgd', batchSize: 16, epochs: 3, seed: 7 },
  plateau: { monitor: 'val_loss', mode: 'auto', minDelta: 1e-4, cooldown: 0, minLr: 0 },
  grid: { learningRate: Array.from({ length: rates }, (_, i) => (i + 1) / 1e4), factor: Array.from({ length: 100 }, (_, i) => (i + 1) / 101), patience: Array.from({ length: 10 }, (_, i) => i) },
  repeats: 1, objective: { metric: 'val_loss', goal: 'minimize', use: 'final' }, maxAttempts: 2,
};
const h = monitorEventLoopDelay({ resolution: 10 }); h.enable();
// A ticker shows the longest gap between two timer callbacks (what a heartbeat would wait).
let last = performance.now(); let maxGap = 0;
const tick = setInterval(() => { const now = performance.now(); maxGap = Math.max(maxGap, now - last); last = now; }, 5);
const start = performance.now();
await new Promise((r) => setTimeout(r, 20));
const submitted = await coordinator.submitSweep(spec, '');
const wall = performance.now() - start;
await new Promise((r) => setTimeout(r, 20));
h.disable(); clearInterval(tick);
console.log(JSON.stringify({ root: root.split('/').pop(), trials: submitted.totalTrials, wallMs: Math.round(wall), maxLoopDelayMs: Math.round(h.max / 1e6), maxTimerGapMs: Math.round(maxGap), rssMB: Math.round(process.memoryUsage().rss / 1e6) }));
coordinator.close();
