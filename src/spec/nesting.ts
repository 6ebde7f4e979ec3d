// A spec is small and a few levels deep. A text far larger (bytes, keys, tokens) or a value
// nested far deeper is hostile or broken: parsing it would take seconds, and walking it
// recursively (schema checks, error rendering) would overflow the stack. Measure it first, in
// linear time and without recursion.

import { CST, Lexer } from 'yaml';

/** Deepest nesting a spec value may have (the real schema needs about 6). */
export const MAX_SPEC_DEPTH = 64;

/**
 * Most mapping keys a spec text may hold (a real one has a few dozen). The YAML parser checks
 * duplicate keys in time quadratic in a mapping's size: 20,000 keys would take it minutes, and
 * 2,000 keys with long values most of a second.
 */
export const MAX_SPEC_KEYS = 1_000;

/**
 * Most YAML tokens (scalars, indicators, anchors, tags, comments: everything but whitespace) a
 * spec text may hold. A real spec has a few hundred; the parser's time grows with the node count
 * (500,000 list items take it seconds), so this bound is what keeps any spec ≤ MAX_SPEC_BYTES
 * parsing well under a second.
 */
export const MAX_SPEC_TOKENS = 20_000;

/** Largest spec text accepted, in UTF-8 bytes (a real one is a few KiB). */
export const MAX_SPEC_BYTES = 1_048_576;

export interface YamlTextSize {
  /** An upper bound on the mapping keys: every key is a block key (`:`), an explicit key (`?`) or a flow-mapping entry. */
  readonly keys: number;
  readonly tokens: number;
}

/** Token types that are not content: they cost the parser nothing per item worth bounding. */
const uncountedTokens: ReadonlySet<string> = new Set(['space', 'newline', 'flow-map-end', 'flow-seq-end', 'doc-mode', 'byte-order-mark']);

/**
 * Counts keys and tokens with yaml's own lexer (linear time), so no spelling the parser accepts
 * (`{k0, k1}` has keys and no colon) escapes the count. Stops counting once either limit is
 * passed: the caller refuses the text then, and only needs to know that.
 */
export function measureYamlText(text: string, limits: { readonly keys: number; readonly tokens: number } = { keys: MAX_SPEC_KEYS, tokens: MAX_SPEC_TOKENS }): YamlTextSize {
  let keys = 0;
  let tokens = 0;
  const flow: ('map' | 'seq')[] = [];
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token) ?? undefined;
    if (type === undefined || uncountedTokens.has(type)) {
      if (type === 'flow-map-end' || type === 'flow-seq-end') flow.pop();
      continue;
    }
    tokens += 1;
    switch (type) {
      case 'map-value-ind':
      case 'explicit-key-ind':
        // A flow mapping's keys are counted by its entries (`{a: 1}` is one key, not two).
        if (flow.at(-1) !== 'map') keys += 1;
        break;
      case 'flow-map-start':
        flow.push('map');
        keys += 1;
        break;
      case 'flow-seq-start':
        flow.push('seq');
        break;
      case 'comma':
        if (flow.at(-1) === 'map') keys += 1;
        break;
      default:
        break;
    }
    if (keys > limits.keys || tokens > limits.tokens) break;
  }
  return { keys, tokens };
}

/** True when `value` has arrays/objects nested more than `max` levels deep. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}
