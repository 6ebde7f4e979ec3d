// Dropout whose masks come from the trial's seed. tfjs's Dropout either draws from Math.random
// (no seed) or, given a seed, draws the SAME mask on every batch; this one draws a fresh,
// seeded mask per training call, so a run is reproducible and still regularizes like dropout.
//
// What a trial draws (the definition the fused trainer follows too, see docs/fused-training.md):
// the dropout layer at 0-based position i of the model's layer list has the layer seed
// deriveSeed(deriveSeed(trialSeed, SeedStream.weights), i); its k-th training call (k = 0, 1, …:
// one call per training batch, so k = epoch · batchesPerEpoch + batch) multiplies its input by
// tfjs-core's dropout multipliers drawn with seed deriveSeed(layerSeed, k). A mask depends on the
// trial's seed, the layer, the epoch and the batch only.
import { dropout, serialization, tidy, type Tensor } from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { Alea } from './alea.js';
import { deriveSeed, SeedStream } from './seeded-random.js';

/** The mask stream's seed of the dropout layer at 0-based position `layerIndex` of a trial with seed `trialSeed`. */
export function dropoutLayerSeed(trialSeed: number, layerIndex: number): number {
  return deriveSeed(deriveSeed(trialSeed, SeedStream.weights), layerIndex);
}

/** The seed of training call `call` of the layer whose stream seed is `layerSeed`. */
export function dropoutCallSeed(layerSeed: number, call: number): number {
  return deriveSeed(layerSeed, call);
}

/**
 * Writes into out[at, at + count) the multipliers (0 or 1/(1 − rate)) training call `call` of
 * that layer applies to an input of `count` values (row-major): what SeededDropout multiplies by,
 * bit for bit. tfjs-core's dropout computes floor(u + keep) / keep in float32 with u from
 * randomUniform (Alea seeded with the call's seed); this does the same arithmetic without a tensor.
 */
export function dropoutMultipliersInto(out: Float32Array, at: number, count: number, rate: number, layerSeed: number, call: number): void {
  const f32 = Math.fround;
  const keep = f32(1 - rate);
  const random = new Alea(dropoutCallSeed(layerSeed, call));
  for (let i = 0; i < count; i++) out[at + i] = f32(Math.floor(f32(f32(random.next()) + keep)) / keep);
}

type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;

export interface SeededDropoutArgs extends LayerArgs {
  readonly rate: number;
  readonly seed: number;
}

export class SeededDropout extends layers.Layer {
  static readonly className = 'PlateauSeededDropout';
  private readonly rate: number;
  private readonly seed: number;
  /** Training calls so far: call k draws its mask from deriveSeed(seed, k). */
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    super(args);
    this.rate = Math.min(Math.max(args.rate, 0), 1);
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: Parameters<layers.Layer['computeOutputShape']>[0]): ReturnType<layers.Layer['computeOutputShape']> {
    return inputShape;
  }

  override call(inputs: Tensor | Tensor[], kwargs: Readonly<Record<string, unknown>>): Tensor | Tensor[] {
    return tidy(() => {
      const input = Array.isArray(inputs) ? inputs[0] : inputs;
      if (input === undefined) throw new Error('PlateauSeededDropout expects one input tensor');
      if (kwargs['training'] !== true || this.rate <= 0 || this.rate >= 1) return input;
      const seed = dropoutCallSeed(this.seed, this.calls);
      this.calls += 1;
      return dropout(input, this.rate, undefined, seed);
    });
  }

  /** Training calls so far: the position of this layer's mask stream (saved in a trial checkpoint). */
  get trainingCalls(): number {
    return this.calls;
  }

  /** Resumes the mask stream where a checkpoint left it. */
  resumeTrainingCalls(calls: number): void {
    this.calls = calls;
  }

  override getConfig(): serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

serialization.registerClass(SeededDropout);
