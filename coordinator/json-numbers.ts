// JSON that keeps NaN and ±Infinity (a diverged epoch's loss): plain JSON.stringify turns
// them into null and the store would lose the difference between "diverged" and "missing".
// Non-finite numbers are written as {"$f":"NaN"} / {"$f":"Infinity"} / {"$f":"-Infinity"}.

const TAG = '$f';

export function stringifyWithNonFinite(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'number' && !Number.isFinite(item) ? { [TAG]: String(item) } : item,
  );
}

export function parseWithNonFinite(text: string): unknown {
  return JSON.parse(text, (_key, item: unknown) => {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const keys = Object.keys(item);
      const tagged: unknown = (item as Record<string, unknown>)[TAG];
      if (keys.length === 1 && typeof tagged === 'string') return Number(tagged);
    }
    return item;
  });
}
