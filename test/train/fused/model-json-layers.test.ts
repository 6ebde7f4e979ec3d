// The model.json → fused layer list translator, over model.json files as Keras (through
// tensorflowjs_converter) and tfjs-layers write them: what it translates, and the one line it
// gives for the first layer or config no fused engine trains.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { input, layers, model as functionalModel, regularizers, sequential, type LayersModel } from '@tensorflow/tfjs-layers';
import { parseSweepSpec } from '../../../src/spec/load.js';
import { modelJsonLayers, type ModelJsonTranslation } from '../../../src/train/fused/model-json-layers.js';
import { loadModelJson, parseModelJson, seedTopology, type JsonObject } from '../../../src/train/model-json.js';
import type { LayerSpec } from '../../../src/trial/types.js';
import { modelDirs, saveModelJson } from './saved-model-json.js';

const models = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models');

function fixturePath(name: string): string {
  return path.join(models, name, 'model.json');
}

function topology(name: string): JsonObject {
  return parseModelJson(readFileSync(fixturePath(name), 'utf8'), `${name}/model.json`).topology;
}

function layersOf(translation: ModelJsonTranslation): readonly LayerSpec[] {
  if ('unsupported' in translation) throw new Error(`unsupported: ${translation.unsupported}`);
  return translation.network.layers;
}

function reasonOf(translation: ModelJsonTranslation): string {
  if (!('unsupported' in translation)) throw new Error('translated, expected a reason');
  return translation.unsupported;
}

/** The layer list's i-th config object of a Sequential topology, as the converter nests it. */
function sequentialLayerConfig(model: JsonObject, index: number): JsonObject {
  const modelConfig = model['model_config'] as JsonObject;
  const layers = (modelConfig['config'] as JsonObject)['layers'] as JsonObject[];
  return (layers[index] as JsonObject)['config'] as JsonObject;
}

const dirs = modelDirs();
afterAll(() => dirs.remove());

/** The layer list the spec path compiles `layersYaml` (a spec's model.layers) to. */
function specLayers(layersYaml: string): readonly LayerSpec[] {
  const text = `name: same-model
workload:
  dataset: { kind: synthetic-images, samples: 64, height: 9, width: 9, channels: 2, classes: 3, seed: 1 }
  model:
    layers:
${layersYaml}
  loss: sparseCategoricalCrossentropy
  epochs: 1
  batchSize: 16
  seed: 1
grid: { learningRate: [0.01], factor: [0.5], patience: [1] }
`;
  const { model } = parseSweepSpec(text, 'spec.yaml').workload;
  if (model.kind !== 'layers') throw new Error('expected a layer list');
  return model.layers;
}

/** The topology of `model` as model.save writes it to a model.json. */
async function savedTopology(model: LayersModel, name: string): Promise<JsonObject> {
  try {
    const file = await saveModelJson(model, dirs.dir(name));
    return parseModelJson(readFileSync(file, 'utf8'), 'model.json').topology;
  } finally {
    model.dispose();
  }
}

const KERAS_MLP: readonly LayerSpec[] = [
  { kind: 'dense', units: 16, activation: 'relu' },
  { kind: 'batchNorm' },
  { kind: 'dropout', rate: 0.1 },
  { kind: 'dense', units: 16, activation: 'tanh' },
  { kind: 'batchNorm' },
  { kind: 'dropout', rate: 0.1 },
  { kind: 'dense', units: 1, activation: 'linear' },
];

describe('modelJsonLayers: what takes the fused path', () => {
  it('translates a Keras Sequential model (converter format: model_config, InputLayer, batch norm on axis [1])', () => {
    expect(layersOf(modelJsonLayers(topology('keras-sequential-bn')))).toEqual(KERAS_MLP);
  });

  it('translates a Keras Functional model whose layers form one chain', () => {
    expect(layersOf(modelJsonLayers(topology('keras-functional')))).toEqual([
      { kind: 'dense', units: 8, activation: 'sigmoid' },
      { kind: 'dropout', rate: 0.25 },
      { kind: 'batchNorm' },
      { kind: 'dense', units: 1, activation: 'linear' },
    ]);
  });

  it('translates a tfjs-layers model.save file (no model_config, input shape on the first layer)', () => {
    expect(layersOf(modelJsonLayers(topology('mlp-bn-weights')))).toEqual([
      { kind: 'dense', units: 8, activation: 'relu' },
      { kind: 'batchNorm' },
      { kind: 'dropout', rate: 0.2 },
      { kind: 'dense', units: 1, activation: 'linear' },
    ]);
  });

  it('names each dropout layer\'s mask seed once the topology is seeded as model.fit builds it', () => {
    const seeded = topology('keras-sequential-bn');
    seedTopology(seeded, 1234, 'model.json');
    const translation = modelJsonLayers(seeded);
    if ('unsupported' in translation) throw new Error(translation.unsupported);
    const seeds = translation.network.dropoutSeeds;
    expect(seeds.filter((seed) => seed !== undefined)).toHaveLength(2);
    expect(seeds.map((seed, i) => (seed === undefined) === (KERAS_MLP[i]?.kind !== 'dropout'))).toEqual(KERAS_MLP.map(() => true));
    // Unseeded (a raw file), the kernels fall back to the spec rule, which model.fit does not use for a model.json.
    const raw = modelJsonLayers(topology('keras-sequential-bn'));
    expect('network' in raw && raw.network.dropoutSeeds.every((seed) => seed === undefined)).toBe(true);
  });

  it('builds in tfjs-layers as the same stack of layers it translates to', async () => {
    const model = await loadModelJson(fixturePath('keras-sequential-bn'), 'model.json', () => ({ path: '', name: '' }), 1);
    try {
      const trained = model.layers.map((layer) => layer.getClassName()).filter((name) => name !== 'InputLayer');
      expect(trained).toEqual(['Dense', 'BatchNormalization', 'PlateauSeededDropout', 'Dense', 'BatchNormalization', 'PlateauSeededDropout', 'Dense']);
    } finally {
      model.dispose();
    }
  });
});

