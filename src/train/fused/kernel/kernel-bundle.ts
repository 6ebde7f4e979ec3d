// The fused engine on the wasm kernels: K members of one network of dense, dropout and
// batchNormalization layers, each a block of float32s in one kernel instance's memory (the
// trainable weights [kernel₀, bias₀, …, γ, β, …] in layer order, tfjs's layouts, then each
// batchNorm's moving mean and variance), with its optimizer slots beside it. A step runs member
// after member (forward, loss, backward, update) with no tfjs op in the arithmetic and no
// allocation, so a bundle of a few members costs what their arithmetic costs; the tfjs engine
// pays ~100 op dispatches per step. Dropout masks are drawn once per step and layer from the
// trials' seed (seeded-dropout.ts: every member shares it), so a member's training does not
// depend on the others. Its members' state exports as plain floats (exportMembers) and a bundle
// resumes from it, so a part of a bundle can move to another process between any two batches.
import { backend } from '@tensorflow/tfjs-core';
import type { Activation, LayerSpec, LossName } from '../../../trial/types.js';
import { MOMENTUM } from '../../optimizers.js';
import { dropoutLayerSeed, dropoutMultipliersInto } from '../../seeded-dropout.js';
import { batchSizes, gatherRowsInto } from '../../shuffled-batches.js';
import { OPTIMIZER_SLOTS } from '../bundle-memory.js';
import type { KernelEngineState } from '../bundle-part.js';
import type { FusedEngine, FusedEngineOptions } from '../fused-engine.js';
import { networkInput } from '../../layer-shapes.js';
import { imageBackward, imageForward, isImageLayer, placeImageStage, planImageStage, transposedFloats, type ImageShape, type ImageStage, type ImageStagePlan } from './conv-stages.js';
import { instantiateFusedMlpKernel, type FusedMlpKernel } from './kernel-module.js';

/** Activation codes of kernels/fused-mlp.ts; softmax (a row-wise op) runs after a linear biasActivate, in kernels/softmax-classification.ts. */
const ACTIVATION_CODES: Partial<Record<Activation, number>> = { linear: 0, relu: 1, tanh: 2, sigmoid: 3, softmax: 0 };
/**
 * Loss codes of kernels/fused-mlp.ts's loss(); the cross-entropies have functions of their own
 * (kernels/classification-losses.ts, kernels/softmax-classification.ts).
 */
const LOSS_CODES: Partial<Record<LossName, number>> = { meanSquaredError: 0, meanAbsoluteError: 1, binaryCrossentropy: 2, categoricalCrossentropy: 3, sparseCategoricalCrossentropy: 4 };
const BINARY_CROSSENTROPY = 2;
const CATEGORICAL_CROSSENTROPY = 3;
const SPARSE_CATEGORICAL_CROSSENTROPY = 4;

/** The metrics the kernels compute: tfjs-layers' 'accuracy' (logged as acc / val_acc). */
const KERNEL_METRICS: readonly string[] = ['accuracy', 'acc'];

/** The accuracy tfjs-layers compiles 'accuracy' to (kernels/softmax-classification.ts's kinds). */
export function accuracyKind(loss: LossName, outputs: number): number {
  if (outputs === 1 || loss === 'binaryCrossentropy') return 0;
  return loss === 'sparseCategoricalCrossentropy' ? 2 : 1;
}

/** tfjs-layers' LayerNormalization default ε. */
const LAYER_NORM_EPSILON = 1e-3;

/** tfjs-layers' BatchNormalization defaults (Keras's): moving averages with momentum 0.99, ε = 1e-3. */
const BATCH_NORM_MOMENTUM = 0.99;
const BATCH_NORM_EPSILON = 1e-3;

/**
 * Why the kernel engine cannot train this network, or undefined when it can (dense layers with
 * optional l1l2 kernel regularizers, dropout, batchNorm, layerNorm, conv2d, pooling and flatten
 * layers; the accuracy metric).
 */
export function kernelBlocker(layers: readonly LayerSpec[], loss: LossName, metrics: readonly string[] = []): string | undefined {
  // Softmax runs over a dense layer's rows only; a conv2d's (over each pixel's channels) has no kernel.
  const index = layers.findIndex((layer) => (layer.kind === 'dense' || layer.kind === 'conv2d') && (ACTIVATION_CODES[layer.activation] === undefined || (layer.kind === 'conv2d' && layer.activation === 'softmax')));
  const unsupported = layers[index];
  if (unsupported?.kind === 'dense') return `layer ${index + 1}: activation ${unsupported.activation} has no kernel`;
  if (unsupported?.kind === 'conv2d') return `layer ${index + 1}: conv2d activation ${unsupported.activation} has no kernel`;
  // The normalization kernels normalize flat rows; on images (per channel or per pixel) they have none.
  const firstFlat = layers.findIndex((layer) => layer.kind === 'flatten' || layer.kind === 'dense');
  const imageNorm = layers.findIndex((layer, l) => (layer.kind === 'batchNorm' || layer.kind === 'layerNorm') && layers.slice(0, l).some((before) => before.kind === 'conv2d' || before.kind === 'maxPooling2d' || before.kind === 'averagePooling2d') && (firstFlat < 0 || l < firstFlat));
  const normLayer = layers[imageNorm];
  if (normLayer !== undefined) return `layer ${imageNorm + 1} is ${normLayer.kind} on images: the kernels normalize flat rows only`;
  if (LOSS_CODES[loss] === undefined) return `loss ${loss} has no kernel`;
  const metric = metrics.find((name) => !KERNEL_METRICS.includes(name));
  if (metric !== undefined) return `metric ${metric} has no kernel (the kernels compute: accuracy)`;
  if (!layers.some((layer) => layer.kind === 'dense')) return 'the network has no dense layer';
  return undefined;
}

