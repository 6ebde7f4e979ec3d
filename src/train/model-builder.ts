// The trial's model: built from the spec's layer list (input shape from the dataset) or from a
// tfjs model.json, with initial weights fixed by the seed, then compiled with the workload's
// loss, metrics and optimizer at the trial's initial learning rate.
import { initializers, layers, regularizers, sequential, type LayersModel } from '@tensorflow/tfjs-layers';
import { losses, type Optimizer, type Tensor } from '@tensorflow/tfjs-core';
import { dirname, resolve } from 'node:path';
import { fileRefDisplayName } from '../artifacts/file-ref.js';
import { clientFileResolver, type FileResolver } from '../artifacts/file-resolver.js';
import type { LayerSpec, LossName, ModelSpec, WorkloadSpec } from '../trial/types.js';
import { layerShapes, networkInput } from './layer-shapes.js';
import { ModelError } from './model-error.js';
import { loadModelJson, type ShardLocator } from './model-json.js';
import { createOptimizer } from './optimizers.js';
import { SeededDropout } from './seeded-dropout.js';
import { deriveSeed, SeedStream } from './seeded-random.js';

/** What the model must fit: the dataset's row width and target width. */
export interface DataShape {
  readonly featureCount: number;
  readonly targetCount: number;
  /** One sample's shape as the file held it ([height, width, channels] for images); absent for tabular data. */
  readonly featureShape?: readonly number[];
}

/** `seed`: the trial's weights seed (deriveSeed(trialSeed, SeedStream.weights)). */
function layerFor(spec: LayerSpec, index: number, seed: number, inputShape: number[] | undefined): layers.Layer {
  const input = inputShape === undefined ? {} : { inputShape };
  switch (spec.kind) {
    case 'dense':
      if (!Number.isInteger(spec.units) || spec.units < 1) {
        throw new ModelError(`layer ${index + 1}: dense units ${spec.units} — expected a whole number, 1 or more`);
      }
      // Keras's Dense defaults (glorot_uniform kernel, zero bias), with the kernel seeded.
      return layers.dense({
        ...input,
        units: spec.units,
        activation: spec.activation,
        kernelInitializer: initializers.glorotUniform({ seed: deriveSeed(seed, index) }),
        biasInitializer: 'zeros',
        ...(spec.kernelRegularizer === undefined ? {} : { kernelRegularizer: regularizers.l1l2(spec.kernelRegularizer) }),
      });
    case 'dropout':
      if (!(spec.rate >= 0 && spec.rate < 1)) throw new ModelError(`layer ${index + 1}: dropout rate ${spec.rate} — expected [0, 1)`);
      return new SeededDropout({ ...input, rate: spec.rate, seed: deriveSeed(seed, index) });
    case 'batchNorm':
      return layers.batchNormalization(input);
    case 'conv2d':
      // Keras's Conv2D defaults (channels last, glorot_uniform kernel [k, k, inC, filters], zero bias), the kernel seeded as a dense one is.
      return layers.conv2d({
        ...input,
        filters: spec.filters,
        kernelSize: spec.kernelSize,
        strides: spec.strides,
        padding: spec.padding,
        dataFormat: 'channelsLast',
        activation: spec.activation,
        kernelInitializer: initializers.glorotUniform({ seed: deriveSeed(seed, index) }),
        biasInitializer: 'zeros',
      });
    case 'maxPooling2d':
      return layers.maxPooling2d({ ...input, poolSize: spec.poolSize, strides: spec.strides, padding: spec.padding, dataFormat: 'channelsLast' });
    case 'averagePooling2d':
      return layers.averagePooling2d({ ...input, poolSize: spec.poolSize, strides: spec.strides, padding: spec.padding, dataFormat: 'channelsLast' });
    case 'flatten':
      return layers.flatten(input);
    case 'layerNorm':
      // tfjs-layers' defaults: axis −1, ε 1e-3, γ ones and β zeros, both trained.
      return layers.layerNormalization(input);
  }
}

