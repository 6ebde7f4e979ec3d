// The spec layer's entry points: YAML text or file → validated SweepSpec, or a SpecError
// that lists every problem with its line. Also re-validation of a spec sent as JSON.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { checkInput, checkSpec, type SpecCheckOptions } from './checks.js';
import { compileSpec } from './compile.js';
import { DEFAULT_MAX_TRIALS } from './defaults.js';
import { MAX_SPEC_BYTES, MAX_SPEC_DEPTH, MAX_SPEC_KEYS, MAX_SPEC_TOKENS, measureYamlText, nestedDeeperThan } from './nesting.js';
import { sweepSpecInputSchema } from './schema.js';
import { SpecError, type SpecIssue } from './spec-error.js';
import { ValueSpecSource, YamlSpecSource } from './spec-source.js';
import { sweepSpecSchema } from './sweep-spec-schema.js';
import type { SweepSpec } from './sweep-spec.js';
import { parseWithSchema, sortIssues } from './zod-issues.js';

export interface SpecLoadOptions {
  /** Run grids of any size (`--allow-large`). */
  readonly allowLarge?: boolean;
  /** Refuse more trials (configs × repeats) than this; default 10,000. */
  readonly maxTrials?: number;
  /** What the size refusal advises instead of `--allow-large` (the coordinator's own limit). */
  readonly overLimitAdvice?: string;
  /** Check that CSV and model.json files exist; default true for YAML, false for JSON. */
  readonly checkFiles?: boolean;
  /** Let CSV / model.json paths point outside the spec's directory (`--allow-paths`); default false for YAML. */
  readonly allowPaths?: boolean;
}

function refuseDeepNesting(file: string, value: unknown): void {
  if (!nestedDeeperThan(value, MAX_SPEC_DEPTH)) return;
  throw new SpecError(file, [
    {
      file,
      path: '',
      line: null,
      column: null,
      expected: `at most ${MAX_SPEC_DEPTH} levels of nesting`,
      found: 'deeper nesting',
      message: `nested more than ${MAX_SPEC_DEPTH} levels deep — a sweep spec is a few levels deep`,
    },
  ]);
}

function wholeTextIssue(file: string, expected: string, found: string, message: string): SpecError {
  return new SpecError(file, [{ file, path: '', line: null, column: null, expected, found, message }]);
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * Refuses a text too large to parse quickly (over MAX_SPEC_BYTES, keys or tokens), before the
 * YAML parser sees it: its time grows with the node count, and quadratically with a mapping's keys.
 */
function refuseOversizedText(file: string, text: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SPEC_BYTES) refuseOversizedFile(file, bytes);
  const size = measureYamlText(text);
  if (size.keys > MAX_SPEC_KEYS) {
    throw wholeTextIssue(file, `at most ${count(MAX_SPEC_KEYS)} keys`, `more than ${count(MAX_SPEC_KEYS)} keys`, `more than ${count(MAX_SPEC_KEYS)} keys, over the limit of ${count(MAX_SPEC_KEYS)} — a sweep spec has a few dozen`);
  }
  if (size.tokens > MAX_SPEC_TOKENS) {
    throw wholeTextIssue(file, `at most ${count(MAX_SPEC_TOKENS)} YAML tokens`, `more than ${count(MAX_SPEC_TOKENS)} tokens`, `more than ${count(MAX_SPEC_TOKENS)} YAML tokens (values, keys, indicators), over the limit of ${count(MAX_SPEC_TOKENS)} — a sweep spec has a few hundred`);
  }
}

function refuseOversizedFile(file: string, bytes: number): never {
  throw wholeTextIssue(file, `at most ${count(MAX_SPEC_BYTES)} bytes`, `${count(bytes)} bytes`, `${count(bytes)} bytes, over the limit of ${count(MAX_SPEC_BYTES)} bytes — a sweep spec is a few KiB`);
}

function throwIfAny(file: string, issues: readonly SpecIssue[]): void {
  if (issues.length > 0) throw new SpecError(file, sortIssues(issues));
}

/** Validates YAML text; relative paths resolve against `file`'s directory. Throws SpecError. */
export function parseSweepSpec(text: string, file: string, options: SpecLoadOptions = {}): SweepSpec {
  refuseOversizedText(file, text);
  const { source, data } = YamlSpecSource.parse(text, file);
  refuseDeepNesting(file, data);
  const input = parseWithSchema(sweepSpecInputSchema, data, source);
  throwIfAny(file, checkInput(input, source));
  const specDir = dirname(resolve(file));
  const spec = compileSpec(input, specDir);
  const checks: SpecCheckOptions = {
    allowLarge: options.allowLarge ?? false,
    maxTrials: options.maxTrials ?? DEFAULT_MAX_TRIALS,
    checkFiles: options.checkFiles ?? true,
    confineTo: options.allowPaths === true ? null : specDir,
  };
  throwIfAny(file, checkSpec(spec, source, checks));
  return spec;
}

/** Reads and validates a spec file; an unreadable file is a SpecError too. */
export function loadSweepSpecFile(file: string, options: SpecLoadOptions = {}): SweepSpec {
  let text: string;
  try {
    // A huge file is refused by its size, before it is read into memory.
    const bytes = statSync(file).size;
    if (bytes > MAX_SPEC_BYTES) return refuseOversizedFile(file, bytes);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof SpecError) throw error;
    const reason = error instanceof Error && 'code' in error && error.code === 'ENOENT' ? 'no such file' : 'cannot be read';
    throw new SpecError(file, [
      {
        file,
        path: '',
        line: null,
        column: null,
        expected: 'a readable spec file',
        found: reason,
        message: `${reason}: ${resolve(file)}${reason === 'no such file' ? ' — `plateau init` writes an example' : ''}`,
      },
    ]);
  }
  return parseSweepSpec(text, file, options);
}

/** The `file` of issues in a spec that arrived as JSON. */
export const SUBMITTED_SPEC_FILE = '<submitted>';

/**
 * Re-validates a compiled SweepSpec received as JSON (the coordinator never trusts its
 * clients). Files are not checked by default — they live where the agents run — and the
 * size limit applies only when `maxTrials` is given.
 */
export function parseSweepSpecJson(value: unknown, options: SpecLoadOptions = {}): SweepSpec {
  refuseDeepNesting(SUBMITTED_SPEC_FILE, value);
  const source = new ValueSpecSource(SUBMITTED_SPEC_FILE, value);
  const spec: SweepSpec = parseWithSchema(sweepSpecSchema, value, source);
  const checks: SpecCheckOptions = {
    allowLarge: options.allowLarge ?? options.maxTrials === undefined,
    maxTrials: options.maxTrials ?? DEFAULT_MAX_TRIALS,
    ...(options.overLimitAdvice === undefined ? {} : { overLimitAdvice: options.overLimitAdvice }),
    checkFiles: options.checkFiles ?? false,
    // Paths of a submitted spec were confined (or allowed) where it was loaded; they name files on the agents.
    confineTo: null,
  };
  throwIfAny(SUBMITTED_SPEC_FILE, checkSpec(spec, source, checks));
  return spec;
}
