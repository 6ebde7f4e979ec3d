// A small seeded PRNG (mulberry32) so every fuzz case can be replayed from its seed.
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** In [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** Characters a YAML parser must cope with: structure, quotes, controls, astral and lone surrogates. */
  text(length: number): string {
    const alphabet = ['a', 'Z', '0', '9', ' ', '\t', '\n', ':', '-', '[', ']', '{', '}', ',', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '\\', '\0', '\u0007', '\u00e9', '\u2028', '\ud83d\ude00', '\ud800', '\ufeff'];
    let out = '';
    for (let i = 0; i < length; i += 1) out += this.pick(alphabet);
    return out;
  }
}
