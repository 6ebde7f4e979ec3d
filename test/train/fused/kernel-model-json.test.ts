// A model.json whose layers the kernels train takes the fused path: its members start from the
// model.json's weight shards (or its seeded initializers when it has none) and draw the dropout
// masks model.fit draws for it, so a fused member equals the same trial alone on the kernels bit
// for bit, and the same trial through model.fit within float32 noise, with the same LR reductions.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { input, layers, model as functionalModel, regularizers, sequential, type LayersModel, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { BundleHandoff, BundlePart } from '../../../src/train/fused/bundle-part.js';
import { notFusableReason, resumeFusedTrials, runFusedTrials, trainsOnKernels } from '../../../src/train/fused/fused-runner.js';
import { NotFusableError } from '../../../src/train/fused/not-fusable-error.js';
import type { DatasetSpec, LayerSpec, TrialResult, TrialSpec, WorkloadSpec } from '../../../src/trial/types.js';
import { bundle, expectSameResult, FORKING, separately } from './fused-fixtures.js';
import { modelDirs, saveModelJson, takeSpecWeights } from './saved-model-json.js';

const models = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models');

function modelJson(name: string, workload: Partial<WorkloadSpec> = {}): Partial<WorkloadSpec> {
  return { model: { kind: 'modelJson', file: { kind: 'local', path: path.join(models, name, 'model.json') }, weights: {} }, ...workload };
}

/** What a trial reports, less its wall time. */
function reported(result: TrialResult | undefined): unknown {
  if (result === undefined) return undefined;
  const { wallSeconds: _wallSeconds, ...rest } = result;
  return rest;
}

async function aloneOnKernels(specs: readonly TrialSpec[]): Promise<TrialResult[]> {
  const results: TrialResult[] = [];
  for (const spec of specs) results.push(...(await runFusedTrials([spec], { backend: 'cpu', engine: 'kernel' })));
  return results;
}

describe('a model.json on the fused kernels', () => {
  it('trains on the kernels: dense, batch norm and dropout layers with weight shards', async () => {
    const [spec] = bundle(modelJson('mlp-bn-weights'));
    expect(await trainsOnKernels(spec as TrialSpec, 'wasm')).toBe(true);
    expect(await notFusableReason(spec as TrialSpec)).toBeUndefined();
  });

  it('a fused member with weight shards equals the same trial alone on the kernels, bit for bit', async () => {
    const specs = bundle(modelJson('mlp-bn-weights'), FORKING);
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const alone = await aloneOnKernels(specs);
    expect(fused.every((result) => result.outcome.status === 'succeeded')).toBe(true);
    expect(new Set(alone.map((result) => result.lrReductions.join())).size).toBeGreaterThan(1);
    expect(fused.map(reported)).toEqual(alone.map(reported));
  });

  it('a fused member with weight shards equals model.fit on the same model.json: same LR reductions, losses within float32 noise', async () => {
    const specs = bundle(modelJson('mlp-bn-weights', { epochs: 6 }));
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const single = await separately(specs);
    expect(single.some((result) => result.lrReductions.length > 0)).toBe(true);
    single.forEach((result, i) => expectSameResult(fused[i], result, 1e-4));
  });

  it('without weight shards, members start from the seeded initializers as model.fit does', async () => {
    const specs = bundle(modelJson('tiny-mlp', { epochs: 6 }));
    const fused = await runFusedTrials(specs, { backend: 'cpu', engine: 'kernel' });
    const single = await separately(specs);
    single.forEach((result, i) => expectSameResult(fused[i], result, 1e-4));
  });

  it('on the wasm backend, where the kernels are the default', async () => {
    const specs = bundle(modelJson('mlp-bn-weights', { epochs: 5 }));
    const fused = await runFusedTrials(specs, { backend: 'wasm' });
    const single = await separately(specs, 'wasm');
    single.forEach((result, i) => expectSameResult(fused[i], result, 1e-4));
  });
});

