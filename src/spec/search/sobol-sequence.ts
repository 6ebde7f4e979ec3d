// SobolSequence: the Sobol low-discrepancy sequence in up to MAX_SOBOL_DIMENSIONS dimensions, with
// Joe and Kuo's direction numbers (new-joe-kuo-6.21201, "Constructing Sobol sequences with better
// two-dimensional projections", SIAM J. Sci. Comput. 30, 2008), points in Gray-code order as
// their sobol.cc emits them: the all-zero point 0 is skipped, so the first point is (0.5, …, 0.5).
// An optional digital shift (XOR with one 32-bit word per dimension) scrambles the sequence
// while keeping its equidistribution; a sampled search draws the words from its seed.

/** One row of the Joe–Kuo table: degree s of the primitive polynomial, its coefficients a, initial m_i. */
interface DirectionRow {
  readonly s: number;
  readonly a: number;
  readonly m: readonly number[];
}

/** Dimensions 2…8 of new-joe-kuo-6.21201 (dimension 1 is the van der Corput sequence). */
const JOE_KUO_ROWS: readonly DirectionRow[] = [
  { s: 1, a: 0, m: [1] },
  { s: 2, a: 1, m: [1, 3] },
  { s: 3, a: 1, m: [1, 3, 1] },
  { s: 3, a: 2, m: [1, 1, 1] },
  { s: 4, a: 1, m: [1, 1, 3, 3] },
  { s: 4, a: 4, m: [1, 3, 5, 13] },
  { s: 5, a: 2, m: [1, 1, 5, 5, 17] },
];

/** Enough for every axis of a sweep (seven) and one to spare. */
export const MAX_SOBOL_DIMENSIONS = JOE_KUO_ROWS.length + 1;

const BITS = 32;

/** The 32 direction numbers v_1…v_32 of one dimension, each scaled by 2^32. */
function directionNumbers(dimension: number): Uint32Array {
  const v = new Uint32Array(BITS);
  if (dimension === 0) {
    for (let k = 0; k < BITS; k++) v[k] = (1 << (BITS - 1 - k)) >>> 0;
    return v;
  }
  const row = JOE_KUO_ROWS[dimension - 1];
  if (row === undefined) throw new RangeError(`Sobol dimension ${dimension + 1} is beyond the ${MAX_SOBOL_DIMENSIONS} tabulated`);
  const { s, a, m } = row;
  for (let k = 0; k < s && k < BITS; k++) v[k] = ((m[k] ?? 1) << (BITS - 1 - k)) >>> 0;
  // Bratley–Fox recurrence: v_k = v_{k-s} ⊕ (v_{k-s} >> s) ⊕ the a-selected v_{k-j}, 0 < j < s.
  for (let k = s; k < BITS; k++) {
    let value = ((v[k - s] ?? 0) ^ ((v[k - s] ?? 0) >>> s)) >>> 0;
    for (let j = 1; j < s; j++) {
      if (((a >>> (s - 1 - j)) & 1) === 1) value = (value ^ (v[k - j] ?? 0)) >>> 0;
    }
    v[k] = value;
  }
  return v;
}

export class SobolSequence {
  private readonly directions: readonly Uint32Array[];
  private readonly shift: Uint32Array;
  private readonly x: Uint32Array;
  /** Points emitted so far (point n + 1 follows from point n by one XOR per dimension). */
  private index = 0;

  /** `shift`: one 32-bit word per dimension XORed into every point (all zero: the sequence as tabulated). */
  constructor(
    readonly dimensions: number,
    shift: readonly number[] = [],
  ) {
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_SOBOL_DIMENSIONS) {
      throw new RangeError(`a Sobol sequence has 1 to ${MAX_SOBOL_DIMENSIONS} dimensions, not ${dimensions}`);
    }
    this.directions = Array.from({ length: dimensions }, (_, d) => directionNumbers(d));
    this.shift = Uint32Array.from({ length: dimensions }, (_, d) => (shift[d] ?? 0) >>> 0);
    this.x = new Uint32Array(dimensions);
  }

  /** The next point, each coordinate in [0, 1). */
  next(): number[] {
    if (this.index >= 2 ** BITS - 1) throw new RangeError('the Sobol sequence is exhausted after 2^32 - 1 points');
    // Gray code: point n differs from point n - 1 in the direction of n - 1's lowest zero bit.
    let c = 0;
    let value = this.index;
    while ((value & 1) === 1) {
      value = Math.floor(value / 2);
      c += 1;
    }
    this.index += 1;
    const point: number[] = [];
    for (let d = 0; d < this.dimensions; d++) {
      this.x[d] = ((this.x[d] ?? 0) ^ (this.directions[d]?.[c] ?? 0)) >>> 0;
      point.push((((this.x[d] ?? 0) ^ (this.shift[d] ?? 0)) >>> 0) / 2 ** BITS);
    }
    return point;
  }
}
