// The tensors of one fused bundle: K members' stacked weights and optimizer state, the
// validation rows, and the per-batch losses of the epoch in progress. Each training batch is
// ONE forward and backward pass for all members: the loss minimised is the sum of the members'
// losses, whose gradient with respect to member m's weights is exactly member m's own gradient.
import { broadcastTo, concat, dispose, keep, mean, reshape, slice, stack, sum, tensor2d, tidy, variableGrads, type Scalar, type Tensor, type Tensor2D } from '@tensorflow/tfjs-core';
import { metrics } from '@tensorflow/tfjs-layers';
import type { LossName } from '../../trial/types.js';
import type { DatasetSplit } from '../datasets/loaded-dataset.js';
import { batchSizes, gatherRows } from '../shuffled-batches.js';
import { StackedMlp } from './stacked-mlp.js';
import type { MatMulPlan } from './stacked-matmul.js';
import type { FusedEngine, FusedEngineOptions } from './fused-engine.js';
import { createStackedOptimizer, type StackedOptimizer } from './stacked-optimizers.js';

type LossFunction = (yTrue: Tensor, yPred: Tensor) => Tensor;

/** Per-row losses [K, rows] from targets [rows, t] and predictions [K, rows, t]: tfjs-layers' own loss functions. */
function memberLoss(loss: LossName): LossFunction {
  switch (loss) {
    case 'meanSquaredError':
      return (yTrue, yPred) => metrics.meanSquaredError(yTrue, yPred);
    case 'meanAbsoluteError':
      return (yTrue, yPred) => metrics.meanAbsoluteError(yTrue, yPred);
    case 'binaryCrossentropy':
      // Its sigmoidCrossEntropyWithLogits wants labels of the logits' shape: one copy per member.
      return (yTrue, yPred) => metrics.binaryCrossentropy(broadcastTo(yTrue, yPred.shape), yPred);
    default:
      throw new RangeError(`loss ${loss} has no fused implementation`);
  }
}

/** Validation rows per forward pass: whole batches, about this many rows (bounds the [K, rows, units] activations). */
const VALIDATION_CHUNK_ROWS = 1024;

interface ValidationChunk {
  readonly x: Tensor2D;
  readonly y: Tensor2D;
  /** Rows of each validation batch in this chunk, in order. */
  readonly batchSizes: readonly number[];
}

function validationChunks(split: DatasetSplit, featureCount: number, targetCount: number, batchSize: number): ValidationChunk[] {
  const chunkRows = batchSize * Math.max(1, Math.floor(VALIDATION_CHUNK_ROWS / batchSize));
  const chunks: ValidationChunk[] = [];
  for (let start = 0; start < split.count; start += chunkRows) {
    const rows = Math.min(chunkRows, split.count - start);
    chunks.push({
      x: tensor2d(split.x.slice(start * featureCount, (start + rows) * featureCount), [rows, featureCount]),
      y: tensor2d(split.y.slice(start * targetCount, (start + rows) * targetCount), [rows, targetCount]),
      batchSizes: batchSizes(rows, batchSize),
    });
  }
  return chunks;
}

export interface FusedBundleOptions extends FusedEngineOptions {
  readonly plan: MatMulPlan;
}

export class FusedBundle implements FusedEngine {
  private readonly mlp: StackedMlp;
  private readonly optimizer: StackedOptimizer;
  private readonly lossFunction: LossFunction;
  private readonly validation: ValidationChunk[];
  private readonly epochLosses: Tensor[] = [];
  private readonly epochBatchSizes: number[] = [];
  /** Rows of each validation batch, as Model.evaluate splits them (batchSize rows, the last one shorter). */
  readonly validationBatchSizes: readonly number[];

  constructor(private readonly options: FusedBundleOptions) {
    const { data, batchSize } = options;
    this.lossFunction = memberLoss(options.loss);
    this.mlp = new StackedMlp(options.memberWeights, options.activations, options.plan);
    this.optimizer = createStackedOptimizer(options.optimizer, options.learningRates);
    this.validation = validationChunks(data.validation, data.featureCount, data.targetCount, batchSize);
    this.validationBatchSizes = this.validation.flatMap((chunk) => chunk.batchSizes);
  }

