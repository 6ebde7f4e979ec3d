// A spec is a few levels deep. A value nested far deeper is hostile or broken, and walking it
// recursively (schema checks, error rendering) would overflow the stack: measure it first,
// without recursion.

/** Deepest nesting a spec value may have (the real schema needs about 6). */
export const MAX_SPEC_DEPTH = 64;

/**
 * Most mapping keys a spec text may hold (a real one has a few dozen). The YAML parser checks
 * duplicate keys in time quadratic in a mapping's size: 20,000 keys would take it minutes.
 */
export const MAX_SPEC_KEYS = 2_000;

/** An upper bound on the mapping keys in YAML text: `key: ` / `key:` at a line end, and JSON-style `"key":`. */
export function countKeyIndicators(text: string): number {
  return (text.match(/:(?=[ \t\r\n]|$)|["']:/g) ?? []).length;
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