/** The network a KernelBundle trains, without its members' starting state. */
export type KernelNetworkOptions = Omit<FusedEngineOptions, 'memberWeights' | 'learningRates'>;

/** A KernelBundle that resumes exported members (exportMembers) instead of starting from initial weights; needs no tfjs tensor. */
export interface KernelResumeOptions extends KernelNetworkOptions {
  /** The whole layer list (the weights' shapes, which initial weights would otherwise give). */
  readonly layers: readonly LayerSpec[];
  readonly state: KernelEngineState;
}

/** One layer of the network, with its float offsets in a member block and byte offsets of its work buffers. */
type Stage =
  | ImageStage
  | (DensePlan & { readonly out: number })
  | { readonly kind: 'layerNorm'; readonly units: number; readonly gammaAt: number; readonly betaAt: number; readonly xhat: number; readonly invStd: number; readonly out: number }
  | { readonly kind: 'dropout'; readonly units: number; readonly rate: number; readonly layerSeed: number; readonly mask: number; readonly out: number }
  | {
      readonly kind: 'batchNorm';
      readonly units: number;
      readonly gammaAt: number;
      readonly betaAt: number;
      readonly meanAt: number;
      readonly varianceAt: number;
      readonly xhat: number;
      /** The batch's mean, variance and 1/√(var + ε), cols floats each (batchNormTrain). */
      readonly stats: number;
      readonly out: number;
    };

/** A stage's shape before its buffers are laid out. */
interface DensePlan {
  readonly kind: 'dense';
  readonly inputs: number;
  readonly units: number;
  readonly activation: number;
  /** A softmax output: biasActivate runs linear, then softmaxRows. */
  readonly softmax: boolean;
  readonly kernelAt: number;
  readonly biasAt: number;
  /** The kernel regularizer's float32 factors (0, 0 without one). */
  readonly l1: number;
  readonly l2: number;
}

type StagePlan =
  | ImageStagePlan
  | DensePlan
  | { readonly kind: 'layerNorm'; readonly units: number; readonly gammaAt: number; readonly betaAt: number }
  | { readonly kind: 'dropout'; readonly units: number; readonly rate: number; readonly layerSeed: number }
  | { readonly kind: 'batchNorm'; readonly units: number; readonly gammaAt: number; readonly betaAt: number; readonly meanAt: number; readonly varianceAt: number };

const BYTES = 4;
const ALIGN = 16;
const PAGE = 65536;

const f32 = Math.fround;
const ADAM_BETA1 = f32(0.9);
const ADAM_BETA2 = f32(0.999);
const RMSPROP_DECAY = f32(0.9);
const ADADELTA_RHO = f32(0.95);
const ADAGRAD_INITIAL_ACCUMULATOR = f32(0.1);

/** Fixed-size work buffers (byte offsets), laid out once. */
interface Scratch {
  readonly x: number;
  readonly y: number;
  /** Two ping-pong buffers for the gradient flowing backwards. */
  readonly back: readonly [number, number];
  readonly transposed: number;
  readonly grad: number;
  readonly validationX: number;
  readonly validationY: number;
  /** Where the member blocks start. */
  readonly end: number;
}

/**
 * The layers' offsets in a member block: trainable weights first, in layer order (what the
 * optimizer steps), then the batchNorm moving statistics. Returns the plan, the trainable floats
 * and the block's floats.
 */
