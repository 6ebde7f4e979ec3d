// The dropout masks the fused kernels draw (dropoutMultipliersInto, over a port of tfjs-core's
// Alea) are the multipliers tfjs-core's dropout op draws for the same seed, bit for bit: that is
// what keeps a kernel-trained trial on the masks SeededDropout applies inside model.fit.
import { dropout, ones, randomUniform, tidy } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Alea } from '../../src/train/alea.js';
import { silentLogger } from '../../src/log/logger.js';
import { selectBackend } from '../../src/train/backend.js';
import { dropoutCallSeed, dropoutLayerSeed, dropoutMultipliersInto } from '../../src/train/seeded-dropout.js';

function tfjsMultipliers(rows: number, units: number, rate: number, seed: number): Float32Array {
  return tidy(() => Float32Array.from(dropout(ones([rows, units]), rate, undefined, seed).dataSync()));
}

describe('dropout masks without tensors', () => {
  it('Alea draws the numbers tfjs-core\'s randomUniform draws for the same seed', async () => {
    await selectBackend('cpu', silentLogger);
    const seed = dropoutCallSeed(dropoutLayerSeed(42, 1), 7);
    const expected = tidy(() => Float32Array.from(randomUniform([300], 0, 1, 'float32', seed).dataSync()));
    const random = new Alea(seed);
    expect(Float32Array.from(expected, () => random.next())).toEqual(expected);
  });

  it.each([
    [0.1, 64, 64],
    [0.25, 7, 5],
    [0.5, 32, 8],
    [0.9, 3, 11],
  ])('rate %f on a [%i, %i] input: the multipliers of tfjs\'s dropout op, bit for bit, at every call', async (rate, rows, units) => {
    await selectBackend('cpu', silentLogger);
    const layerSeed = dropoutLayerSeed(42, 2);
    for (const call of [0, 1, 127, 12_345]) {
      const out = new Float32Array(rows * units + 3);
      dropoutMultipliersInto(out, 3, rows * units, rate, layerSeed, call);
      expect(out.subarray(3)).toEqual(tfjsMultipliers(rows, units, rate, dropoutCallSeed(layerSeed, call)));
    }
  });

  it('draws a different mask at each call of a layer and for each layer', () => {
    const masks = [
      [1, 0],
      [1, 1],
      [2, 0],
    ].map(([layer = 0, call = 0]) => {
      const out = new Float32Array(256);
      dropoutMultipliersInto(out, 0, 256, 0.5, dropoutLayerSeed(42, layer), call);
      return Array.from(out).join();
    });
    expect(new Set(masks).size).toBe(3);
  });
});
