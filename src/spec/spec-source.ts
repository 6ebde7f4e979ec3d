// Where a spec came from, so every problem can say where it is and what was written
// there. YAML specs map a path to its node's line/column through the CST; a spec that
// arrived as JSON has no positions, only values.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { SpecError, type SpecIssue } from './spec-error.js';

export type SpecPath = readonly (string | number)[];

/** Point at a key (`learning_rate:`) or at its value (`1.5`). */
export type PathTarget = 'key' | 'value';

export interface SpecPosition {
  readonly line: number;
  readonly column: number;
}

export interface SpecSource {
  readonly file: string;
  /** 'yaml': the user-facing form; 'json': a compiled SweepSpec (different model keys). */
  readonly form: 'yaml' | 'json';
  /** Line/column of the path, or of its nearest written ancestor when the path is absent. */
  position(path: SpecPath, target?: PathTarget): SpecPosition | null;
  /** How the value at `path` reads: '1.5', '"abc"', '[0.1, 0.1]', 'a list', 'missing'. */
  found(path: SpecPath): string;
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** 'grid.factor[2]'; keys that are not identifiers are quoted: 'grid["learning rate"]'. */
export function formatPath(path: SpecPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

const MAX_FOUND_LENGTH = 60;

function clip(text: string): string {
  return text.length <= MAX_FOUND_LENGTH ? text : `${text.slice(0, MAX_FOUND_LENGTH - 1)}…`;
}

/** A value as people would recognise it in an error line. */
export function renderValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string' || typeof value === 'boolean') return clip(JSON.stringify(value));
  if (Array.isArray(value) || typeof value === 'object') {
    const json = JSON.stringify(value);
    if (json !== undefined && json.length <= MAX_FOUND_LENGTH) return json;
    return Array.isArray(value) ? 'a list' : 'a mapping';
  }
  return typeof value;
}

export function issueAt(
  source: SpecSource,
  path: SpecPath,
  details: { readonly expected: string; readonly found: string; readonly message: string; readonly target?: PathTarget },
): SpecIssue {
  const position = source.position(path, details.target ?? 'value');
  return {
    file: source.file,
    path: formatPath(path),
    line: position?.line ?? null,
    column: position?.column ?? null,
    expected: details.expected,
    found: details.found,
    message: details.message,
  };
}

function valueAt(value: unknown, path: SpecPath): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof segment === 'number' ? Array.isArray(current) : typeof current === 'object' && current !== null && !Array.isArray(current)) {
      current = (current as Record<string | number, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

/** A spec that arrived as a value (JSON at the coordinator): no positions. */
export class ValueSpecSource implements SpecSource {
  readonly form = 'json';
  constructor(
    readonly file: string,
    private readonly value: unknown,
  ) {}

  position(): SpecPosition | null {
    return null;
  }

  found(path: SpecPath): string {
    return renderValue(valueAt(this.value, path));
  }
}

interface Walked {
  /** The node at the full path, or undefined when the path is not written. */
  readonly node: unknown;
  readonly key: unknown;
  readonly complete: boolean;
  /** Deepest written ancestor: its key node if it has one (points at `workload:`), else the node. */
  readonly nearest: unknown;
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = (node as { range?: unknown }).range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}

function rangeText(text: string, node: unknown): string | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = (node as { range?: unknown }).range;
  if (!Array.isArray(range) || typeof range[0] !== 'number' || typeof range[1] !== 'number') return undefined;
  return text.slice(range[0], range[1]).trim();
}

export class YamlSpecSource implements SpecSource {
  readonly form = 'yaml';
  private constructor(
    readonly file: string,
    private readonly text: string,
    private readonly document: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Parses YAML text; malformed YAML or an empty file throws SpecError with the position. */
  static parse(text: string, file: string): { readonly source: YamlSpecSource; readonly data: unknown } {
    const lines = new LineCounter();
    const document = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
    const first = document.errors[0];
    if (first !== undefined) {
      const position = lines.linePos(first.pos[0]);
      // yaml's message ends in " at line N, column M:" plus a code frame; we print our own position.
      const headline = (first.message.split('\n')[0] ?? first.message).replace(/ at line \d+, column \d+:?$/, '');
      const hint = first.code === 'TAB_AS_INDENT' ? ' (indent with spaces)' : '';
      throw new SpecError(file, [
        {
          file,
          path: '',
          line: position.line,
          column: position.col,
          expected: 'well-formed YAML',
          found: first.code,
          message: `malformed YAML — ${headline.charAt(0).toLowerCase()}${headline.slice(1)}${hint}`,
        },
      ]);
    }
    if (document.contents === null) {
      throw new SpecError(file, [
        {
          file,
          path: '',
          line: 1,
          column: 1,
          expected: 'a sweep spec',
          found: 'an empty file',
          message: 'the spec file is empty — `plateau init` writes a commented example',
        },
      ]);
    }
    let data: unknown;
    try {
      data = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // yaml refuses alias expansion past maxAliasCount (a "billion laughs" document) with a plain ReferenceError.
      throw new SpecError(file, [
        {
          file,
          path: '',
          line: null,
          column: null,
          expected: 'a spec without runaway aliases',
          found: error instanceof Error ? error.name : 'an error',
          message: `the spec cannot be expanded — ${error instanceof Error ? error.message : String(error)}`,
        },
      ]);
    }
    return { source: new YamlSpecSource(file, text, document, lines), data };
  }

  private walk(path: SpecPath): Walked {
    let node: unknown = this.document.contents;
    let key: unknown = undefined;
    let nearest: unknown = node;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(this.document);
      if (isMap(node) && typeof segment === 'string') {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
        if (pair === undefined) return { node: undefined, key: undefined, complete: false, nearest };
        key = pair.key;
        node = pair.value;
        // A missing child is reported at its parent's key (`workload:`), where it belongs.
        nearest = key;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item: unknown = node.items[segment];
        if (item === undefined) return { node: undefined, key: undefined, complete: false, nearest };
        key = undefined;
        node = item;
        nearest = item;
      } else {
        return { node: undefined, key: undefined, complete: false, nearest };
      }
    }
    return { node, key, complete: true, nearest };
  }

  position(path: SpecPath, target: PathTarget = 'value'): SpecPosition | null {
    const walked = this.walk(path);
    let offset: number | undefined;
    if (walked.complete) {
      offset = target === 'key' ? (rangeStart(walked.key) ?? rangeStart(walked.node)) : (rangeStart(walked.node) ?? rangeStart(walked.key));
    } else {
      offset = rangeStart(walked.nearest);
    }
    if (offset === undefined) return { line: 1, column: 1 };
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  found(path: SpecPath): string {
    const walked = this.walk(path);
    if (!walked.complete) return 'missing';
    const node = walked.node;
    if (node === null || node === undefined || (isScalar(node) && node.value === null && (rangeText(this.text, node) ?? '') === '')) {
      return '(empty)';
    }
    const written = rangeText(this.text, node);
    if (isScalar(node)) return written === undefined ? renderValue(node.value) : clip(written);
    if (written !== undefined && !written.includes('\n')) return clip(written);
    return isSeq(node) ? 'a list' : isMap(node) ? 'a mapping' : 'a value';
  }
}