function buildSequential(layerSpecs: readonly LayerSpec[], shape: DataShape, seed: number): LayersModel {
  if (layerSpecs.length === 0) throw new ModelError('the model has no layers');
  // Refused before any layer is made: a layer that does not fit its input (e.g. dense straight after conv2d).
  const input = networkInput(layerSpecs, shape.featureCount, shape.featureShape);
  layerShapes(layerSpecs, input);
  const model = sequential();
  try {
    // Batches arrive as flat rows (every runner makes [rows, featureCount] tensors); an image
    // network reshapes them to NHWC first, which is the rows' own layout, so nothing moves.
    if (input.kind === 'image') model.add(layers.reshape({ inputShape: [shape.featureCount], targetShape: [input.height, input.width, input.channels] }));
    layerSpecs.forEach((spec, index) => model.add(layerFor(spec, index, seed, index === 0 && input.kind === 'flat' ? [shape.featureCount] : undefined)));
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

function lastDimension(shape: readonly (number | null)[] | undefined): number | null | undefined {
  return shape === undefined ? undefined : shape[shape.length - 1];
}

/** Refuses, before any training, a model whose input or output does not fit the data. */
function checkFits(model: LayersModel, shape: DataShape, loss: LossName, file: string | undefined): void {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ModelError(`the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs — expected one of each`, file);
  }
  const inputShape = model.inputs[0]?.shape;
  if (inputShape?.length !== 2 || inputShape[1] !== shape.featureCount) {
    throw new ModelError(`the model takes input shape [${String(inputShape)}] but the dataset has ${shape.featureCount} features per row`, file);
  }
  const outputs = lastDimension(model.outputs[0]?.shape);
  // Sparse categorical targets are class indices: one column, any number of output units.
  const expected = loss === 'sparseCategoricalCrossentropy' ? undefined : shape.targetCount;
  if (expected !== undefined && outputs !== expected) {
    throw new ModelError(`the model outputs ${String(outputs)} values per row but the dataset has ${expected} target column(s)`, file);
  }
}

type ModelJsonSpec = Extract<ModelSpec, { kind: 'modelJson' }>;

/**
 * Where a model.json's shards are read: a client's own model.json finds them next to it (as
 * tfjs does); a staged one only through its `weights` map, never by a path relative to anything.
 */
function shardLocator(model: ModelJsonSpec, modelPath: string, files: FileResolver): ShardLocator {
  const file = fileRefDisplayName(model.file);
  return (shard) => {
    const ref = model.weights[shard];
    if (ref !== undefined) return { path: files.localPath(ref, `workload.model.weights[${JSON.stringify(shard)}]`), name: fileRefDisplayName(ref) };
    if (model.file.kind === 'local') {
      const path = resolve(dirname(modelPath), shard);
      return { path, name: path };
    }
    throw new ModelError('a weights file its weightsManifest lists was not staged with the model — submit it again with `plateau submit`', file);
  };
}

/** An uncompiled model whose initial weights depend only on `seed` (and the spec); model.json files are read through `files`. */
export async function buildModel(workload: WorkloadSpec, shape: DataShape, seed: number, files: FileResolver = clientFileResolver): Promise<LayersModel> {
  const weightsSeed = deriveSeed(seed, SeedStream.weights);
  const spec = workload.model;
  let model: LayersModel;
  let file: string | undefined;
  if (spec.kind === 'layers') {
    model = buildSequential(spec.layers, shape, weightsSeed);
  } else {
    file = fileRefDisplayName(spec.file);
    const modelPath = files.localPath(spec.file, 'workload.model.file');
    model = await loadModelJson(modelPath, file, shardLocator(spec, modelPath, files), weightsSeed, shape.featureShape);
  }
  try {
    checkFits(model, shape, workload.loss, file);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** tfjs-layers has no Huber loss by name; tfjs-core's matches Keras's Huber (delta 1, mean). */
function lossFor(name: LossName): string | ((yTrue: Tensor, yPred: Tensor) => Tensor) {
  return name === 'huberLoss' ? (yTrue, yPred) => losses.huberLoss(yTrue, yPred) : name;
}

/**
 * Compiles `model` with a fresh optimizer at `learningRate` and returns that optimizer (the
 * caller disposes it: LayersModel.dispose() leaves the optimizer's slot variables alive).
 */
export function compileModel(model: LayersModel, workload: WorkloadSpec, learningRate: number): Optimizer {
  if (!(Number.isFinite(learningRate) && learningRate > 0)) {
    throw new ModelError(`learning rate ${learningRate} — expected a finite number above 0`);
  }
  const optimizer = createOptimizer(workload.optimizer, learningRate);
  model.compile({ optimizer, loss: lossFor(workload.loss), metrics: [...workload.metrics] });
  return optimizer;
}