function planStages(layers: readonly LayerSpec[], featureCount: number, featureShape: readonly number[] | undefined, dropoutSeedOf: (layer: number) => number, unitsOf: (layer: number) => number): { stages: StagePlan[]; trainable: number; size: number } {
  let at = 0;
  let inputs = featureCount;
  // The image the next layer reads (undefined once the rows are flat).
  const input = networkInput(layers, featureCount, featureShape);
  let image: ImageShape | undefined = input.kind === 'image' ? input : undefined;
  const shaped = layers.map((layer, index): StagePlan => {
    if (isImageLayer(layer)) {
      const activation = layer.kind === 'conv2d' ? (ACTIVATION_CODES[layer.activation] ?? 0) : 0;
      const placed = planImageStage(layer, image, inputs, at, activation);
      ({ at } = placed);
      image = placed.output;
      inputs = placed.stage.units;
      return placed.stage;
    }
    switch (layer.kind) {
      case 'dense': {
        if (image !== undefined) throw new RangeError(`KernelBundle: layer ${index + 1} (dense) reads images: a flatten layer must come first`);
        const units = unitsOf(index);
        const regularizer = layer.kernelRegularizer;
        const stage: DensePlan = {
          kind: 'dense',
          inputs,
          units,
          activation: ACTIVATION_CODES[layer.activation] ?? 0,
          softmax: layer.activation === 'softmax',
          kernelAt: at,
          biasAt: at + inputs * units,
          l1: f32(regularizer?.l1 ?? 0),
          l2: f32(regularizer?.l2 ?? 0),
        };
        at += inputs * units + units;
        inputs = units;
        return stage;
      }
      case 'dropout':
        return { kind: 'dropout', units: inputs, rate: layer.rate, layerSeed: dropoutSeedOf(index) };
      case 'batchNorm': {
        const stage = { kind: 'batchNorm' as const, units: inputs, gammaAt: at, betaAt: at + inputs, meanAt: -1, varianceAt: -1 };
        at += 2 * inputs;
        return stage;
      }
      case 'layerNorm': {
        const stage = { kind: 'layerNorm' as const, units: inputs, gammaAt: at, betaAt: at + inputs };
        at += 2 * inputs;
        return stage;
      }
    }
  });
  const trainable = at;
  const stages = shaped.map((stage) => {
    if (stage.kind !== 'batchNorm') return stage;
    const placed = { ...stage, meanAt: at, varianceAt: at + stage.units };
    at += 2 * stage.units;
    return placed;
  });
  return { stages, trainable, size: at };
}

export class KernelBundle implements FusedEngine {
  readonly validationBatchSizes: readonly number[];
  private readonly kernel: FusedMlpKernel;
  private readonly stages: Stage[];
  /** Floats per member block: trainable weights, then batchNorm moving statistics. */
  private readonly size: number;
  /** The block's leading floats the optimizer steps. */
  private readonly trainable: number;
  private readonly slotCount: number;
  private readonly scratch: Scratch;
  private readonly lossCode: number;
  private readonly epsilon: number;
  /** The accuracy kind (accuracyKind) when the workload logs acc, else undefined. */
  private readonly accuracy: number | undefined;
  /** The network's output width. */
  private readonly outputs: number;
  /** Each training batch's accuracies (one per member), beside epochLosses, when the workload logs acc. */
  private readonly epochAccuracies: Float32Array[] = [];
  /** The last validationMeans() pass's accuracies, `[m · B + b]`. */
  private lastValidationAccuracies = new Float32Array(0);
  /** The last forward pass's accuracy (when the workload logs acc). */
  private lastAccuracy = Number.NaN;
  private count: number;
  private rates: Float32Array;
  private readonly epochLosses: Float32Array[] = [];
  private readonly epochBatchSizes: number[] = [];
  /** Shared step state: every member has taken the same number of steps. */
  private accBeta1: number;
  private accBeta2: number;
  private heap: Float32Array<ArrayBuffer> = new Float32Array(0);

  private readonly options: KernelNetworkOptions;

