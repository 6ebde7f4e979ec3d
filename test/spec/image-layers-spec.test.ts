// Image layers and the synthetic-images dataset from YAML: compiled with Keras's defaults,
// accepted on the wire, and a layer list that does not fit its images refused before training.
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { selectBackend } from '../../src/train/backend.js';
import { trialSpecSchema } from '../../src/rpc/trial-spec-schema.js';
import { configCount } from '../../src/spec/grid.js';
import { loadSweepSpecFile, parseSweepSpec } from '../../src/spec/load.js';
import { loadDataset } from '../../src/train/datasets/load-dataset.js';
import { syntheticImages } from '../../src/train/datasets/synthetic-images.js';
import { buildModel } from '../../src/train/model-builder.js';
import { ModelError } from '../../src/train/model-error.js';
import type { DatasetSpec, LayerSpec } from '../../src/trial/types.js';
import { tinyRegression, trialSpec } from '../train/trial-fixtures.js';

const specFile = join(resolve(import.meta.dirname, '../fixtures'), 'cnn.yaml');

const CNN_YAML = `name: cnn
workload:
  dataset: { kind: synthetic-images, samples: 64, height: 12, width: 12, seed: 1 }
  model:
    layers:
      - conv2d: { filters: 4, kernelSize: 3, activation: relu }
      - maxPooling2d: { poolSize: 2 }
      - conv2d: { filters: 8, kernelSize: 3, strides: 2, padding: same }
      - averagePooling2d: { poolSize: 2, strides: 1, padding: same }
      - flatten
      - { dense: 1 }
  batchSize: 8
  epochs: 2
  seed: 3
grid: { learningRate: [0.01], factor: [0.5], patience: [2] }
`;

const IMAGES: DatasetSpec = { kind: 'synthetic-images', samples: 40, height: 8, width: 8, channels: 2, classes: 4, seed: 9, validationSplit: 0.25 };

describe('image layers in a spec', () => {
  it('compile with strides 1 for conv2d, strides = poolSize for pooling, valid padding and a linear activation by default', () => {
    const spec = parseSweepSpec(CNN_YAML, specFile);
    expect(spec.workload.model).toEqual({
      kind: 'layers',
      layers: [
        { kind: 'conv2d', filters: 4, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' },
        { kind: 'maxPooling2d', poolSize: 2, strides: 2, padding: 'valid' },
        { kind: 'conv2d', filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'linear' },
        { kind: 'averagePooling2d', poolSize: 2, strides: 1, padding: 'same' },
        { kind: 'flatten' },
        { kind: 'dense', units: 1, activation: 'linear' },
      ],
    });
  });

  it('compile synthetic-images with one channel, 10 classes and the default validation split', () => {
    const spec = parseSweepSpec(CNN_YAML, specFile);
    expect(spec.workload.dataset).toEqual({ kind: 'synthetic-images', samples: 64, height: 12, width: 12, channels: 1, classes: 10, seed: 1, validationSplit: 0.2 });
  });

  it('examples/small-cnn.yaml and bench/specs/cnn27.yaml validate: 4 and 27 configurations', () => {
    const root = resolve(import.meta.dirname, '../..');
    expect(loadSweepSpecFile(join(root, 'examples', 'small-cnn.yaml')).grid.learningRate).toHaveLength(2);
    const cnn27 = loadSweepSpecFile(join(root, 'bench', 'specs', 'cnn27.yaml'));
    expect(configCount(cnn27)).toBe(27);
  });

  it('travel on the wire as a trial spec', () => {
    const spec = parseSweepSpec(CNN_YAML, specFile);
    const trial = trialSpec({ workload: spec.workload });
    expect(trialSpecSchema.parse(JSON.parse(JSON.stringify(trial)))).toEqual(trial);
  });
});

describe('the synthetic-images dataset', () => {
  it('holds NHWC samples of the given shape, the class index as the target, every class in turn', () => {
    const data = syntheticImages(IMAGES);
    expect(data.featureShape).toEqual([8, 8, 2]);
    expect(data.featureCount).toBe(128);
    expect(data.train.count + data.validation.count).toBe(40);
    expect(Array.from(data.train.y.slice(0, 6))).toEqual([0, 1, 2, 3, 0, 1]);
  });

  it('is the same for the same seed and differs for another', () => {
    expect(syntheticImages(IMAGES).train.x).toEqual(syntheticImages(IMAGES).train.x);
    expect(syntheticImages({ ...IMAGES, seed: 10 }).train.x).not.toEqual(syntheticImages(IMAGES).train.x);
  });
});

describe('a model with image layers', () => {
  beforeAll(() => selectBackend('cpu', silentLogger));

  const build = async (dataset: DatasetSpec, layers: readonly LayerSpec[]): Promise<unknown> => {
    const workload = trialSpec({ workload: { dataset, model: { kind: 'layers', layers } } }).workload;
    const model = await buildModel(workload, await loadDataset(dataset), 1);
    const shapes = model.layers.map((layer) => layer.outputShape);
    model.dispose();
    return shapes;
  };

  it('reshapes the flat rows to the images and sizes each layer as tfjs-layers does', async () => {
    const layers: LayerSpec[] = [
      { kind: 'conv2d', filters: 3, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' },
      { kind: 'maxPooling2d', poolSize: 2, strides: 2, padding: 'valid' },
      { kind: 'flatten' },
      { kind: 'dense', units: 1, activation: 'linear' },
    ];
    expect(await build(IMAGES, layers)).toEqual([[null, 8, 8, 2], [null, 6, 6, 3], [null, 3, 3, 3], [null, 27], [null, 1]]);
  });

  it('is refused, naming the layer, when a dense layer follows a conv2d without a flatten', async () => {
    const layers: LayerSpec[] = [
      { kind: 'conv2d', filters: 3, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' },
      { kind: 'dense', units: 1, activation: 'linear' },
    ];
    await expect(build(IMAGES, layers)).rejects.toThrow(new ModelError('layer 2 (dense) follows an image layer: put a flatten layer before it'));
  });

  it('is refused when the dataset has no images', async () => {
    const layers: LayerSpec[] = [{ kind: 'conv2d', filters: 3, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' }, { kind: 'flatten' }, { kind: 'dense', units: 1, activation: 'linear' }];
    await expect(build(tinyRegression, layers)).rejects.toThrow(/conv2d or pooling layers, which need images.*shape \[4\]/);
  });
});
