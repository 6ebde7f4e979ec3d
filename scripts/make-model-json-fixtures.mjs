// Writes test/fixtures/models/mlp-bn-weights/{model.json,weights.bin}: a tfjs-layers model.json
// (as model.save writes it) of dense, batch normalization and dropout layers, with weights that
// are not what any seeded initializer draws (and moving statistics away from 0 and 1), so a test
// can tell that training starts from the shards. Run: node scripts/make-model-json-fixtures.mjs
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { io, tensor } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { layers, sequential } from '@tensorflow/tfjs-layers';

const out = join(import.meta.dirname, '..', 'test', 'fixtures', 'models', 'mlp-bn-weights');
const model = sequential({ name: 'mlp_bn' });
model.add(layers.dense({ name: 'hidden', units: 8, activation: 'relu', inputShape: [4] }));
model.add(layers.batchNormalization({ name: 'norm' }));
model.add(layers.dropout({ name: 'drop', rate: 0.2 }));
model.add(layers.dense({ name: 'out', units: 1, activation: 'linear' }));
// A fixed, plain pattern: weight i of a tensor of n is 0.5·sin(i + n) (plus 1 for γ and the variance).
const weights = model.getWeights().map((weight, w) => {
  const n = weight.size;
  const offset = weight.name.includes('gamma') || weight.name.includes('variance') ? 1 : 0;
  return tensor(Array.from({ length: n }, (_, i) => offset + 0.5 * Math.sin(i + n + w)), weight.shape);
});
model.setWeights(weights);
await model.save(
  io.withSaveHandler(async (artifacts) => {
    const json = {
      format: 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    writeFileSync(join(out, 'model.json'), `${JSON.stringify(json, null, 1)}\n`);
    writeFileSync(join(out, 'weights.bin'), new Uint8Array(artifacts.weightData));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }),
);
