// Red team (issue 19, item 4): a spec text the YAML parser would spend seconds on is refused
// before it is parsed — by its size in bytes, by its keys however they are spelled (flow
// mappings list keys without a colon), and by its token count.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSweepSpecFile, parseSweepSpec } from '../../src/spec/load.js';
import { MAX_SPEC_BYTES, MAX_SPEC_KEYS, measureYamlText } from '../../src/spec/nesting.js';
import { SpecError } from '../../src/spec/spec-error.js';

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

const FILE = '/nonexistent/sized/spec.yaml';

function specError(run: () => unknown): SpecError {
  try {
    run();
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected a SpecError');
}

/** The bypass of issue 19: keys of a flow mapping written without a colon. */
function colonlessFlowKeys(count: number): string {
  return `${VALID}extra: {${Array.from({ length: count }, (_, i) => `k${i}`).join(',')}}\n`;
}

describe('spec text limits', () => {
  it('refuses 80,000 colonless flow-mapping keys with a SpecError naming the key limit', () => {
    const error = specError(() => parseSweepSpec(colonlessFlowKeys(80_000), FILE, { checkFiles: false }));
    expect(error.file).toBe(FILE);
    expect(error.message).toContain(`over the limit of ${MAX_SPEC_KEYS.toLocaleString('en-US')}`);
  });

  it('counts colonless flow-mapping keys, explicit keys and block keys alike', () => {
    expect(measureYamlText('{a, b, c}').keys).toBeGreaterThanOrEqual(3);
    expect(measureYamlText('? a\n? b\n').keys).toBeGreaterThanOrEqual(2);
    expect(measureYamlText('a: 1\nb: 2\n').keys).toBeGreaterThanOrEqual(2);
    expect(measureYamlText('[a, b, c]').keys).toBe(0);
  });

  it('refuses a text over the byte limit with a SpecError naming the file and both sizes', () => {
    const text = `${VALID}# ${'y'.repeat(MAX_SPEC_BYTES)}\n`;
    const error = specError(() => parseSweepSpec(text, FILE, { checkFiles: false }));
    const bytes = Buffer.byteLength(text, 'utf8');
    expect(error.file).toBe(FILE);
    expect(error.message).toContain(bytes.toLocaleString('en-US'));
    expect(error.message).toContain(MAX_SPEC_BYTES.toLocaleString('en-US'));
  });

  it('refuses an oversized spec file by its size, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plateau-spec-size-'));
    const file = join(dir, 'big.yaml');
    writeFileSync(file, `${VALID}# ${'y'.repeat(MAX_SPEC_BYTES)}\n`);
    const error = specError(() => loadSweepSpecFile(file, { checkFiles: false }));
    expect(error.file).toBe(file);
    expect(error.message).toContain(`over the limit of ${MAX_SPEC_BYTES.toLocaleString('en-US')} bytes`);
  });

  it('refuses a list of 200,000 values under the byte limit by its token count', () => {
    const text = `${VALID}extra: [${Array.from({ length: 200_000 }, () => '1').join(',')}]\n`;
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_SPEC_BYTES);
    const error = specError(() => parseSweepSpec(text, FILE, { checkFiles: false }));
    expect(error.message).toContain('YAML tokens');
  });

  it('still parses a real spec', () => {
    expect(parseSweepSpec(VALID, FILE, { checkFiles: false }).name).toBe('sized');
  });
});