  /** From initial weights and rates (FusedEngineOptions), or from an exported state (KernelResumeOptions). */
  constructor(start: FusedEngineOptions | KernelResumeOptions) {
    const { data, batchSize, activations, loss, optimizer, seed, metrics } = start;
    this.options = { data, batchSize, activations, loss, optimizer, ...(start.layers === undefined ? {} : { layers: start.layers }), ...(seed === undefined ? {} : { seed }), ...(metrics === undefined ? {} : { metrics }) };
    // Without a layer list (a dense network given by its activations) the widths come from the initial weights.
    const layers: readonly LayerSpec[] = start.layers ?? activations.map((activation, l) => ({ kind: 'dense', activation, units: 'state' in start ? 0 : (start.memberWeights[0]?.[2 * l + 1]?.shape[0] ?? 0) }));
    const blocker = kernelBlocker(layers, loss, start.metrics);
    if (blocker !== undefined) throw new RangeError(blocker);
    const hasDropout = layers.some((layer) => layer.kind === 'dropout');
    if (hasDropout && seed === undefined) throw new RangeError('KernelBundle: a network with dropout needs the trials\' seed');
    this.kernel = instantiateFusedMlpKernel();
    this.lossCode = LOSS_CODES[loss] ?? 0;
    this.epsilon = f32(backend().epsilon());
    this.slotCount = OPTIMIZER_SLOTS[optimizer];
    this.accBeta1 = 'state' in start ? start.state.accBeta1 : ADAM_BETA1;
    this.accBeta2 = 'state' in start ? start.state.accBeta2 : ADAM_BETA2;

    // A model.json's dropout layers draw from the seeds its topology was given (FusedEngineOptions.dropoutSeeds).
    const dropoutSeedOf = (l: number): number => start.dropoutSeeds?.[l] ?? dropoutLayerSeed(seed ?? 0, l);
    const plan = planStages(layers, data.featureCount, data.featureShape, dropoutSeedOf, (l) => {
      const layer = layers[l];
      const units = layer?.kind === 'dense' ? layer.units : 0;
      if (!(Number.isInteger(units) && units > 0)) throw new RangeError(`KernelBundle: no units for layer ${l + 1}`);
      return units;
    });
    this.size = plan.size;
    this.trainable = plan.trainable;
    const last = plan.stages[plan.stages.length - 1];
    if (last === undefined) throw new RangeError('KernelBundle: no layers');
    // Sparse categorical targets are one class label per row, whatever the output's width.
    const targets = loss === 'sparseCategoricalCrossentropy' ? 1 : last.units;
    if (targets !== data.targetCount) throw new RangeError(`KernelBundle: the network has ${last.units} outputs for ${data.targetCount} targets`);
    this.accuracy = (start.metrics ?? []).length > 0 ? accuracyKind(loss, last.units) : undefined;
    this.outputs = last.units;

    // Training and validation both run batchSize rows at a time.
    const rows = batchSize;
    const widest = Math.max(data.featureCount, ...plan.stages.map((stage) => stage.units));
    let offset = align(this.kernel.heapBase());
    const take = (floats: number): number => {
      const start = offset;
      offset = align(offset + floats * BYTES);
      return start;
    };
    this.stages = plan.stages.map((stage): Stage => {
      if (stage.kind === 'conv2d' || stage.kind === 'maxPool' || stage.kind === 'averagePool' || stage.kind === 'flatten') return placeImageStage(stage, rows, take);
      const out = take(rows * stage.units);
      switch (stage.kind) {
        case 'dense':
          return { ...stage, out };
        case 'dropout':
          return { ...stage, out, mask: take(rows * stage.units) };
        case 'batchNorm':
          return { ...stage, out, xhat: take(rows * stage.units), stats: take(3 * stage.units) };
        case 'layerNorm':
          return { ...stage, out, xhat: take(rows * stage.units), invStd: take(rows) };
      }
    });
    const denseStages = plan.stages.filter((stage) => stage.kind === 'dense');
    this.scratch = {
      x: take(rows * data.featureCount),
      y: take(rows * data.targetCount),
      back: [take(rows * widest), take(rows * widest)],
      transposed: take(Math.max(...denseStages.map((stage) => stage.inputs * stage.units), ...plan.stages.map((stage) => (stage.kind === 'conv2d' ? transposedFloats(stage) : 0)))),
      grad: take(this.size),
      validationX: take(data.validation.count * data.featureCount),
      validationY: take(data.validation.count * data.targetCount),
      end: offset,
    };
    if ('state' in start) {
      this.count = this.checkedCount(start.state);
      this.heap = this.reserve(this.count);
      this.rates = Float32Array.from(start.state.rates);
      this.importBlocks(start.state.blocks);
      this.importEpochLosses(start.state);
    } else {
      this.count = start.memberWeights.length;
      this.heap = this.reserve(this.count);
      this.rates = this.initialize(start);
    }
    this.heap.set(data.validation.x, this.scratch.validationX / BYTES);
    this.heap.set(data.validation.y, this.scratch.validationY / BYTES);
    this.validationBatchSizes = batchSizes(data.validation.count, batchSize);
  }

  /** Writes every member's initial weights (each layer's getWeights(), in layer order) and optimizer slots; returns the rates. */
  private initialize({ memberWeights, learningRates, optimizer }: FusedEngineOptions): Float32Array {
    memberWeights.forEach((weights, m) => {
      const base = this.memberAt(m) / BYTES;
      let next = 0;
      const put = (floatAt: number, what: string): void => {
        const weight = weights[next];
        if (weight === undefined) throw new RangeError(`KernelBundle: member ${m} lacks its ${what} (weight ${next})`);
        this.heap.set(weight.dataSync(), base + floatAt);
        next += 1;
      };
      this.stages.forEach((stage, l) => {
        if (stage.kind === 'dense' || stage.kind === 'conv2d') {
          put(stage.kernelAt, `layer ${l + 1} kernel`);
          put(stage.biasAt, `layer ${l + 1} bias`);
        } else if (stage.kind === 'batchNorm') {
          // tfjs-layers' BatchNormalization weights: gamma, beta, moving_mean, moving_variance.
          put(stage.gammaAt, `layer ${l + 1} gamma`);
          put(stage.betaAt, `layer ${l + 1} beta`);
          put(stage.meanAt, `layer ${l + 1} moving mean`);
          put(stage.varianceAt, `layer ${l + 1} moving variance`);
        } else if (stage.kind === 'layerNorm') {
          // tfjs-layers' LayerNormalization weights: gamma, beta.
          put(stage.gammaAt, `layer ${l + 1} gamma`);
          put(stage.betaAt, `layer ${l + 1} beta`);
        }
      });
      if (next !== weights.length) throw new RangeError(`KernelBundle: member ${m} has ${weights.length} weights for a network of ${next}`);
      for (let s = 0; s < this.slotCount; s++) {
        const start = this.slotAt(s, m) / BYTES;
        this.heap.fill(optimizer === 'adagrad' ? ADAGRAD_INITIAL_ACCUMULATOR : 0, start, start + this.size);
      }
    });
    const rates = Float32Array.from(learningRates);
    if (rates.length !== this.count) throw new RangeError(`KernelBundle: ${this.count} members but ${rates.length} learning rates`);
    return rates;
  }

