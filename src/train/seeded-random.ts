// Seeded randomness for everything a trial draws (data, shuffling, initial weights, dropout):
// same seed → same numbers on every platform. Math.random is never touched.

/** Folds any number into a 32-bit unsigned seed (integers below 2^32 map to themselves). */
export function toSeed32(seed: number): number {
  if (Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32) return seed;
  // Larger, negative or fractional seeds: hash the float64's two halves so nearby seeds still differ.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, seed);
  return mix32(view.getUint32(0) ^ mix32(view.getUint32(4)));
}

/** murmur3's 32-bit finalizer: a bijection that spreads every input bit over the output. */
function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * An independent seed for one named use of a base seed (stream 0: data, 1: shuffling…), so
 * streams do not share a sequence and adding a draw to one never shifts another.
 */
export function deriveSeed(seed: number, stream: number): number {
  return mix32(mix32(toSeed32(seed)) ^ Math.imul((stream >>> 0) + 1, 0x9e3779b9));
}

/** mulberry32 (Tommy Ettinger): a small, fast 32-bit-state PRNG, good enough for ML data and shuffles. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = toSeed32(seed);
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n), n ≤ 2^32. */
  nextInt(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller; one draw per call keeps the sequence simple to reason about). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(0) never happens
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates, in place. */
  shuffle(values: Uint32Array): Uint32Array {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const held = values[i] ?? 0;
      values[i] = values[j] ?? 0;
      values[j] = held;
    }
    return values;
  }

  /** 0, 1, …, n − 1 in a random order. */
  permutation(n: number): Uint32Array {
    const values = new Uint32Array(n);
    for (let i = 0; i < n; i++) values[i] = i;
    return this.shuffle(values);
  }
}

/** The independent uses of a trial's seed; each gets its own stream via deriveSeed. */
export const SeedStream = {
  shuffle: 1,
  weights: 2,
  dropout: 3,
} as const;
