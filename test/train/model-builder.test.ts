import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { memory, tensor2d, tidy } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/train/backend.js';
import { buildModel, compileModel } from '../../src/train/model-builder.js';
import { ModelError } from '../../src/train/model-error.js';
import { parseModelJson, seedTopology } from '../../src/train/model-json.js';
import type { WorkloadSpec } from '../../src/trial/types.js';
import { recordingLogger } from './recording-logger.js';
import { trialSpec } from './trial-fixtures.js';

const models = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'models');
const shape = { featureCount: 4, targetCount: 1 };

function workload(overrides: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return { ...trialSpec().workload, ...overrides };
}

async function initialWeights(spec: WorkloadSpec, seed: number): Promise<number[][]> {
  const model = await buildModel(spec, shape, seed);
  try {
    return model.getWeights().map((w) => Array.from(w.dataSync()));
  } finally {
    model.dispose();
  }
}

function predict(model: LayersModel, rows: number[][], training: boolean): number[] {
  return tidy(() => {
    const x = tensor2d(rows);
    // `apply` with training: true runs dropout as fit does.
    const out = model.apply(x, { training });
    if (Array.isArray(out) || !('dataSync' in out)) throw new Error('expected one tensor');
    return Array.from(out.dataSync());
  });
}

beforeAll(async () => {
  await selectBackend('cpu', recordingLogger());
});

describe('buildModel from a layer list', () => {
  it('gives the same initial weights for the same seed', async () => {
    expect(await initialWeights(workload(), 3)).toEqual(await initialWeights(workload(), 3));
  });

  it('gives different initial weights for a different seed', async () => {
    expect(await initialWeights(workload(), 3)).not.toEqual(await initialWeights(workload(), 4));
  });

  it('takes its input width from the dataset', async () => {
    const model = await buildModel(workload(), { featureCount: 7, targetCount: 1 }, 1);
    expect(model.inputs[0]?.shape).toEqual([null, 7]);
    model.dispose();
  });

  it('builds dense, dropout and batchNorm layers', async () => {
    const spec = workload({
      model: {
        kind: 'layers',
        layers: [
          { kind: 'dense', units: 6, activation: 'tanh' },
          { kind: 'batchNorm' },
          { kind: 'dropout', rate: 0.5 },
          { kind: 'dense', units: 1, activation: 'linear' },
        ],
      },
    });
    const model = await buildModel(spec, shape, 1);
    expect(model.layers.map((layer) => layer.getClassName())).toEqual(['Dense', 'BatchNormalization', 'PlateauSeededDropout', 'Dense']);
    model.dispose();
  });

  it('draws a fresh dropout mask per training call, the same sequence for the same seed', async () => {
    const spec = workload({
      model: { kind: 'layers', layers: [{ kind: 'dropout', rate: 0.5 }] },
    });
    const rows = [[1, 2, 3, 4]];
    const identity = { featureCount: 4, targetCount: 4 };
    const first = await buildModel(spec, identity, 9);
    const second = await buildModel(spec, identity, 9);
    const a = [predict(first, rows, true), predict(first, rows, true), predict(first, rows, true)];
    const b = [predict(second, rows, true), predict(second, rows, true), predict(second, rows, true)];
    expect(b).toEqual(a);
    expect(new Set(a.map((mask) => mask.join())).size).toBeGreaterThan(1);
    expect(predict(first, rows, false)).toEqual([1, 2, 3, 4]);
    first.dispose();
    second.dispose();
  });

  it('refuses a model whose output width does not match the target', async () => {
    const spec = workload({ model: { kind: 'layers', layers: [{ kind: 'dense', units: 3, activation: 'linear' }] } });
    await expect(buildModel(spec, shape, 1)).rejects.toThrow(/outputs 3 values per row but the dataset has 1 target/);
  });

  it('leaves no tensor behind when it refuses a model', async () => {
    const before = memory().numTensors;
    const spec = workload({ model: { kind: 'layers', layers: [{ kind: 'dense', units: 3, activation: 'linear' }] } });
    await buildModel(spec, shape, 1).catch(() => undefined);
    expect(memory().numTensors).toBe(before);
  });
});

describe('buildModel from a model.json', () => {
  it('loads the weights listed in its manifest', async () => {
    const spec = workload({ model: { kind: 'modelJson', file: { kind: 'local', path: path.join(models, 'tiny-mlp-weights', 'model.json') }, weights: {} } });
    const weights = await initialWeights(spec, 1);
    // The fixture's weights are 0.01·(k+1)·(−1)^k over all 49 values in manifest order.
    const flat = weights.flat();
    expect(flat).toHaveLength(49);
    flat.forEach((value, k) => expect(value).toBeCloseTo(0.01 * (k + 1) * (k % 2 === 0 ? 1 : -1), 6));
  });

  it('initializes a topology without weights from the seed: equal per seed, different across seeds', async () => {
    const spec = workload({ model: { kind: 'modelJson', file: { kind: 'local', path: path.join(models, 'tiny-mlp', 'model.json') }, weights: {} } });
    const a = await initialWeights(spec, 5);
    expect(await initialWeights(spec, 5)).toEqual(a);
    expect(await initialWeights(spec, 6)).not.toEqual(a);
  });

  it('replaces its Dropout layer with the seeded one', async () => {
    const spec = workload({ model: { kind: 'modelJson', file: { kind: 'local', path: path.join(models, 'tiny-mlp', 'model.json') }, weights: {} } });
    const model = await buildModel(spec, shape, 1);
    expect(model.layers.map((layer) => layer.getClassName())).toEqual(['Dense', 'PlateauSeededDropout', 'Dense']);
    model.dispose();
  });

  it('names the file when it cannot be read', async () => {
    const file = path.join(models, 'missing', 'model.json');
    const error: unknown = await buildModel(workload({ model: { kind: 'modelJson', file: { kind: 'local', path: file }, weights: {} } }), shape, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ file });
  });

  it('refuses a model.json whose input width does not match the dataset', async () => {
    const spec = workload({ model: { kind: 'modelJson', file: { kind: 'local', path: path.join(models, 'tiny-mlp', 'model.json') }, weights: {} } });
    await expect(buildModel(spec, { featureCount: 5, targetCount: 1 }, 1)).rejects.toThrow(/dataset has 5 features/);
  });
});

