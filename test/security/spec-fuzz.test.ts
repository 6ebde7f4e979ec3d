// Property: whatever text a spec file holds — random bytes, a valid spec mangled, nesting
// thousands deep, megabyte strings, alias bombs, YAML tags — parsing either returns a
// SweepSpec or throws SpecError. Never another exception, never a hang. Seeded, bounded.
import { describe, expect, it } from 'vitest';
import { parseSweepSpec, parseSweepSpecJson } from '../../src/spec/load.js';
import { SpecError } from '../../src/spec/spec-error.js';
import { Prng } from './seeded-prng.js';

const VALID = `
name: fuzz
workload:
  dataset: { kind: synthetic-regression, samples: 512, features: 4, seed: 1 }
  model: { layers: [ {dense: 8, activation: relu}, {dropout: 0.1}, {dense: 1} ] }
  loss: meanSquaredError
  optimizer: adam
  batchSize: 32
  epochs: 5
  seed: 3
plateau: { monitor: val_loss, minDelta: 1.0e-4, cooldown: 0, minLr: 0 }
grid:
  learningRate: [0.001, 0.01]
  factor: [0.1, 0.5]
  patience: [2, 5]
repeats: 1
objective: { metric: val_loss, goal: minimize, use: final }
maxAttempts: 3
`;

const FILE = '/nonexistent/fuzz/spec.yaml';

type Outcome = 'parsed' | 'spec-error';

