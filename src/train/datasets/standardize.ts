// Z-scores features with the training split's mean and std (no leakage into validation). Works
// over row chunks and yields to the event loop between them: a large array takes seconds, and a
// worker must keep answering its parent meanwhile.

/** Values handled between two yields to the event loop (a few milliseconds of work). */
const CHUNK_VALUES = 1 << 20;

export interface FeatureStatistics {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Row-major `x` visited in chunks of whole rows: `visit(from, to)` over value indices. */
async function inChunks(x: Float32Array, featureCount: number, visit: (from: number, to: number) => void): Promise<void> {
  const step = Math.max(1, Math.floor(CHUNK_VALUES / featureCount)) * featureCount;
  for (let from = 0; from < x.length; from += step) {
    if (from > 0) await nextTurn();
    visit(from, Math.min(x.length, from + step));
  }
}

/** Per-feature mean and std of row-major `x` (a constant feature gets std 1: it is only centred). */
export async function featureStatistics(x: Float32Array, featureCount: number): Promise<FeatureStatistics> {
  const rows = x.length / featureCount;
  const mean = new Float64Array(featureCount);
  const std = new Float64Array(featureCount);
  await inChunks(x, featureCount, (from, to) => {
    for (let i = from; i < to; i++) {
      const j = i % featureCount;
      mean[j] = (mean[j] ?? 0) + (x[i] ?? 0) / rows;
    }
  });
  await inChunks(x, featureCount, (from, to) => {
    for (let i = from; i < to; i++) {
      const j = i % featureCount;
      std[j] = (std[j] ?? 0) + ((x[i] ?? 0) - (mean[j] ?? 0)) ** 2 / rows;
    }
  });
  for (let j = 0; j < featureCount; j++) {
    const deviation = Math.sqrt(std[j] ?? 0);
    std[j] = deviation === 0 ? 1 : deviation;
  }
  return { mean, std };
}

/** Replaces every value of row-major `x` by its z-score under `stats`. */
export async function standardizeInPlace(x: Float32Array, featureCount: number, stats: FeatureStatistics): Promise<void> {
  await inChunks(x, featureCount, (from, to) => {
    for (let i = from; i < to; i++) {
      const j = i % featureCount;
      x[i] = ((x[i] ?? 0) - (stats.mean[j] ?? 0)) / (stats.std[j] ?? 1);
    }
  });
}
