// JSON that keeps NaN and ±Infinity: tagged where needed, plain JSON everywhere else.
import { describe, expect, it } from 'vitest';
import { containsNonFinite, parseWithNonFinite, stringifyWithNonFinite } from '../../coordinator/json-numbers.js';

describe('JSON with non-finite numbers', () => {
  it('writes plain JSON when every number is finite', () => {
    const value = { epoch: 1, loss: 0.5, history: [{ lr: 0.1 }], name: 'x', none: null };
    expect(stringifyWithNonFinite(value)).toBe(JSON.stringify(value));
  });

  it('round-trips NaN and ±Infinity at any depth', () => {
    const value = { loss: Number.NaN, history: [{ val_loss: Number.POSITIVE_INFINITY }, { val_loss: Number.NEGATIVE_INFINITY }], ok: 1 };
    const back = parseWithNonFinite(stringifyWithNonFinite(value)) as typeof value;
    expect(Number.isNaN(back.loss)).toBe(true);
    expect(back.history).toEqual([{ val_loss: Infinity }, { val_loss: -Infinity }]);
    expect(back.ok).toBe(1);
  });

  it('reads plain JSON as JSON.parse does', () => {
    const text = '{"a":[1,2,{"b":null}],"c":"$"}';
    expect(parseWithNonFinite(text)).toEqual(JSON.parse(text));
  });

  it('finds a non-finite number in nested arrays and objects, and none in finite data', () => {
    expect(containsNonFinite({ a: [1, { b: [Number.NaN] }] })).toBe(true);
    expect(containsNonFinite([Number.NEGATIVE_INFINITY])).toBe(true);
    expect(containsNonFinite({ a: [1, { b: [2] }], c: 'NaN', d: null })).toBe(false);
  });
});
