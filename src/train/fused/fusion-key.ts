// Which trials can train together as one fused bundle. Fused members share everything but their
// learning-rate schedule: the same data, model, loss, optimizer and batch size, and the same seed
// (so the same initial weights and the same shuffled batches), the same plateau monitor and mode
// and the same objective. Only what the fused trainer reproduces exactly is fusable.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../spec/ids.js';
import type { LossName, TrialSpec } from '../../trial/types.js';

/**
 * Losses the fused trainer computes per member exactly as tfjs-layers does (the categorical
 * cross-entropies on the wasm kernels only). huberLoss is not among them: tfjs-core's reduces
 * over every member at once.
 */
export const FUSABLE_LOSSES: readonly LossName[] = ['meanSquaredError', 'meanAbsoluteError', 'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy'];

/** Extra metrics the fused trainer logs as tfjs-layers does (on the wasm kernels): 'accuracy' → acc, val_acc. */
export const FUSABLE_METRICS: readonly string[] = ['accuracy', 'acc'];

/**
 * Why `spec` cannot join a fused bundle, or undefined when it can. Fusable: a `layers` model of
 * dense (any activation, l1l2 kernel regularizers), dropout, batchNorm, layerNorm, conv2d,
 * pooling and flatten layers, or a model.json,
 * FUSABLE_METRICS only, one of FUSABLE_LOSSES and any optimizer (each has a stacked twin:
 * createStackedOptimizer's switch is exhaustive). Regularizers, dropout, batchNorm, layerNorm,
 * the categorical cross-entropies and accuracy train on the wasm kernels only (the runner
 * refuses them, naming the layer, where neither engine can: e.g. dropout next to an activation
 * the kernels lack). A model.json's layers are only known where its file is read: the runner
 * translates them (model-json-layers.ts) and refuses, naming the first layer no engine trains;
 * its trials then train one by one through model.fit. Trials of one sweep share the model.json
 * (the same artifact sha256 and shards), so they share a key. Not fusable for now: other
 * metrics, and huberLoss.
 */
export function fusionBlocker(spec: TrialSpec): string | undefined {
  const { model, loss, metrics } = spec.workload;
  if (model.kind === 'layers' && model.layers.length === 0) return 'the model has no layers';
  if (!FUSABLE_LOSSES.includes(loss)) return `loss ${loss} is not fusable yet (fusable: ${FUSABLE_LOSSES.join(', ')})`;
  const other = metrics.filter((name) => !FUSABLE_METRICS.includes(name));
  if (other.length > 0) return `extra metrics (${other.join(', ')}) are not computed by the fused trainer yet (it computes: accuracy)`;
  return undefined;
}

/**
 * Trials with equal keys can be fused (`fusable`). A trial that cannot join any bundle
 * (fusionBlocker says why) gets a key of its own, `solo:<trial id>`, so grouping by key never
 * puts it with another.
 */
export function fusionKey(spec: TrialSpec): string {
  if (fusionBlocker(spec) !== undefined) return `solo:${spec.id}`;
  const { workload, plateau, objective, seed, config } = spec;
  // The trial's batch size is config.batchSize (a grid axis may set it); workload.batchSize is its default.
  const shared = { workload: { ...workload, batchSize: config.batchSize }, seed, plateau, objective };
  return `fuse:${createHash('sha256').update(canonicalJson(shared)).digest('hex').slice(0, 32)}`;
}

/** Whether `a` and `b` can train in one fused bundle. */
export function fusable(a: TrialSpec, b: TrialSpec): boolean {
  return fusionBlocker(a) === undefined && fusionBlocker(b) === undefined && fusionKey(a) === fusionKey(b);
}
