// Which physical slot of a fused bundle each logical member trains in. Members of one bundle
// that have trained at the same float32 learning rate at every epoch so far hold bit-identical
// weights and optimizer state, so they share one slot; a slot forks when its members' next
// rates differ, and goes when none of its members is still training. Pure, no tfjs.

/** A member still training: the slot it trained in and the float32 rate of its next epoch. */
export interface SlottedMember {
  readonly slot: number;
  readonly lr: number;
}

export interface SlotPlan {
  /** New slot i continues old slot `sources[i]`: its weights and optimizer state (a repeated index is a copy). */
  readonly sources: readonly number[];
  /** New slot i's float32 learning rate. */
  readonly rates: readonly number[];
  /** `memberSlots[j]`: the new slot of the j-th member passed in. */
  readonly memberSlots: readonly number[];
  /** True when `sources` is every old slot in order, so the bundle's slots stay as they are. */
  readonly unchanged: boolean;
}

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/** The float32 bit pattern of `lr`: the optimizer applies the rate in float32, so equal bits train alike. */
function float32Bits(lr: number): number {
  f32[0] = lr;
  return f32Bits[0] ?? 0;
}

/**
 * The slots for the next epoch, from the `oldSlotCount` slots of the last one and the members
 * still training. New slots keep the old slots' order, and a forked slot's copies are ordered by
 * their first member, so an unchanged grouping maps every old slot to itself.
 */
export function planSlots(oldSlotCount: number, members: readonly SlottedMember[]): SlotPlan {
  // Old slot → (rate bits → new slot, in members' order); built first so new slots can be numbered by old slot.
  const groups = new Map<number, Map<number, number>>();
  for (const { slot, lr } of members) {
    if (!Number.isInteger(slot) || slot < 0 || slot >= oldSlotCount) throw new RangeError(`slot ${slot} is not one of ${oldSlotCount} slots`);
    let byRate = groups.get(slot);
    if (byRate === undefined) {
      byRate = new Map();
      groups.set(slot, byRate);
    }
    const bits = float32Bits(lr);
    if (!byRate.has(bits)) byRate.set(bits, byRate.size);
  }
  const sources: number[] = [];
  const rates: number[] = [];
  const firstNewSlot = new Map<number, number>();
  for (let old = 0; old < oldSlotCount; old++) {
    const byRate = groups.get(old);
    if (byRate === undefined) continue;
    firstNewSlot.set(old, sources.length);
    for (const bits of byRate.keys()) {
      sources.push(old);
      f32Bits[0] = bits;
      rates.push(f32[0] ?? Number.NaN);
    }
  }
  const memberSlots = members.map(({ slot, lr }) => (firstNewSlot.get(slot) ?? 0) + (groups.get(slot)?.get(float32Bits(lr)) ?? 0));
  const unchanged = sources.length === oldSlotCount && sources.every((old, i) => old === i);
  return { sources, rates, memberSlots, unchanged };
}

/** The slots a bundle starts with: one per distinct float32 rate, in order of first appearance. */
export function initialSlots(rates: readonly number[]): SlotPlan {
  return planSlots(1, rates.map((lr) => ({ slot: 0, lr })));
}