  /** The state's member count, once its shape is this network's (before any of it is read). */
  private checkedCount(state: KernelEngineState): number {
    const { count, floatsPerMember, blocks, rates } = state;
    const mismatch = (what: string): RangeError => new RangeError(`KernelBundle: the exported state ${what}`);
    if (state.kind !== 'kernel') throw mismatch(`is a ${String(state.kind)} engine's`);
    if (!Number.isInteger(count) || count < 1) throw mismatch(`holds ${count} members`);
    if (floatsPerMember !== this.size) throw mismatch(`has ${floatsPerMember} floats per member for a network of ${this.size}`);
    if (blocks.length !== count * (1 + this.slotCount) * this.size) throw mismatch(`has ${blocks.length} floats for ${count} members of ${1 + this.slotCount} blocks of ${this.size}`);
    if (rates.length !== count) throw mismatch(`has ${rates.length} learning rates for ${count} members`);
    if (state.epochLosses.length !== state.epochBatchSizes.length * count) throw mismatch(`has ${state.epochLosses.length} batch losses for ${state.epochBatchSizes.length} batches of ${count} members`);
    return count;
  }

  /** The unfinished epoch's batch losses (exportMembers' layout), as trainBatch would have kept them. */
  private importEpochLosses({ epochLosses, epochAccuracies, epochBatchSizes, count }: KernelEngineState): void {
    if (this.accuracy !== undefined && epochAccuracies?.length !== epochLosses.length) throw new RangeError('KernelBundle: the exported state lacks the batch accuracies its workload logs');
    epochBatchSizes.forEach((rows, b) => {
      this.epochLosses.push(epochLosses.slice(b * count, (b + 1) * count));
      if (this.accuracy !== undefined && epochAccuracies !== undefined) this.epochAccuracies.push(epochAccuracies.slice(b * count, (b + 1) * count));
      this.epochBatchSizes.push(rows);
    });
  }

  /** Member-major blocks (exportMembers' layout) into the heap's block-major layout. */
  private importBlocks(blocks: Float32Array): void {
    for (let m = 0; m < this.count; m++) {
      for (let b = 0; b <= this.slotCount; b++) {
        const from = (m * (1 + this.slotCount) + b) * this.size;
        this.heap.set(blocks.subarray(from, from + this.size), this.blockAt(b, m) / BYTES);
      }
    }
  }

  get memberCount(): number {
    return this.count;
  }

  trainBatch(rows: Uint32Array, step: number): void {
    const { data, batchSize } = this.options;
    // The work buffers hold batchSize rows: a longer batch would run into the next buffer.
    if (rows.length > batchSize) throw new RangeError(`KernelBundle: a batch of ${rows.length} rows, over the batch size ${batchSize}`);
    const { scratch } = this;
    const heap = this.view();
    // One mask per dropout layer and step, the same for every member (they share the seed).
    for (const stage of this.stages) {
      if (stage.kind === 'dropout' && stage.rate > 0) dropoutMultipliersInto(heap, stage.mask / BYTES, rows.length * stage.units, stage.rate, stage.layerSeed, step);
    }
    const { featureCount, targetCount } = data;
    gatherRowsInto(heap, scratch.x / BYTES, data.train.x, featureCount, rows);
    gatherRowsInto(heap, scratch.y / BYTES, data.train.y, targetCount, rows);
    const losses = new Float32Array(this.count);
    const accuracies = new Float32Array(this.accuracy === undefined ? 0 : this.count);
    const oneMinusAccBeta1 = f32(1 - this.accBeta1);
    const oneMinusAccBeta2 = f32(1 - this.accBeta2);
    for (let m = 0; m < this.count; m++) {
      const weights = this.memberAt(m);
      losses[m] = this.forward(weights, scratch.x, scratch.y, rows.length, true);
      if (this.accuracy !== undefined) accuracies[m] = this.lastAccuracy;
      this.backward(weights, rows.length);
      this.update(m, weights, oneMinusAccBeta1, oneMinusAccBeta2);
    }
    this.accBeta1 = f32(this.accBeta1 * ADAM_BETA1);
    this.accBeta2 = f32(this.accBeta2 * ADAM_BETA2);
    this.epochLosses.push(losses);
    if (this.accuracy !== undefined) this.epochAccuracies.push(accuracies);
    this.epochBatchSizes.push(rows.length);
  }