describe('buildModel from a model.json that takes images', () => {
  const cnn = workload({ model: { kind: 'modelJson', file: { kind: 'local', path: path.join(models, 'keras-cnn', 'model.json') }, weights: {} }, loss: 'sparseCategoricalCrossentropy' });

  it.each([
    ['[28, 28, 1]', [28, 28, 1]],
    ['[28, 28] (one channel)', [28, 28]],
  ])('reads the flat rows of a dataset whose samples are its input image %s through a Reshape in front', async (_, featureShape) => {
    const model = await buildModel(cnn, { featureCount: 784, targetCount: 1, featureShape }, 1);
    try {
      expect(model.inputs[0]?.shape).toEqual([null, 784]);
      expect(model.layers.map((layer) => layer.getClassName())).toEqual(['Reshape', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
    } finally {
      model.dispose();
    }
  });

  it('refuses a dataset whose samples are another image', async () => {
    await expect(buildModel(cnn, { featureCount: 784, targetCount: 1, featureShape: [14, 14, 4] }, 1)).rejects.toThrow(/input shape \[,28,28,1\] but the dataset has 784 features/);
  });
});

describe('buildModel from a model.json with Keras regularizers', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'plateau-regularizers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("builds Keras's L2 kernel regularizer (which tfjs-layers does not register) as the L1L2 it equals", async () => {
    const json = JSON.parse(readFileSync(path.join(models, 'keras-sequential-bn', 'model.json'), 'utf8')) as { modelTopology: { model_config: { config: { layers: { config: Record<string, unknown> }[] } } } };
    const dense = json.modelTopology.model_config.config.layers[1];
    if (dense === undefined) throw new Error('fixture changed');
    dense.config['kernel_regularizer'] = { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.02 }, registered_name: null };
    const file = path.join(dir, 'model.json');
    writeFileSync(file, JSON.stringify(json));
    const model = await buildModel(workload({ model: { kind: 'modelJson', file: { kind: 'local', path: file }, weights: {} } }), shape, 1);
    try {
      const layer = model.layers.find((candidate) => candidate.getClassName() === 'Dense');
      expect(layer?.getConfig()['kernelRegularizer']).toEqual({ className: 'L1L2', config: { l1: 0, l2: 0.02 } });
    } finally {
      model.dispose();
    }
  });
});

describe('compileModel', () => {
  it('builds the optimizer at the given learning rate', async () => {
    for (const optimizer of ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'adamax'] as const) {
      const spec = workload({ optimizer });
      const model = await buildModel(spec, shape, 1);
      const built = compileModel(model, spec, 0.0375);
      expect(Reflect.get(built, 'learningRate')).toBe(0.0375);
      model.dispose();
      built.dispose();
    }
  });
});

describe('model.json topology', () => {
  it('refuses a graph model, which cannot be trained', () => {
    expect(() => parseModelJson(JSON.stringify({ format: 'graph-model', modelTopology: {} }), 'g.json')).toThrow(/format is not "layers-model" — a graph model cannot be trained/);
  });

  it('refuses a layer whose tfjs randomness cannot be seeded', () => {
    const topology = { class_name: 'Sequential', config: { layers: [{ class_name: 'GaussianNoise', config: { stddev: 0.1 } }] } };
    expect(() => seedTopology(topology, 1, 'n.json')).toThrow(ModelError);
  });

  it('seeds every random initializer with its own seed, the same ones for the same trial seed', () => {
    const topology = (): { class_name: string; config: { layers: { class_name: string; config: Record<string, { class_name: string; config: { seed: number | null } }> }[] } } => ({
      class_name: 'Sequential',
      config: {
        layers: [
          { class_name: 'Dense', config: { kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } }, bias_initializer: { class_name: 'Zeros', config: { seed: null } } } },
          { class_name: 'Dense', config: { kernel_initializer: { class_name: 'HeNormal', config: { seed: null } }, bias_initializer: { class_name: 'Zeros', config: { seed: null } } } },
        ],
      },
    });
    const a = topology();
    const b = topology();
    seedTopology(a, 7, 'a.json');
    seedTopology(b, 7, 'b.json');
    const seeds = a.config.layers.map((layer) => layer.config['kernel_initializer']?.config.seed);
    expect(seeds.every((seed) => typeof seed === 'number')).toBe(true);
    expect(new Set(seeds).size).toBe(2);
    expect(a).toEqual(b);
    // Constant initializers are left alone.
    expect(a.config.layers[0]?.config['bias_initializer']?.config.seed).toBeNull();
  });
});
