// Aggregation of one configuration's objective over its repeats.

export interface ObjectiveSummary {
  readonly mean: number;
  /**
   * Sample standard deviation (n − 1 denominator: repeats are a sample of seeds, and the
   * unbiased variance is what people compare across configs). Defined as 0 for n = 1,
   * where it is really unknown — `n` says how much to trust it.
   */
  readonly std: number;
  readonly n: number;
}

/** Mean, sample std and count of `values`; null when there are none. */
export function summarize(values: readonly number[]): ObjectiveSummary | null {
  const n = values.length;
  if (n === 0) return null;
  let sum = 0;
  for (const value of values) sum += value;
  const mean = sum / n;
  if (n === 1) return { mean, std: 0, n };
  // Two passes: subtracting the mean first avoids the cancellation of sum-of-squares.
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  return { mean, std: Math.sqrt(squares / (n - 1)), n };
}