  takeEpochLosses(): Promise<{ readonly losses: Float32Array; readonly batchSizes: number[] }> {
    const batches = this.epochLosses.splice(0);
    const losses = new Float32Array(batches.reduce((total, batch) => total + batch.length, 0));
    let at = 0;
    for (const batch of batches) {
      losses.set(batch, at);
      at += batch.length;
    }
    return Promise.resolve({ losses, batchSizes: this.epochBatchSizes.splice(0) });
  }

  validationMeans(): Promise<Float32Array> {
    const { data } = this.options;
    const batches = this.validationBatchSizes.length;
    const means = new Float32Array(this.count * batches);
    const accuracies = new Float32Array(this.accuracy === undefined ? 0 : this.count * batches);
    for (let m = 0; m < this.count; m++) {
      let start = 0;
      this.validationBatchSizes.forEach((rows, b) => {
        const x = this.scratch.validationX + start * data.featureCount * BYTES;
        const y = this.scratch.validationY + start * data.targetCount * BYTES;
        means[m * batches + b] = this.forward(this.memberAt(m), x, y, rows, false);
        if (this.accuracy !== undefined) accuracies[m * batches + b] = this.lastAccuracy;
        start += rows;
      });
    }
    this.lastValidationAccuracies = accuracies;
    return Promise.resolve(means);
  }

  takeEpochAccuracies(): Float32Array {
    const batches = this.epochAccuracies.splice(0);
    const accuracies = new Float32Array(batches.length * this.count);
    batches.forEach((batch, b) => accuracies.set(batch, b * this.count));
    return accuracies;
  }

  validationAccuracies(): Float32Array {
    return this.lastValidationAccuracies;
  }

  setLearningRates(rates: readonly number[]): void {
    if (rates.length !== this.count) throw new RangeError(`expected ${this.count} learning rates, got ${rates.length}`);
    this.rates = Float32Array.from(rates);
  }

  exportMembers(indices: readonly number[]): KernelEngineState {
    this.checkIndices(indices);
    const heap = this.view();
    const perMember = (1 + this.slotCount) * this.size;
    const blocks = new Float32Array(indices.length * perMember);
    indices.forEach((from, m) => {
      for (let b = 0; b <= this.slotCount; b++) {
        const start = this.blockAt(b, from) / BYTES;
        blocks.set(heap.subarray(start, start + this.size), m * perMember + b * this.size);
      }
    });
    const rates = Float32Array.from(indices, (from) => this.rates[from] ?? Number.NaN);
    const pick = (perBatch: readonly Float32Array[]): Float32Array => {
      const picked = new Float32Array(perBatch.length * indices.length);
      perBatch.forEach((batch, b) => indices.forEach((from, m) => (picked[b * indices.length + m] = batch[from] ?? Number.NaN)));
      return picked;
    };
    const epochLosses = pick(this.epochLosses);
    return {
      kind: 'kernel',
      count: indices.length,
      floatsPerMember: this.size,
      blocks,
      rates,
      accBeta1: this.accBeta1,
      accBeta2: this.accBeta2,
      epochLosses,
      ...(this.accuracy === undefined ? {} : { epochAccuracies: pick(this.epochAccuracies) }),
      epochBatchSizes: [...this.epochBatchSizes],
    };
  }

  keepMembers(indices: readonly number[]): void {
    this.checkIndices(indices);
    const blocks = 1 + this.slotCount;
    const heap = this.view();
    // Every old block (weights, then each optimizer slot) copied out, then written back in the new order.
    const old = Array.from({ length: blocks }, (_, b) => {
      const start = this.blockAt(b, 0) / BYTES;
      return heap.slice(start, start + this.count * this.size);
    });
    const oldRates = this.rates;
    this.count = indices.length;
    this.heap = this.reserve(this.count);
    indices.forEach((from, m) => {
      old.forEach((values, b) => {
        const to = this.blockAt(b, m) / BYTES;
        this.heap.set(values.subarray(from * this.size, (from + 1) * this.size), to);
      });
    });
    this.rates = Float32Array.from(indices, (from) => oldRates[from] ?? Number.NaN);
    // Mid-epoch (a part handed off), the epoch's losses so far follow their members.
    this.epochLosses.forEach((batch, b) => (this.epochLosses[b] = Float32Array.from(indices, (from) => batch[from] ?? Number.NaN)));
    this.epochAccuracies.forEach((batch, b) => (this.epochAccuracies[b] = Float32Array.from(indices, (from) => batch[from] ?? Number.NaN)));
  }

  /** Nothing to free by hand: the kernel instance and its memory go with this object. */
  dispose(): void {
    this.epochLosses.splice(0);
    this.epochAccuracies.splice(0);
    this.count = 0;
  }

  /** Member m's weights (byte offset); its optimizer slots follow all members' weights. */
  private memberAt(m: number): number {
    return this.scratch.end + m * this.size * BYTES;
  }

  private slotAt(slot: number, m: number): number {
    return this.scratch.end + ((1 + slot) * this.count + m) * this.size * BYTES;
  }

