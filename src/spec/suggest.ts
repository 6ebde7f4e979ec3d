// "Did you mean …?" for keys and enum values: spellings differ in case and separators
// (learning_rate vs learningRate) more often than in letters, so compare normalized forms.

/** Keys people carry over from Keras / other sweep tools. */
const KEY_ALIASES: Readonly<Record<string, string>> = {
  lr: 'learningRate',
  initiallr: 'learningRate',
  decay: 'factor',
  decayfactor: 'factor',
  batch: 'batchSize',
  minlearningrate: 'minLr',
  seeds: 'repeats',
};

function normalize(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '');
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The candidate `wanted` most plausibly meant, or undefined when none is close. */
export function closestName(wanted: string, candidates: readonly string[]): string | undefined {
  const target = normalize(wanted);
  const alias = KEY_ALIASES[target];
  if (alias !== undefined && candidates.includes(alias)) return alias;
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(target, normalize(name));
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  if (best === undefined) return undefined;
  return best.distance <= Math.max(2, Math.floor(target.length / 3)) ? best.name : undefined;
}
