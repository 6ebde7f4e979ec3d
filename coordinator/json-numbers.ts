// JSON that keeps NaN and ±Infinity (a diverged epoch's loss): plain JSON.stringify turns
// them into null and the store would lose the difference between "diverged" and "missing".
// Non-finite numbers are written as {"$f":"NaN"} / {"$f":"Infinity"} / {"$f":"-Infinity"}.

const TAG = '$f';
/** The tag as it appears in JSON text (a key never needs escaping here). */
const TAG_KEY = JSON.stringify(TAG);

/** Whether a number that JSON cannot hold sits anywhere in plain data (arrays and objects). */
export function containsNonFinite(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (Array.isArray(value)) return value.some(containsNonFinite);
  if (typeof value === 'object' && value !== null) {
    for (const key in value) if (containsNonFinite((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

export function stringifyWithNonFinite(value: unknown): string {
  // A replacer takes JSON.stringify off its fast path: only use one where it changes something.
  if (!containsNonFinite(value)) return JSON.stringify(value);
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'number' && !Number.isFinite(item) ? { [TAG]: String(item) } : item,
  );
}

export function parseWithNonFinite(text: string): unknown {
  // Most texts hold no tag at all (specs never do): the reviver, which costs more than the
  // parse itself, is only needed when the tag's key appears somewhere.
  if (!text.includes(TAG_KEY)) return JSON.parse(text);
  return JSON.parse(text, (_key, item: unknown) => {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const keys = Object.keys(item);
      const tagged: unknown = (item as Record<string, unknown>)[TAG];
      if (keys.length === 1 && typeof tagged === 'string') return Number(tagged);
    }
    return item;
  });
}
