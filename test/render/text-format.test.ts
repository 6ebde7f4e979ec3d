import { describe, expect, it } from 'vitest';
import { formatDuration, formatObjective, formatSpread, truncate } from '../../src/format/text-format.js';

describe('formatObjective', () => {
  it('gives four significant digits without trailing zeros', () => {
    expect(formatObjective(0.0123456)).toBe('0.01235');
    expect(formatObjective(0.05)).toBe('0.05');
    expect(formatObjective(1234.56)).toBe('1235');
  });

  it('switches to exponent form for very small or very large values', () => {
    expect(formatObjective(0.000012346)).toBe('1.235e-5');
    expect(formatObjective(2.5e7)).toBe('2.5e7');
  });

  it('names non-finite values', () => {
    expect(formatObjective(Number.NaN)).toBe('NaN');
    expect(formatObjective(Number.POSITIVE_INFINITY)).toBe('inf');
  });
});

describe('formatSpread', () => {
  it('gives two significant digits', () => {
    expect(formatSpread(0.000565685)).toBe('0.00057');
    expect(formatSpread(0)).toBe('0');
  });
});

describe('formatDuration', () => {
  it('reads as seconds, minutes or hours', () => {
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(187_000)).toBe('3m07s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
    expect(formatDuration(-5)).toBe('0s');
  });
});

describe('truncate', () => {
  it('cuts a long line to the width with an ellipsis and leaves short lines alone', () => {
    expect(truncate('abcdefgh', 5)).toBe('abcd…');
    expect(truncate('abc', 5)).toBe('abc');
    expect(truncate('abc', undefined)).toBe('abc');
  });
});
