// Issue 19 figure: time to parse (or refuse) hostile spec texts up to 1 MB. Usage (after
// npm run build): node scripts/red-team/spec-parse.mjs
import { parseSweepSpec } from '../../dist/src/spec/load.js';
const VALID = `
name: sized
workload:
  dataset: { kind: synthetic-regression, samples: 512, features: 4, seed: 1 }
  model: { layers: [ {dense: 8, activation: relu}, {dense: 1} ] }
  batchSize: 32
  epochs: 5
  seed: 3
grid:
  learningRate: [0.001, 0.01]
  factor: [0.5]
  patience: [2]
`;
const cases = {
  'bypass 80k colonless keys (550 KB)': `${VALID}extra: {${Array.from({ length: 80_000 }, (_, i) => `k${i}`).join(',')}}\n`,
  '2,000 colonless flow keys': `${VALID}extra: {${Array.from({ length: 1_990 }, (_, i) => `k${i}`).join(',')}}\n`,
  '19,900-token list (~40 KB)': `${VALID}extra: [${Array.from({ length: 9_900 }, () => '1').join(',')}]\n`,
  '1 MB comment': `${VALID}# ${'y'.repeat(1_040_000)}\n`,
  '1 MB name': VALID.replace('name: sized', `name: ${'x'.repeat(1_040_000)}`),
  '24,000 block list items of 40-char strings (~1 MB)': `${VALID}extra:\n${Array.from({ length: 24_000 }, () => `  - "${'z'.repeat(38)}"`).join('\n')}\n`,
  '1,990 keys, 500-char values (~1 MB)': `${VALID}extra:\n${Array.from({ length: 1_900 }, (_, i) => `  k${i}: ${'v'.repeat(500)}`).join('\n')}\n`,
};
for (const [label, text] of Object.entries(cases)) {
  const start = performance.now();
  let outcome = 'parsed';
  try { parseSweepSpec(text, 'x.yaml', { checkFiles: false }); } catch (e) { outcome = e.name + ': ' + e.message.slice(0, 70); }
  console.log(`${label}: ${text.length} chars, ${(performance.now() - start).toFixed(0)} ms, ${outcome}`);
}
