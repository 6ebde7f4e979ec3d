// How an epoch's rows are cut into batches and copied out, as Keras's fit and evaluate cut them.
import { describe, expect, it } from 'vitest';
import { batchSizes, epochBatches, gatherRows, gatherRowsInto } from '../../src/train/shuffled-batches.js';

describe('batch cutting', () => {
  it('gives every batch batchSize rows and the last one the rest', () => {
    expect(batchSizes(10, 4)).toEqual([4, 4, 2]);
  });

  it('gives no batches for no rows', () => {
    expect(batchSizes(0, 4)).toEqual([]);
  });

  it('cuts a permutation into batches of those sizes, in order', () => {
    const batches = epochBatches(Uint32Array.from([3, 1, 4, 0, 2]), 2).map((batch) => [...batch]);
    expect(batches).toEqual([[3, 1], [4, 0], [2]]);
    expect(batches.map((batch) => batch.length)).toEqual(batchSizes(5, 2));
  });

  it('copies the named rows of a row-major matrix, in the order named', () => {
    const matrix = Float32Array.from([0, 1, 10, 11, 20, 21]);
    expect([...gatherRows(matrix, 2, Uint32Array.from([2, 0]))]).toEqual([20, 21, 0, 1]);
  });

  it('gathers rows into a buffer from an offset, leaving the rest of it as it was', () => {
    const matrix = Float32Array.from([0, 1, 10, 11, 20, 21]);
    const target = new Float32Array(7).fill(-1);
    gatherRowsInto(target, 1, matrix, 2, Uint32Array.from([2, 0]));
    expect([...target]).toEqual([-1, 20, 21, 0, 1, -1, -1]);
  });
});