describe('a model.json bundle handed off mid-epoch', () => {
  it('resumes with the model.json\'s dropout seeds and moving statistics: giver and part report what the unsplit bundle reports, bit for bit', async () => {
    const specs = bundle(modelJson('mlp-bn-weights', { epochs: 6 }), [FORKING[0] ?? {}, FORKING[1] ?? {}, FORKING[4] ?? {}]);
    const whole = await runFusedTrials(specs, { backend: 'wasm' });
    const parts: BundlePart[] = [];
    let asked = 0;
    // Wanted before batch 1 of epoch 1 (the tiny regression trains 4 batches an epoch).
    const handoff: BundleHandoff = { wanted: () => asked++ >= 5 && parts.length === 0, take: (part) => parts.push(part) };
    const giver = await runFusedTrials(specs, { backend: 'wasm', handoff });
    const [part] = parts;
    if (part === undefined) throw new Error('no part was handed off');
    const resumed = await resumeFusedTrials(structuredClone(part), { backend: 'wasm' });
    const byId = new Map([...giver, ...resumed].map((result) => [result.trialId, result]));
    expect(specs.map((spec) => reported(byId.get(spec.id)))).toEqual(whole.map(reported));
  });
});

describe('a model.json with a layer no fused engine trains', () => {
  const dilated = bundle(modelJson('keras-cnn-dilated'));
  const reason = "Conv2D 'conv_1' dilation_rate is not 1 (the kernels have no dilated convolution)";

  it('is refused before training, naming the layer', async () => {
    const refused = runFusedTrials(dilated, { backend: 'cpu' });
    await expect(refused).rejects.toThrow(NotFusableError);
    await expect(refused).rejects.toThrow(reason);
  });

  it('says why in one reason, and does not train on the kernels alone either', async () => {
    const [spec] = dilated;
    expect(await notFusableReason(spec as TrialSpec)).toBe(reason);
    expect(await trainsOnKernels(spec as TrialSpec, 'wasm')).toBe(false);
  });
});

const dirs = modelDirs();
afterAll(() => dirs.remove());

const TINY_IMAGES: DatasetSpec = { kind: 'synthetic-images', samples: 96, height: 9, width: 9, channels: 2, classes: 3, seed: 5, validationSplit: 0.25 };
const BLOBS: DatasetSpec = { kind: 'synthetic-classification', samples: 160, features: 4, classes: 3, oneHot: false, seed: 3, validationSplit: 0.25 };

