// What the fused runner drives: K members' weights and optimizer state, trained together one
// batch at a time. Two engines implement it: FusedBundle (tfjs ops, any backend, bit for bit
// equal to single trials on cpu) and KernelBundle (the wasm kernels in kernels/, for dense
// networks on the wasm backend, within float32 noise of tfjs and several times faster).
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Activation, LayerSpec, LossName, OptimizerName } from '../../trial/types.js';
import type { LoadedDataset } from '../datasets/loaded-dataset.js';
import type { EngineState } from './bundle-part.js';

/** What either engine is built from. */
export interface FusedEngineOptions {
  readonly data: LoadedDataset;
  readonly batchSize: number;
  readonly loss: LossName;
  readonly optimizer: OptimizerName;
  /** One per dense layer. */
  readonly activations: readonly Activation[];
  /**
   * The whole layer list where it holds more than dense layers (dropout, batchNorm: only
   * KernelBundle trains those); absent, the network is the dense layers of `activations`.
   */
  readonly layers?: readonly LayerSpec[];
  /** The workload's extra metrics (only KernelBundle computes any: accuracy, logged as acc / val_acc). */
  readonly metrics?: readonly string[];
  /** The trials' seed (a bundle's members share it): where dropout masks come from (seeded-dropout.ts). */
  readonly seed?: number;
  /**
   * Per layer of `layers`: a dropout layer's mask-stream seed where the model fixes it (a
   * model.json's, see model-json.ts's seedTopology); undefined entries, or none, draw
   * dropoutLayerSeed(seed, layer) as a spec's layer list does.
   */
  readonly dropoutSeeds?: readonly (number | undefined)[];
  /** Member m's initial [kernel₀, bias₀, …] as a tfjs Dense stack holds them (copied, not kept). */
  readonly memberWeights: readonly (readonly Tensor[])[];
  /** Member m's initial float32 learning rate. */
  readonly learningRates: readonly number[];
}

export interface FusedEngine {
  readonly memberCount: number;
  /** Rows of each validation batch, as Model.evaluate splits them (batchSize rows, the last one shorter). */
  readonly validationBatchSizes: readonly number[];
  /**
   * One optimizer step for every member on the given training rows. `step`: training batches
   * before this one in the run (epoch · batchesPerEpoch + batch), which picks the dropout masks.
   */
  trainBatch(rows: Uint32Array, step: number): void;
  /** The batch losses since the last call: `losses[b · K + m]` is member m's mean loss on batch b. Clears them. */
  takeEpochLosses(): Promise<{ readonly losses: Float32Array; readonly batchSizes: number[] }>;
  /** Every member's mean loss on each validation batch: `means[m · B + b]`, B = validationBatchSizes.length. */
  validationMeans(): Promise<Float32Array>;
  /**
   * Where the workload logs acc (KernelBundle only): the batch accuracies of the epoch
   * takeEpochLosses just took, in its layout, and of the last validationMeans() pass, in its.
   */
  takeEpochAccuracies?(): Float32Array;
  validationAccuracies?(): Float32Array;
  /** From the next step on, member m trains at `rates[m]` (float32 values). */
  setLearningRates(rates: readonly number[]): void;
  /**
   * New member i takes old member indices[i]'s weights and optimizer state. An index may repeat
   * (a fork: two copies of one member); members not named are freed. The runner calls it between
   * epochs, and mid-epoch only on an engine that exports (a part handed off), where each member's
   * batch losses so far follow it.
   */
  keepMembers(indices: readonly number[]): void;
  /**
   * Between any two batches: a copy of members `indices`' weights, optimizer state, rates and
   * batch losses of the unfinished epoch, which an engine of the same kind resumes from (new
   * member i is old member indices[i]). Absent on an engine that cannot export, whose bundles
   * never hand a part off (FusedBundle).
   */
  exportMembers?(indices: readonly number[]): EngineState;
  dispose(): void;
}
