// The model.json → fused layer list translator, over model.json files as Keras (through
// tensorflowjs_converter) and tfjs-layers write them: what it translates, and the one line it
// gives for the first layer or config no fused engine trains.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { modelJsonLayers, type ModelJsonTranslation } from '../../../src/train/fused/model-json-layers.js';
import { loadModelJson, parseModelJson, seedTopology, type JsonObject } from '../../../src/train/model-json.js';
import type { LayerSpec } from '../../../src/trial/types.js';

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
    expect(reasonOf(modelJsonLayers(topology('keras-cnn')))).toBe("layer 'conv_1' (Conv2D) has no kernel");
  });

  it('names a Dense layer without a bias', () => {
    const model = topology('keras-sequential-bn');
    sequentialLayerConfig(model, 4)['use_bias'] = false;
    expect(reasonOf(modelJsonLayers(model))).toBe("Dense 'dense_1' use_bias=false");
  });

  it('names a Dense activation the kernels lack', () => {
    const model = topology('keras-sequential-bn');
    sequentialLayerConfig(model, 1)['activation'] = 'elu';
    expect(reasonOf(modelJsonLayers(model))).toBe("Dense 'dense' activation elu has no kernel (kernels: linear, relu, tanh, sigmoid)");
  });

  it('names a kernel regularizer', () => {
    const model = topology('keras-sequential-bn');
    sequentialLayerConfig(model, 1)['kernel_regularizer'] = { class_name: 'L2', config: { l2: 0.01 } };
    expect(reasonOf(modelJsonLayers(model))).toBe("Dense 'dense' has a kernel_regularizer");
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

  it('does not echo a layer name that is long or odd; it names the layer by position', () => {
    const model = topology('keras-cnn');
    sequentialLayerConfig(model, 1)['name'] = 'x'.repeat(200);
    expect(reasonOf(modelJsonLayers(model))).toBe('layer #2 (Conv2D) has no kernel');
  });
});