  /** Member m's block b (byte offset): 0 its weights, 1 + s its optimizer slot s. */
  private blockAt(b: number, m: number): number {
    return b === 0 ? this.memberAt(m) : this.slotAt(b - 1, m);
  }

  private checkIndices(indices: readonly number[]): void {
    for (const index of indices) if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new RangeError(`no member ${index} among ${this.count}`);
  }

  /** Grows memory to hold `count` members and returns a fresh view of it. */
  private reserve(count: number): Float32Array<ArrayBuffer> {
    const needed = this.scratch.end + (1 + this.slotCount) * count * this.size * BYTES;
    const { memory } = this.kernel;
    if (needed > memory.buffer.byteLength) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
    return this.view();
  }

  /** The memory as floats (re-made after a grow detached the old buffer). */
  private view(): Float32Array<ArrayBuffer> {
    if (this.heap.buffer !== this.kernel.memory.buffer) this.heap = new Float32Array(this.kernel.memory.buffer);
    return this.heap;
  }

  /** Runs the network of the member at `weights` on `rows` rows at x; returns the mean loss (and leaves dLoss/dOutput in back[0] when `training`). */
  private forward(weights: number, x: number, y: number, rows: number, training: boolean): number {
    const { kernel, scratch } = this;
    let input = x;
    for (const stage of this.stages) {
      switch (stage.kind) {
        case 'conv2d':
        case 'maxPool':
        case 'averagePool':
        case 'flatten':
          input = imageForward(kernel, stage, input, weights, rows);
          break;
        case 'dense':
          kernel.gemm(input, stage.inputs, 1, weights + stage.kernelAt * BYTES, stage.out, rows, stage.inputs, stage.units, 0);
          kernel.biasActivate(stage.out, weights + stage.biasAt * BYTES, rows, stage.units, stage.activation);
          if (stage.softmax) kernel.softmaxRows(stage.out, rows, stage.units);
          input = stage.out;
          break;
        case 'layerNorm':
          // Inference keeps no x̂ or 1/σ for a backward pass (0: the kernel skips them).
          kernel.layerNormForward(input, stage.out, training ? stage.xhat : 0, training ? stage.invStd : 0, rows, stage.units, weights + stage.gammaAt * BYTES, weights + stage.betaAt * BYTES, f32(LAYER_NORM_EPSILON));
          input = stage.out;
          break;
        case 'dropout':
          // Inference passes through; training multiplies by this step's mask.
          if (training && stage.rate > 0) {
            kernel.scaleByMask(input, stage.mask, stage.out, rows * stage.units);
            input = stage.out;
          }
          break;
        case 'batchNorm': {
          const [gamma, beta, mean, variance] = [stage.gammaAt, stage.betaAt, stage.meanAt, stage.varianceAt].map((at) => weights + at * BYTES) as [number, number, number, number];
          if (training) kernel.batchNormTrain(input, stage.out, stage.xhat, stage.stats, rows, stage.units, gamma, beta, mean, variance, f32(1 - BATCH_NORM_MOMENTUM), f32(BATCH_NORM_EPSILON));
          else kernel.batchNormInfer(input, stage.out, rows, stage.units, gamma, beta, mean, variance, f32(BATCH_NORM_EPSILON));
          input = stage.out;
          break;
        }
      }
    }
    const grad = training ? scratch.back[0] : 0;
    const outputs = this.outputs;
    if (this.accuracy !== undefined) this.lastAccuracy = kernel.accuracy(this.accuracy, input, y, rows, outputs);
    let loss: number;
    if (this.lossCode === BINARY_CROSSENTROPY) loss = kernel.binaryCrossentropy(input, y, rows, outputs, grad, this.epsilon);
    else if (this.lossCode === CATEGORICAL_CROSSENTROPY || this.lossCode === SPARSE_CATEGORICAL_CROSSENTROPY) {
      loss = kernel.categoricalCrossentropy(input, y, rows, outputs, this.lossCode === SPARSE_CATEGORICAL_CROSSENTROPY ? 1 : 0, grad, this.epsilon);
    } else loss = kernel.loss(this.lossCode, input, y, rows, outputs, grad);
    // tfjs-layers adds each layer's regularizer penalty to the training loss, in layer order (not to val_loss).
    if (training) {
      for (const stage of this.stages) {
        if (stage.kind === 'dense' && (stage.l1 !== 0 || stage.l2 !== 0)) loss = f32(loss + kernel.l1l2Penalty(weights + stage.kernelAt * BYTES, stage.inputs * stage.units, stage.l1, stage.l2));
      }
    }
    return loss;
  }