/** Parses, and says which of the two allowed ends it came to; anything else fails the test with the case. */
function outcomeOf(text: string, label: string): Outcome {
  try {
    parseSweepSpec(text, FILE, { checkFiles: false });
    return 'parsed';
  } catch (error) {
    if (error instanceof SpecError) {
      expect(error.issues.length, label).toBeGreaterThan(0);
      for (const issue of error.issues) expect(typeof issue.message, label).toBe('string');
      return 'spec-error';
    }
    throw new Error(`${label}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, { cause: error });
  }
}

const tokens = [': ', '- ', '[', ']', '{', '}', ', ', '\n', '\n  ', '&a ', '*a', '<<: *a\n', '!!js/function "() => 1"', '!!binary aGk=', '!!set', '!!python/object:os.system', '? ', '|\n', '>-\n', '---\n', '...\n', '%YAML 1.1\n', '"', "'", '#', '\t', 'NaN', '.inf', '-.inf', '1e999', '0x1F', '~', 'null', 'true', '__proto__: {polluted: 1}\n', 'constructor: {prototype: {x: 1}}\n'];

function mutate(prng: Prng, text: string): string {
  const at = prng.int(text.length + 1);
  switch (prng.int(6)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1 + prng.int(20));
    case 1:
      return text.slice(0, at) + prng.pick(tokens) + text.slice(at);
    case 2: {
      const from = prng.int(text.length);
      return text.slice(0, at) + text.slice(from, from + prng.int(40)) + text.slice(at);
    }
    case 3:
      return text.replace(/\d+(\.\d+)?(e-?\d+)?/, () => prng.pick(['0', '-1', '1e308', '1e-320', '99999999999999999999', '0.5', '"7"', '[]', '{}', 'NaN', '-0']));
    case 4: {
      const lines = text.split('\n');
      const i = prng.int(lines.length);
      const j = prng.int(lines.length);
      const a = lines[i] ?? '';
      lines[i] = lines[j] ?? '';
      lines[j] = a;
      return lines.join('\n');
    }
    default:
      return text.slice(0, at) + prng.text(1 + prng.int(12)) + text.slice(at);
  }
}

describe('the spec parser under fuzzing', () => {
  it('parses the unmangled spec (the fuzz starts from a valid one)', () => {
    expect(outcomeOf(VALID, 'valid')).toBe('parsed');
  });

  it('answers random text with a SpecError', () => {
    const prng = new Prng(0x5eed);
    for (let i = 0; i < 150; i += 1) {
      const text = prng.text(prng.int(400));
      // Random text is never a whole valid spec: each one must end in a SpecError, nothing else.
      expect(outcomeOf(text, `random #${i} ${JSON.stringify(text.slice(0, 80))}`)).toBe('spec-error');
    }
  });

  it('answers a valid spec mangled 1 to 4 times with a spec or a SpecError', () => {
    const prng = new Prng(0xc0ffee);
    const seen = new Set<Outcome>();
    for (let i = 0; i < 400; i += 1) {
      let text = VALID;
      for (let n = 1 + prng.int(4); n > 0; n -= 1) text = mutate(prng, text);
      seen.add(outcomeOf(text, `mutation #${i} ${JSON.stringify(text)}`));
    }
    // Both ends must be reached, or the fuzz is not exploring.
    expect(seen).toEqual(new Set(['parsed', 'spec-error']));
  });

  it.each([
    ['flow sequences nested 20,000 deep', `name: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`],
    ['flow mappings nested 20,000 deep', `name: ${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}\n`],
    ['block sequences nested 2,000 deep', `grid:\n${Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(i)}- `).join('\n')}x\n`],
    ['a 4 MB name', VALID.replace('name: fuzz', `name: ${'x'.repeat(4 * 1024 * 1024)}`)],
    ['a 4 MB comment', `# ${'y'.repeat(4 * 1024 * 1024)}\n${VALID}`],
    ['20,000 keys', `${VALID}extra:\n${Array.from({ length: 20_000 }, (_, i) => `  k${i}: ${i}`).join('\n')}\n`],
    ['a grid axis of 30,000 values', VALID.replace('learningRate: [0.001, 0.01]', `learningRate: [${Array.from({ length: 30_000 }, (_, i) => (i + 1) / 1e6).join(', ')}]`)],
    [
      'an alias bomb',
      `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n${VALID}`,
    ],
    ['a JavaScript function tag', VALID.replace('name: fuzz', 'name: !!js/function "function () { process.exit(9) }"')],
    ['a prototype-polluting key', `${VALID}__proto__: { polluted: true }\n`],
    ['many documents', `${VALID}---\n${VALID}---\n${VALID}`],
    ['a byte-order mark and CRLF line ends', `\ufeff${VALID.replace(/\n/g, '\r\n')}`],
    ['NUL bytes', VALID.replace('fuzz', 'fu\0zz')],
  ])('answers %s with a spec or a SpecError', (name, text) => {
    outcomeOf(text, name);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('the JSON spec check under fuzzing (what the coordinator runs on SubmitSweep)', () => {
  const compiled = parseSweepSpec(VALID, FILE, { checkFiles: false });

  function replace(prng: Prng, value: unknown, depth: number): unknown {
    if (depth > 0 && typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      const entry = entries[prng.int(entries.length)];
      if (entry !== undefined) {
        const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...value };
        (copy as Record<string, unknown>)[entry[0]] = replace(prng, entry[1], depth - 1);
        return copy;
      }
    }
    return prng.pick<unknown>([null, -1, 0, 1e308, Number.MAX_SAFE_INTEGER + 2, 'x', '', [], {}, [[[]]], { kind: 'csv' }, true, 'x'.repeat(100_000), Array.from({ length: 10_000 }, () => 0.1)]);
  }

  it('answers every mangled compiled spec with a spec or a SpecError', () => {
    const prng = new Prng(0xbadc0de);
    for (let i = 0; i < 300; i += 1) {
      const mangled = replace(prng, compiled, 1 + prng.int(5));
      try {
        parseSweepSpecJson(mangled, { maxTrials: 10_000 });
      } catch (error) {
        if (!(error instanceof SpecError)) throw new Error(`case #${i}: ${String(error)} for ${JSON.stringify(mangled).slice(0, 300)}`, { cause: error });
      }
    }
  });
});