/** conv → max pool → conv → average pool → flatten → softmax, as a spec writes it … */
const SPEC_CNN: readonly LayerSpec[] = [
  { kind: 'conv2d', filters: 4, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' },
  { kind: 'maxPooling2d', poolSize: 2, strides: 2, padding: 'valid' },
  { kind: 'conv2d', filters: 6, kernelSize: 2, strides: 1, padding: 'valid', activation: 'tanh' },
  { kind: 'averagePooling2d', poolSize: 2, strides: 1, padding: 'same' },
  { kind: 'flatten' },
  { kind: 'dense', units: 3, activation: 'softmax' },
];

/** … and as tfjs-layers builds it, on [9, 9, 2] images: a Sequential with the input shape on its first layer. */
function tfjsSequentialCnn(): LayersModel {
  return sequential({
    layers: [
      layers.conv2d({ inputShape: [9, 9, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 6, kernelSize: 2, activation: 'tanh' }),
      layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
      layers.flatten(),
      layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
}

/** … and as a Functional model whose InputLayer takes [null, 9, 9, 2] images. */
function tfjsFunctionalCnn(): LayersModel {
  const images = input({ shape: [9, 9, 2] });
  let x = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(images) as SymbolicTensor;
  x = layers.maxPooling2d({ poolSize: 2 }).apply(x) as SymbolicTensor;
  x = layers.conv2d({ filters: 6, kernelSize: 2, activation: 'tanh' }).apply(x) as SymbolicTensor;
  x = layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }).apply(x) as SymbolicTensor;
  x = layers.flatten().apply(x) as SymbolicTensor;
  return functionalModel({ inputs: images, outputs: layers.dense({ units: 3, activation: 'softmax' }).apply(x) as SymbolicTensor });
}

/** A dense net with layer normalization, l1l2 and l2 kernel regularizers and a softmax, as a spec writes it … */
const SPEC_DENSE: readonly LayerSpec[] = [
  { kind: 'dense', units: 12, activation: 'relu', kernelRegularizer: { l1: 0.001, l2: 0.01 } },
  { kind: 'layerNorm' },
  { kind: 'dense', units: 3, activation: 'softmax', kernelRegularizer: { l1: 0, l2: 0.005 } },
];

/** … and as tfjs-layers builds it. */
function tfjsDense(): LayersModel {
  return sequential({
    layers: [
      layers.dense({ inputShape: [4], units: 12, activation: 'relu', kernelRegularizer: regularizers.l1l2({ l1: 0.001, l2: 0.01 }) }),
      layers.layerNormalization(),
      layers.dense({ units: 3, activation: 'softmax', kernelRegularizer: regularizers.l2({ l2: 0.005 }) }),
    ],
  });
}

interface SameModel {
  readonly name: string;
  readonly dataset: DatasetSpec;
  readonly specLayers: readonly LayerSpec[];
  readonly tfjs: () => LayersModel;
}

const SAME_MODELS: readonly SameModel[] = [
  { name: 'a Sequential CNN (conv, max pool, conv, average pool, flatten, softmax)', dataset: TINY_IMAGES, specLayers: SPEC_CNN, tfjs: tfjsSequentialCnn },
  { name: 'a Functional CNN with an image InputLayer', dataset: TINY_IMAGES, specLayers: SPEC_CNN, tfjs: tfjsFunctionalCnn },
  { name: 'a dense net with layer normalization, kernel regularizers and softmax', dataset: BLOBS, specLayers: SPEC_DENSE, tfjs: tfjsDense },
];

const GENTLE: Parameters<typeof bundle>[1] = [
  { learningRate: 0.01, factor: 0.5, patience: 1, minDelta: 0.2 },
  { learningRate: 0.01, factor: 0.1, patience: 0, minDelta: 0.05 },
  { learningRate: 0.003, factor: 0.5, patience: 1, minDelta: 0.1 },
];

const CLASSIFY: Partial<WorkloadSpec> = { loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], batchSize: 16 };

/**
 * The same trials twice: with `model.specLayers` in the spec, and with a model.json that tfjs
 * saved from `model.tfjs()` holding the spec trial's initial weights (so both start equal).
 */
async function sameTrials(model: SameModel, dir: string, workload: Partial<WorkloadSpec>, schedules: Parameters<typeof bundle>[1]): Promise<{ spec: TrialSpec[]; json: TrialSpec[] }> {
  const spec = bundle({ dataset: model.dataset, model: { kind: 'layers', layers: model.specLayers }, ...CLASSIFY, ...workload }, schedules);
  const tfjsModel = model.tfjs();
  let file: string;
  try {
    await takeSpecWeights(tfjsModel, spec[0] as TrialSpec);
    file = await saveModelJson(tfjsModel, dirs.dir(dir));
  } finally {
    tfjsModel.dispose();
  }
  const json = bundle({ dataset: model.dataset, model: { kind: 'modelJson', file: { kind: 'local', path: file }, weights: {} }, ...CLASSIFY, ...workload }, schedules);
  return { spec, json };
}

describe('a model.json of image layers, softmax, layer normalization or kernel regularizers on the fused kernels', () => {
  it.each(SAME_MODELS.map((model, i) => [model.name, model, i] as const))('%s: trains on the kernels as the same model in a spec does, bit for bit', async (_, model, i) => {
    const { spec, json } = await sameTrials(model, `same-${i}`, {}, FORKING);
    expect(await trainsOnKernels(json[0] as TrialSpec, 'wasm')).toBe(true);
    const fromSpec = await runFusedTrials(spec, { backend: 'cpu', engine: 'kernel' });
    const fromJson = await runFusedTrials(json, { backend: 'cpu', engine: 'kernel' });
    expect(fromJson.every((result) => result.outcome.status === 'succeeded')).toBe(true);
    expect(new Set(fromJson.map((result) => result.lrReductions.join())).size).toBeGreaterThan(1);
    expect(fromJson.map(reported)).toEqual(fromSpec.map(reported));
  });

  it.each(SAME_MODELS.map((model, i) => [model.name, model, i] as const))('%s: the kernels equal model.fit on the same model.json (cpu backend): same LR reductions, losses within 1e-4 relative', async (_, model, i) => {
    // Rates that keep the loss well above 0 for 6 epochs (on these easy classes lr 0.03 drives it to ~1e-5, where 1e-4 relative is below float32 noise).
    const { json } = await sameTrials(model, `fit-${i}`, { epochs: 6 }, GENTLE);
    const kernels = await runFusedTrials(json, { backend: 'cpu', engine: 'kernel' });
    const fit = await separately(json);
    expect(fit.every((result) => result.outcome.status === 'succeeded')).toBe(true);
    expect(fit.some((result) => result.lrReductions.length > 0)).toBe(true);
    fit.forEach((result, k) => expectSameResult(kernels[k], result, 1e-4));
  });
});
