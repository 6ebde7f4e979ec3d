// How far two sweeps' rankings of the same grid agree (the peer baseline of issue 7): Spearman's
// rank correlation of per-config final val_loss, and whether the best configs match.

export interface GridPoint {
  readonly learningRate: number;
  readonly factor: number;
  readonly patience: number;
}

/** One key per grid point, the same on both sides (numbers as JSON writes them). */
export function gridKey(point: GridPoint): string {
  return `lr=${String(point.learningRate)} factor=${String(point.factor)} patience=${String(point.patience)}`;
}

/** Final val_loss per grid key; a diverged or failed configuration is +Infinity (ranks last). */
export type FinalLosses = ReadonlyMap<string, number>;

/** Ascending, with +Infinity (failed) last and equal to itself: `a - b` would give NaN there. */
function ascending(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** 1-based ranks, ascending; ties share their average rank. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => ascending(a.value, b.value));
  const ranks = new Array<number>(values.length).fill(0);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && order[end]?.value === order[start]?.value) end++;
    const rank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) ranks[order[i]?.index ?? 0] = rank;
    start = end;
  }
  return ranks;
}

/** Spearman's rank correlation (Pearson's r of the average ranks); NaN below 2 points or with no spread. */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length) throw new RangeError(`spearman: ${xs.length} vs ${ys.length} values`);
  if (xs.length < 2) return Number.NaN;
  const rx = averageRanks(xs);
  const ry = averageRanks(ys);
  const mean = (xs.length + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = (rx[i] ?? 0) - mean;
    const dy = (ry[i] ?? 0) - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

export interface RankingAgreement {
  /** Grid points both sides finished. */
  readonly compared: number;
  readonly spearman: number;
  readonly oursTop1: string;
  readonly peerTop1: string;
  readonly top1Matches: boolean;
  /** How many of our 3 best are among the peer's 3 best. */
  readonly top3Overlap: number;
}

function bestKeys(losses: FinalLosses, keys: readonly string[], n: number): string[] {
  return [...keys].sort((a, b) => ascending(losses.get(a) ?? Infinity, losses.get(b) ?? Infinity) || a.localeCompare(b)).slice(0, n);
}

/** How far two rankings of the same grid agree, over the points both have. */
export function compareRankings(ours: FinalLosses, peer: FinalLosses): RankingAgreement {
  const keys = [...ours.keys()].filter((key) => peer.has(key)).sort();
  const oursTop = bestKeys(ours, keys, 3);
  const peerTop = bestKeys(peer, keys, 3);
  return {
    compared: keys.length,
    spearman: spearman(
      keys.map((key) => ours.get(key) ?? Infinity),
      keys.map((key) => peer.get(key) ?? Infinity),
    ),
    oursTop1: oursTop[0] ?? '',
    peerTop1: peerTop[0] ?? '',
    top1Matches: oursTop[0] !== undefined && oursTop[0] === peerTop[0],
    top3Overlap: oursTop.filter((key) => peerTop.includes(key)).length,
  };
}
