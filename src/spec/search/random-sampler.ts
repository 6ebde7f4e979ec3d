// RandomSampler: seeded uniform draws in [0, 1) for a random search. xoshiro128** (Blackman &
// Vigna), its state filled by splitmix32 from one 32-bit seed: the same seed gives the same
// draws on every machine and Node version (integer arithmetic only, no Math.random).

/** splitmix32: spreads a 32-bit seed over the generator's state words. */
function splitmix32(state: number): { readonly value: number; readonly next: number } {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return { value: (z ^ (z >>> 16)) >>> 0, next };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

export class RandomSampler {
  private readonly s = new Uint32Array(4);

  constructor(seed: number) {
    let state = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      const { value, next } = splitmix32(state);
      this.s[i] = value;
      state = next;
    }
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const s0 = s[0] ?? 0;
    const s1 = s[1] ?? 0;
    const s2 = s[2] ?? 0;
    const s3 = s[3] ?? 0;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    const n2 = (s2 ^ s0) >>> 0;
    const n3 = (s3 ^ s1) >>> 0;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = rotl(n3, 11);
    return result;
  }

  /** A uniform draw in [0, 1) with 53 random bits. */
  next(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67_108_864 + low) / 9_007_199_254_740_992;
  }

  /** A point of `dimensions` uniform draws. */
  point(dimensions: number): number[] {
    return Array.from({ length: dimensions }, () => this.next());
  }
}
