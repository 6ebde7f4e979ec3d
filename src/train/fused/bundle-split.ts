// Which physical members a running bundle gives away when another worker asks for part of it
// (see BundleHandoff in bundle-part.ts). Pure, no tfjs.

/** A part is handed off only while this many epochs or more remain: moving state for one epoch does not pay. */
export const MIN_EPOCHS_LEFT_TO_HAND_OFF = 2;

/**
 * The physical members to give away, ascending, from the number of logical members training in
 * each (`logicalCounts[p]` ≥ 1; a physical member's epochs cost the same whatever it holds, but
 * its logical members are the work the two sides report, and they fork later). Greedy
 * largest-first into the lighter side (ties: the lower index first, into the first side); the
 * giver keeps the side holding physical member 0. Empty when there are fewer than two members.
 */
export function choosePartToHandOff(logicalCounts: readonly number[]): number[] {
  if (logicalCounts.length < 2) return [];
  const order = logicalCounts.map((_, p) => p).sort((a, b) => (logicalCounts[b] ?? 0) - (logicalCounts[a] ?? 0) || a - b);
  const sides: [number[], number[]] = [[], []];
  const weights = [0, 0];
  for (const p of order) {
    const side = (weights[1] ?? 0) < (weights[0] ?? 0) ? 1 : 0;
    sides[side].push(p);
    weights[side] = (weights[side] ?? 0) + (logicalCounts[p] ?? 0);
  }
  const given = sides[0].includes(0) ? sides[1] : sides[0];
  return given.sort((a, b) => a - b);
}