  /** Gradients of every trainable weight into scratch.grad, from dLoss/dOutput in back[0] and what forward left in the stages' buffers. */
  private backward(weights: number, rows: number): void {
    const { kernel, scratch } = this;
    let current: 0 | 1 = 0;
    for (let l = this.stages.length - 1; l >= 0; l--) {
      const stage = this.stages[l];
      if (stage === undefined) continue;
      const dz = scratch.back[current];
      if (stage.kind === 'conv2d' || stage.kind === 'maxPool' || stage.kind === 'averagePool' || stage.kind === 'flatten') {
        const next: 0 | 1 = current === 0 ? 1 : 0;
        const buffers = { dz, dx: l > 0 ? scratch.back[next] : undefined, input: this.stageInput(l), weights, grad: scratch.grad, transposed: scratch.transposed };
        if (imageBackward(kernel, stage, rows, buffers)) current = next;
        continue;
      }
      if (stage.kind === 'dropout') {
        if (l > 0 && stage.rate > 0) kernel.scaleByMask(dz, stage.mask, dz, rows * stage.units);
        continue;
      }
      if (stage.kind === 'batchNorm') {
        kernel.batchNormBackward(dz, stage.xhat, stage.stats, weights + stage.gammaAt * BYTES, rows, stage.units, scratch.grad + stage.gammaAt * BYTES, scratch.grad + stage.betaAt * BYTES);
        continue;
      }
      if (stage.kind === 'layerNorm') {
        kernel.layerNormBackward(dz, stage.xhat, stage.invStd, weights + stage.gammaAt * BYTES, rows, stage.units, scratch.grad + stage.gammaAt * BYTES, scratch.grad + stage.betaAt * BYTES);
        continue;
      }
      if (stage.softmax) kernel.softmaxGrad(dz, stage.out, rows, stage.units);
      else kernel.activationGrad(dz, stage.out, rows * stage.units, stage.activation);
      const input = this.stageInput(l);
      // dW = inputᵀ · dz: the input read transposed through its strides.
      kernel.gemm(input, 1, stage.inputs, dz, scratch.grad + stage.kernelAt * BYTES, stage.inputs, rows, stage.units, 0);
      if (stage.l1 !== 0 || stage.l2 !== 0) kernel.addL1L2Grad(weights + stage.kernelAt * BYTES, scratch.grad + stage.kernelAt * BYTES, stage.inputs * stage.units, stage.l1, stage.l2);
      kernel.columnSums(dz, rows, stage.units, scratch.grad + stage.biasAt * BYTES);
      if (l > 0) {
        // d input = dz · Wᵀ, with Wᵀ made contiguous for the product's fast path.
        kernel.transpose(weights + stage.kernelAt * BYTES, stage.inputs, stage.units, scratch.transposed);
        const next: 0 | 1 = current === 0 ? 1 : 0;
        kernel.gemm(dz, stage.units, 1, scratch.transposed, scratch.back[next], rows, stage.units, stage.inputs, 0);
        current = next;
      }
    }
  }

  /** Where layer l's training input is (byte offset): the batch, or the last output before it (a dropout with rate 0 passes its input on). */
  private stageInput(l: number): number {
    for (let before = l - 1; before >= 0; before--) {
      const stage = this.stages[before];
      if (stage !== undefined && !(stage.kind === 'dropout' && stage.rate <= 0) && stage.kind !== 'flatten') return stage.out;
    }
    return this.scratch.x;
  }

  /** One optimizer step of member m from scratch.grad. */
  private update(m: number, weights: number, oneMinusAccBeta1: number, oneMinusAccBeta2: number): void {
    const { kernel, epsilon } = this;
    // Only the trainable weights: the batchNorm moving statistics after them are not stepped.
    const size = this.trainable;
    const g = this.scratch.grad;
    const lr = this.rates[m] ?? Number.NaN;
    const negLr = -lr;
    switch (this.options.optimizer) {
      case 'sgd':
        return kernel.sgd(weights, g, size, negLr);
      case 'momentum':
        return kernel.momentum(weights, g, this.slotAt(0, m), size, f32(MOMENTUM), negLr);
      case 'adam':
        return kernel.adam(weights, g, this.slotAt(0, m), this.slotAt(1, m), size, ADAM_BETA1, f32(1 - 0.9), ADAM_BETA2, f32(1 - 0.999), oneMinusAccBeta1, oneMinusAccBeta2, epsilon, negLr);
      case 'rmsprop':
        return kernel.rmsprop(weights, g, this.slotAt(0, m), this.slotAt(1, m), size, RMSPROP_DECAY, f32(1 - 0.9), 0, epsilon, lr);
      case 'adagrad':
        return kernel.adagrad(weights, g, this.slotAt(0, m), size, epsilon, negLr);
      case 'adadelta':
        return kernel.adadelta(weights, g, this.slotAt(0, m), this.slotAt(1, m), size, ADADELTA_RHO, f32(1 - 0.95), epsilon, negLr);
      case 'adamax':
        // tfjs: lr / (iteration · decay + 1) with decay 0, then / (1 − β₁ᵗ).
        return kernel.adamax(weights, g, this.slotAt(0, m), this.slotAt(1, m), size, ADAM_BETA1, f32(1 - 0.9), ADAM_BETA2, epsilon, f32(f32(negLr / 1) / oneMinusAccBeta1));
    }
  }
}

function align(offset: number): number {
  return Math.ceil(offset / ALIGN) * ALIGN;
}
