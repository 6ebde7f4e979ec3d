// Alea, the generator tfjs-core's randomUniform draws from (seedrandom 3.0.5's lib/alea.js,
// seeded with the seed's decimal string as tfjs-core's UniformRandom seeds it), ported so a hot
// loop can draw tfjs's own numbers without a tensor per call. Same seed → the same doubles, bit
// for bit (test/train/seeded-dropout.test.ts holds it to tfjs's dropout op).

/** seedrandom's Mash: hashes strings into the generator's starting state. */
function mash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000;
    }
    return (n >>> 0) * 2.3283064365386963e-10;
  };
}

export class Alea {
  private s0: number;
  private s1: number;
  private s2: number;
  private c = 1;

  /** As seedrandom.alea(String(seed)). */
  constructor(seed: number | string) {
    const text = String(seed);
    const hash = mash();
    this.s0 = hash(' ');
    this.s1 = hash(' ');
    this.s2 = hash(' ');
    this.s0 -= hash(text);
    if (this.s0 < 0) this.s0 += 1;
    this.s1 -= hash(text);
    if (this.s1 < 0) this.s1 += 1;
    this.s2 -= hash(text);
    if (this.s2 < 0) this.s2 += 1;
  }

  /** The next double in [0, 1). */
  next(): number {
    const t = 2091639 * this.s0 + this.c * 2.3283064365386963e-10;
    this.s0 = this.s1;
    this.s1 = this.s2;
    this.c = t | 0;
    this.s2 = t - this.c;
    return this.s2;
  }
}