  get memberCount(): number {
    return this.mlp.memberCount;
  }

  /** One optimizer step for every member on the given training rows. */
  trainBatch(rows: Uint32Array): void {
    const { data } = this.options;
    const x = tensor2d(gatherRows(data.train.x, data.featureCount, rows), [rows.length, data.featureCount]);
    const y = tensor2d(gatherRows(data.train.y, data.targetCount, rows), [rows.length, data.targetCount]);
    try {
      const losses = tidy(() => {
        const held: { losses?: Tensor } = {};
        const { grads } = variableGrads(() => {
          // [K]: each member's mean loss over the batch, tfjs-layers' reduction.
          const perMember = mean(this.lossFunction(y, this.mlp.predict(x)), 1);
          held.losses = keep(perMember);
          return sum(perMember) as Scalar;
        }, this.mlp.variables);
        const variables = this.mlp.variables;
        this.optimizer.applyGradients(
          variables,
          variables.map((v) => {
            const gradient = grads[v.name];
            if (gradient === undefined) throw new Error(`no gradient for ${v.name}`);
            return gradient;
          }),
        );
        if (held.losses === undefined) throw new Error('the loss was not computed');
        return held.losses;
      });
      this.epochLosses.push(losses);
      this.epochBatchSizes.push(rows.length);
    } finally {
      dispose([x, y]);
    }
  }

  /**
   * The batch losses since the last call, read back once: `losses[b · K + m]` is member m's
   * mean loss on batch b. Clears them.
   */
  async takeEpochLosses(): Promise<{ readonly losses: Float32Array; readonly batchSizes: number[] }> {
    const batches = this.epochLosses.splice(0);
    const batchSizes = this.epochBatchSizes.splice(0);
    if (batches.length === 0) return { losses: new Float32Array(0), batchSizes };
    const matrix = stack(batches);
    try {
      return { losses: Float32Array.from(await matrix.data()), batchSizes };
    } finally {
      dispose([matrix, ...batches]);
    }
  }

  /** Every member's mean loss on each validation batch: `means[m · B + b]`, B = validationBatchSizes.length. */
  async validationMeans(): Promise<Float32Array> {
    const k = this.mlp.memberCount;
    const perChunk = this.validation.map((chunk) =>
      tidy(() => {
        const perRow = this.lossFunction(chunk.y, this.mlp.predict(chunk.x)); // [K, rows]
        const batchSize = this.options.batchSize;
        const full = Math.floor((chunk.x.shape[0] ?? 0) / batchSize);
        const parts: Tensor[] = [];
        if (full > 0) parts.push(mean(reshape(slice(perRow, [0, 0], [k, full * batchSize]), [k, full, batchSize]), 2));
        const rest = (chunk.x.shape[0] ?? 0) - full * batchSize;
        if (rest > 0) parts.push(mean(slice(perRow, [0, full * batchSize], [k, rest]), 1, true));
        return parts.length === 1 ? (parts[0] as Tensor) : concat(parts, 1);
      }),
    );
    const all = perChunk.length === 1 ? (perChunk[0] as Tensor) : concat(perChunk, 1);
    try {
      return Float32Array.from(await all.data());
    } finally {
      dispose([all, ...perChunk]);
    }
  }

  /** From the next step on, member m trains at `rates[m]`. */
  setLearningRates(rates: readonly number[]): void {
    this.optimizer.setLearningRates(rates);
  }

  /**
   * New member i continues current member `indices[i]`. An index may repeat: each repeat is an
   * independent copy of that member's weights and optimizer state (how a shared slot forks).
   * Members not named are freed. Learning rates follow their members; set them after.
   */
  keepMembers(indices: readonly number[]): void {
    this.mlp.keepMembers(indices);
    this.optimizer.keepMembers(indices);
  }

  dispose(): void {
    dispose(this.epochLosses.splice(0));
    this.mlp.dispose();
    this.optimizer.dispose();
    dispose(this.validation.flatMap((chunk) => [chunk.x, chunk.y]));
  }
}