describe('modelJsonLayers: the reason, naming the first layer no fused engine trains', () => {
  it('names a layer class with no kernel', () => {
    const model = topology('keras-cnn');
    // A Keras layer tfjs-layers builds too, but no kernel computes.
    (((model['model_config'] as JsonObject)['config'] as JsonObject)['layers'] as JsonObject[])[1]!['class_name'] = 'SeparableConv2D';
    expect(reasonOf(modelJsonLayers(model))).toBe("layer 'conv_1' (SeparableConv2D) has no kernel");
  });

  it('names a Dense layer without a bias', () => {
    const model = topology('keras-sequential-bn');
    sequentialLayerConfig(model, 4)['use_bias'] = false;
    expect(reasonOf(modelJsonLayers(model))).toBe("Dense 'dense_1' use_bias=false");
  });

  it('names a Dense activation the kernels lack', () => {
    const model = topology('keras-sequential-bn');
    sequentialLayerConfig(model, 1)['activation'] = 'elu';
    expect(reasonOf(modelJsonLayers(model))).toBe("Dense 'dense' activation elu has no kernel (kernels: linear, relu, tanh, sigmoid, softmax)");
  });

  it.each([
    ['bias_regularizer', { class_name: 'L1L2', config: { l1: 0, l2: 0.01 } }, "Dense 'dense' has a bias_regularizer"],
    ['kernel_constraint', { class_name: 'MaxNorm', config: { max_value: 2, axis: 0 } }, "Dense 'dense' has a kernel_constraint"],
    ['kernel_regularizer', { class_name: 'OrthogonalRegularizer', config: { factor: 0.01 } }, "Dense 'dense' kernel_regularizer OrthogonalRegularizer has no kernel (kernels: L1L2, L1, L2)"],
    ['kernel_regularizer', { class_name: 'L1L2', config: { l1: -1, l2: 0 } }, "Dense 'dense' kernel_regularizer factors are not finite numbers ≥ 0"],
  ] as const)('names a Dense %s the kernels lack', (key, value, reason) => {
    const model = topology('keras-sequential-bn');
    sequentialLayerConfig(model, 1)[key] = value;
    expect(reasonOf(modelJsonLayers(model))).toBe(reason);
  });

  it.each([
    ['momentum', 0.9, "BatchNormalization 'batch_normalization' momentum is not 0.99"],
    ['epsilon', 1e-5, "BatchNormalization 'batch_normalization' epsilon is not 0.001"],
    ['axis', [0], "BatchNormalization 'batch_normalization' axis is not the last one"],
    ['scale', false, "BatchNormalization 'batch_normalization' scale=false"],
  ] as const)('names a batch norm whose %s is not the default', (key, value, reason) => {
    const model = topology('keras-sequential-bn');
    sequentialLayerConfig(model, 2)[key] = value as JsonObject[string];
    expect(reasonOf(modelJsonLayers(model))).toBe(reason);
  });

  it('names a frozen layer', () => {
    const model = topology('keras-sequential-bn');
    sequentialLayerConfig(model, 4)['trainable'] = false;
    expect(reasonOf(modelJsonLayers(model))).toBe("Dense 'dense_1' is frozen (trainable=false)");
  });

  it('refuses a Functional graph that branches', () => {
    const model = topology('keras-functional');
    const config = (model['model_config'] as JsonObject)['config'] as JsonObject;
    const layers = config['layers'] as JsonObject[];
    // A skip connection: d2 reads both the batch norm and d1 (an Add would, in Keras).
    const last = layers[layers.length - 1] as JsonObject;
    last['inbound_nodes'] = [[['norm', 0, 0, {}], ['d1', 0, 0, {}]]];
    expect(reasonOf(modelJsonLayers(model))).toMatch(/^the model's graph is not one chain of layers/);
  });

  it.each(['constructor', 'toString', '__proto__'])('names a layer whose class is %s as a class with no kernel', (className) => {
    const model = topology('keras-sequential-bn');
    (((model['model_config'] as JsonObject)['config'] as JsonObject)['layers'] as JsonObject[])[1]!['class_name'] = className;
    expect(reasonOf(modelJsonLayers(model))).toBe(`layer 'dense' (${className}) has no kernel`);
  });

  it('names a Dense activation or regularizer named after an Object property as one with no kernel', () => {
    const model = topology('keras-sequential-bn');
    sequentialLayerConfig(model, 1)['activation'] = 'constructor';
    expect(reasonOf(modelJsonLayers(model))).toBe("Dense 'dense' activation constructor has no kernel (kernels: linear, relu, tanh, sigmoid, softmax)");
    sequentialLayerConfig(model, 1)['activation'] = 'relu';
    sequentialLayerConfig(model, 1)['kernel_regularizer'] = { class_name: 'constructor', config: { l1: 0, l2: 0 } };
    expect(reasonOf(modelJsonLayers(model))).toBe("Dense 'dense' kernel_regularizer constructor has no kernel (kernels: L1L2, L1, L2)");
  });

  it('does not echo a layer name that is long or odd; it names the layer by position', () => {
    const model = topology('keras-cnn-dilated');
    sequentialLayerConfig(model, 1)['name'] = 'x'.repeat(200);
    expect(reasonOf(modelJsonLayers(model))).toBe('Conv2D #2 dilation_rate is not 1 (the kernels have no dilated convolution)');
  });
});

describe('modelJsonLayers: image layers, softmax, layer normalization and kernel regularizers', () => {
  it('translates a Keras CNN (converter format: an InputLayer of [null, 28, 28, 1], Conv2D, MaxPooling2D, Flatten, a softmax Dense)', () => {
    expect(layersOf(modelJsonLayers(topology('keras-cnn')))).toEqual([
      { kind: 'conv2d', filters: 16, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' },
      { kind: 'maxPooling2d', poolSize: 2, strides: 2, padding: 'valid' },
      { kind: 'flatten' },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ]);
  });

  it('translates a tfjs CNN (conv, max pool, conv, average pool, flatten, softmax) to the layer list the same CNN in a spec compiles to', async () => {
    const cnn = sequential({
      layers: [
        layers.conv2d({ inputShape: [9, 9, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
        layers.maxPooling2d({ poolSize: 2 }),
        layers.conv2d({ filters: 6, kernelSize: 2, strides: 1, activation: 'tanh' }),
        layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
        layers.flatten(),
        layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const spec = specLayers(`      - conv2d: { filters: 4, kernelSize: 3, padding: same, activation: relu }
      - maxPooling2d: { poolSize: 2 }
      - conv2d: { filters: 6, kernelSize: 2, activation: tanh }
      - averagePooling2d: { poolSize: 2, strides: 1, padding: same }
      - flatten
      - { dense: 3, activation: softmax }`);
    expect(layersOf(modelJsonLayers(await savedTopology(cnn, 'cnn')))).toEqual(spec);
  });

  it('translates a tfjs Functional CNN whose InputLayer takes [null, h, w, c] images', async () => {
    const images = input({ shape: [9, 9, 2] });
    const conv = layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }).apply(images);
    const pooled = layers.averagePooling2d({ poolSize: 3, strides: 1 }).apply(conv);
    const output = layers.dense({ units: 3, activation: 'softmax' }).apply(layers.flatten().apply(pooled));
    const saved = await savedTopology(functionalModel({ inputs: images, outputs: output as Parameters<typeof functionalModel>[0]['outputs'] }), 'functional-cnn');
    expect(layersOf(modelJsonLayers(saved))).toEqual(
      specLayers(`      - conv2d: { filters: 2, kernelSize: 3, strides: 2, padding: same, activation: sigmoid }
      - averagePooling2d: { poolSize: 3, strides: 1 }
      - flatten
      - { dense: 3, activation: softmax }`),
    );
  });

  it('translates a tfjs dense net with layer normalization, l1l2 and l2 kernel regularizers and a softmax to the layer list the same net in a spec compiles to', async () => {
    const net = sequential({
      layers: [
        layers.dense({ inputShape: [4], units: 12, activation: 'relu', kernelRegularizer: regularizers.l1l2({ l1: 0.001, l2: 0.01 }) }),
        layers.layerNormalization(),
        layers.dense({ units: 3, activation: 'softmax', kernelRegularizer: regularizers.l2({ l2: 0.005 }) }),
      ],
    });
    const spec = specLayers(`      - { dense: 12, activation: relu, kernelRegularizer: { l1: 0.001, l2: 0.01 } }
      - layerNorm
      - { dense: 3, activation: softmax, kernelRegularizer: { l2: 0.005 } }`);
    expect(layersOf(modelJsonLayers(await savedTopology(net, 'dense-ln')))).toEqual(spec);
  });

  it.each([
    ['L2', { l2: 0.02 }, { l1: 0, l2: 0.02 }],
    ['L1', { l1: 0.03 }, { l1: 0.03, l2: 0 }],
    // A factor left out is tfjs-layers' default, 0.01: what model.fit trains.
    ['L1L2', { l2: 0.5 }, { l1: 0.01, l2: 0.5 }],
  ] as const)("reads Keras's %s kernel regularizer as the l1l2 factors model.fit trains", (className, config, factors) => {
    const model = topology('keras-sequential-bn');
    sequentialLayerConfig(model, 1)['kernel_regularizer'] = { module: 'keras.regularizers', class_name: className, config: { ...config }, registered_name: null };
    expect(layersOf(modelJsonLayers(model))[0]).toEqual({ kind: 'dense', units: 16, activation: 'relu', kernelRegularizer: factors });
  });
});

describe('modelJsonLayers: the reason, naming the image or normalization layer and the option the kernels lack', () => {
  it('names a dilated Conv2D', () => {
    expect(reasonOf(modelJsonLayers(topology('keras-cnn-dilated')))).toBe("Conv2D 'conv_1' dilation_rate is not 1 (the kernels have no dilated convolution)");
  });

  it.each([
    ['data_format', 'channels_first', "Conv2D 'conv_1' data_format channels_first: the kernels take channels_last images only"],
    ['kernel_size', [3, 5], "Conv2D 'conv_1' kernel_size is not square (the kernels take equal sizes for both axes)"],
    ['strides', [1, 2], "Conv2D 'conv_1' strides is not square (the kernels take equal sizes for both axes)"],
    ['padding', 'causal', "Conv2D 'conv_1' padding is not valid or same"],
    ['groups', 2, "Conv2D 'conv_1' groups is not 1"],
    ['activation', 'softmax', "Conv2D 'conv_1' activation softmax has no kernel (kernels: linear, relu, tanh, sigmoid)"],
    ['use_bias', false, "Conv2D 'conv_1' use_bias=false"],
    ['kernel_regularizer', { class_name: 'L1L2', config: { l1: 0, l2: 0.01 } }, "Conv2D 'conv_1' has a kernel_regularizer"],
  ] as const)('names a Conv2D whose %s the kernels lack', (key, value, reason) => {
    const model = topology('keras-cnn');
    sequentialLayerConfig(model, 1)[key] = value as JsonObject[string];
    expect(reasonOf(modelJsonLayers(model))).toBe(reason);
  });

  it.each([
    ['MaxPooling2D', 'data_format', 2, 'channels_first', "MaxPooling2D 'pool_1' data_format channels_first: the kernels take channels_last images only"],
    ['MaxPooling2D', 'pool_size', 2, [2, 3], "MaxPooling2D 'pool_1' pool_size is not square (the kernels take equal sizes for both axes)"],
    ['Flatten', 'data_format', 3, 'channels_first', "Flatten 'flatten' data_format channels_first: the kernels take channels_last images only"],
  ] as const)('names a %s whose %s the kernels lack', (_className, key, index, value, reason) => {
    const model = topology('keras-cnn');
    sequentialLayerConfig(model, index)[key] = value as JsonObject[string];
    expect(reasonOf(modelJsonLayers(model))).toBe(reason);
  });

  it.each([
    ['epsilon', 1e-5, "LayerNormalization 'norm' epsilon is not 0.001"],
    ['axis', [0], "LayerNormalization 'norm' axis is not the last one"],
    ['center', false, "LayerNormalization 'norm' center=false"],
    ['gamma_regularizer', { class_name: 'L1L2', config: { l1: 0, l2: 0.01 } }, "LayerNormalization 'norm' has a gamma_regularizer"],
  ] as const)('names a LayerNormalization whose %s the kernels lack', (key, value, reason) => {
    const model = topology('keras-sequential-bn');
    const config = sequentialLayerConfig(model, 2);
    const layerList = ((model['model_config'] as JsonObject)['config'] as JsonObject)['layers'] as JsonObject[];
    layerList[2] = { class_name: 'LayerNormalization', config: { name: 'norm', axis: [1], epsilon: 0.001, center: true, scale: true, trainable: config['trainable'] ?? true, dtype: 'float32' } };
    sequentialLayerConfig(model, 2)[key] = value as JsonObject[string];
    expect(reasonOf(modelJsonLayers(model))).toBe(reason);
  });
});
