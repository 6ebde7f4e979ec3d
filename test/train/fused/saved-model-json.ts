// model.json files as tfjs-layers' model.save writes them (topology, weights manifest, one
// weights.bin shard), made from real tfjs models in a test's own temp directory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { loadDataset } from '../../../src/train/datasets/load-dataset.js';
import { buildModel } from '../../../src/train/model-builder.js';
import type { TrialSpec } from '../../../src/trial/types.js';

/** A temp directory per test file; `remove` deletes it. */
export function modelDirs(): { readonly dir: (name: string) => string; readonly remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'plateau-model-json-'));
  return {
    dir: (name) => {
      const dir = join(root, name);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Saves `model` into `dir` as model.save does (model.json and weights.bin); returns the model.json's path. */
export async function saveModelJson(model: LayersModel, dir: string): Promise<string> {
  await model.save(
    io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bytes = data === undefined ? new ArrayBuffer(0) : io.CompositeArrayBuffer.join(data);
      writeFileSync(join(dir, 'weights.bin'), Buffer.from(bytes));
      const json = { format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers', modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }] };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return join(dir, 'model.json');
}

/**
 * Gives `model` the initial weights the spec trial `spec` (a layer list) starts from, as
 * runTrial builds them from its seed: a model.json saved from it then starts every trial there.
 */
export async function takeSpecWeights(model: LayersModel, spec: TrialSpec): Promise<void> {
  const data = await loadDataset(spec.workload.dataset);
  const specModel = await buildModel(spec.workload, data, spec.seed);
  try {
    model.setWeights(specModel.getWeights());
  } finally {
    specModel.dispose();
  }
}
