// `plateau run` on a model.json spec: a model.json whose layers the kernels train runs fused (no
// `Not fused:` line; its weight shards staged as artifacts with it), and one with a layer no
// fused engine trains says so in exactly one line naming that layer, and still trains every
// trial through model.fit.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { initializers, layers, sequential } from '@tensorflow/tfjs-layers';
import { parseResultsJson } from '../../src/results/parse-results.js';
import { saveModelJson } from '../train/fused/saved-model-json.js';
import { killAllPlateauProcesses, spawnPlateau } from '../support/plateau-process.js';
import { removeTempDirs, tempDir, writeSpec } from './fixtures.js';

afterAll(() => {
  killAllPlateauProcesses();
  removeTempDirs();
});

const models = resolve(import.meta.dirname, '..', 'fixtures', 'models');

/** Copies fixture model `name` (model.json and any shards) into `dir`/model. */
function stageModel(dir: string, name: string, files: readonly string[]): string {
  const target = join(dir, 'model');
  mkdirSync(target, { recursive: true });
  for (const file of files) copyFileSync(join(models, name, file), join(target, file));
  return join(target, 'model.json');
}

function modelJsonSpec(modelPath: string, features: number, epochs: number): string {
  return `
name: model-json
workload:
  dataset: { kind: synthetic-regression, samples: 256, features: ${features}, noise: 0.1, seed: 5 }
  model: { modelJson: ${JSON.stringify(modelPath)} }
  loss: meanSquaredError
  optimizer: adam
  batchSize: 32
  epochs: ${epochs}
  seed: 9
plateau: { monitor: val_loss, minDelta: 1.0e-3 }
grid:
  learningRate: [0.001, 0.01]
  factor: [0.5]
  patience: [0, 1]
objective: { metric: val_loss, goal: minimize, use: final }
`;
}

function notFusedLines(stderr: string): string[] {
  return stderr.split(/\r?\n/).filter((line) => line.includes('Not fused'));
}

describe('plateau run with a model.json', () => {
  it('trains a model.json of dense, batch norm and dropout layers with weight shards fused, printing no Not fused line', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, modelJsonSpec(stageModel(dir, 'mlp-bn-weights', ['model.json', 'weights.bin']), 4, 3));
    const out = join(dir, 'out');
    const run = spawnPlateau(['--log-format', 'json', '--log-level', 'debug', 'run', spec, '--agents', '1', '--backend', 'cpu', '--out', out]);
    expect(await run.exited(), run.stderr()).toBe(0);
    expect(notFusedLines(run.stderr())).toEqual([]);
    expect(run.stderr()).toContain('"event":"fused.bundle"');
    expect(run.stderr()).toContain('"engine":"kernel"');
    const doc = parseResultsJson(readFileSync(join(out, 'results.json'), 'utf8'), 'results.json');
    expect(doc.trials).toHaveLength(4);
    expect(doc.trials.every((trial) => trial.status === 'succeeded')).toBe(true);
  });

  it('says in exactly one line, naming the layer, why a model.json with a layer no fused engine trains cannot fuse', async () => {
    const dir = tempDir();
    // A Keras Conv2D model (converter format) fits no regression data: its trials fail in model.fit, after the one line.
    const spec = writeSpec(dir, modelJsonSpec(stageModel(dir, 'keras-cnn-dilated', ['model.json']), 4, 1));
    const run = spawnPlateau(['run', spec, '--agents', '1', '--backend', 'cpu', '--out', join(dir, 'out')]);
    await run.exited();
    expect(notFusedLines(run.stderr())).toEqual(["Not fused: Conv2D 'conv_1' dilation_rate is not 1 (the kernels have no dilated convolution); each trial trains alone through tfjs model.fit"]);
  });

  it('trains a tfjs CNN model.json (conv, pooling, flatten, softmax on [8, 8, 1] images) with weight shards fused, printing no Not fused line', async () => {
    const dir = tempDir();
    const glorot = (seed: number): ReturnType<typeof initializers.glorotUniform> => initializers.glorotUniform({ seed });
    const cnn = sequential({
      layers: [
        layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: glorot(1) }),
        layers.maxPooling2d({ poolSize: 2 }),
        layers.conv2d({ filters: 4, kernelSize: 2, activation: 'tanh', kernelInitializer: glorot(2) }),
        layers.averagePooling2d({ poolSize: 3 }),
        layers.flatten(),
        layers.dense({ units: 3, activation: 'softmax', kernelInitializer: glorot(3) }),
      ],
    });
    mkdirSync(join(dir, 'model'));
    const modelPath = await saveModelJson(cnn, join(dir, 'model'));
    cnn.dispose();
    const spec = writeSpec(
      dir,
      `
name: model-json-cnn
workload:
  dataset: { kind: synthetic-images, samples: 128, height: 8, width: 8, channels: 1, classes: 3, seed: 2, validationSplit: 0.25 }
  model: { modelJson: ${JSON.stringify(modelPath)} }
  loss: sparseCategoricalCrossentropy
  metrics: [accuracy]
  optimizer: adam
  batchSize: 32
  epochs: 3
  seed: 9
plateau: { monitor: val_loss, minDelta: 1.0e-3 }
grid:
  learningRate: [0.003, 0.01]
  factor: [0.5]
  patience: [0]
objective: { metric: val_acc, goal: maximize, use: final }
`,
    );
    const out = join(dir, 'out');
    const run = spawnPlateau(['--log-format', 'json', '--log-level', 'debug', 'run', spec, '--agents', '1', '--out', out]);
    expect(await run.exited(), run.stderr()).toBe(0);
    expect(notFusedLines(run.stderr())).toEqual([]);
    expect(run.stderr()).toContain('"engine":"kernel"');
    const doc = parseResultsJson(readFileSync(join(out, 'results.json'), 'utf8'), 'results.json');
    expect(doc.trials).toHaveLength(2);
    expect(doc.trials.every((trial) => trial.status === 'succeeded')).toBe(true);
  });
});
