// Which physical members a running bundle gives away when another worker asks for part of it
// (see BundleHandoff in bundle-part.ts), and when it may. Pure, no tfjs.

/**
 * A part is handed off only while this many epochs' batches or more remain to train (counted to
 * the workload's last epoch): moving the state costs about 1-5 ms, and half an epoch of one
 * physical member of the reference network (64 batches of 64 rows) about 7 ms.
 */
export const MIN_EPOCHS_LEFT_TO_HAND_OFF = 0.5;

/** Batches still to train before batch `batch` of 0-based epoch `epoch`, in a run of `epochs` epochs of `batchesPerEpoch` batches. */
export function batchesLeft(epochs: number, batchesPerEpoch: number, epoch: number, batch: number): number {
  return (epochs - epoch) * batchesPerEpoch - batch;
}

/** Whether a part may leave before batch `batch` of 0-based epoch `epoch` (see MIN_EPOCHS_LEFT_TO_HAND_OFF). */
export function mayHandOffBefore(epochs: number, batchesPerEpoch: number, epoch: number, batch: number): boolean {
  return batchesLeft(epochs, batchesPerEpoch, epoch, batch) >= MIN_EPOCHS_LEFT_TO_HAND_OFF * batchesPerEpoch;
}

/**
 * What a physical member holding `logical` trials is expected to cost from here, in physical
 * members, when `fractionLeft` of the run remains: its trials share one member until their
 * schedules part, and part more the longer they train. Early in a run it weighs about its
 * trial count; near the end about one member, which is what it costs then (measured on the
 * 27-configuration sweep: a 9-trial member averaged 1 to 4 physical members over a run).
 */
export function expectedMemberCost(logical: number, fractionLeft: number): number {
  return 1 + (logical - 1) * Math.min(1, Math.max(0, fractionLeft));
}

/**
 * The physical members to give away, ascending, from the number of logical members training in
 * each (`logicalCounts[p]` ≥ 1) and the fraction of the run left (0..1). Greedy largest-first by
 * expectedMemberCost into the lighter side (ties: the lower index first, into the first side);
 * the giver keeps the side holding physical member 0. Empty when there are fewer than two members.
 */
export function choosePartToHandOff(logicalCounts: readonly number[], fractionLeft = 1): number[] {
  if (logicalCounts.length < 2) return [];
  const cost = logicalCounts.map((logical) => expectedMemberCost(logical, fractionLeft));
  const order = cost.map((_, p) => p).sort((a, b) => (cost[b] ?? 0) - (cost[a] ?? 0) || a - b);
  const sides: [number[], number[]] = [[], []];
  const weights = [0, 0];
  for (const p of order) {
    const side = (weights[1] ?? 0) < (weights[0] ?? 0) ? 1 : 0;
    sides[side].push(p);
    weights[side] = (weights[side] ?? 0) + (cost[p] ?? 0);
  }
  const given = sides[0].includes(0) ? sides[1] : sides[0];
  return given.sort((a, b) => a - b);
}
