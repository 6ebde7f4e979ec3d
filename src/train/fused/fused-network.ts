// The network a fused bundle trains, from its trials' spec: the spec's own layer list, or a
// model.json's topology translated layer by layer (model-json-layers.ts), read as model.fit reads
// it (buildModel), so a member draws the dropout masks the same trial draws in model.fit.
import { readFile } from 'node:fs/promises';
import { fileRefDisplayName } from '../../artifacts/file-ref.js';
import { clientFileResolver, type FileResolver } from '../../artifacts/file-resolver.js';
import type { LayerSpec, TrialSpec } from '../../trial/types.js';
import { ModelError } from '../model-error.js';
import { parseModelJson, seedTopology } from '../model-json.js';
import { deriveSeed, SeedStream } from '../seeded-random.js';
import { modelJsonLayers } from './model-json-layers.js';

export interface FusedNetwork {
  readonly layers: readonly LayerSpec[];
  /** Per layer: a dropout layer's mask-stream seed where the model fixes it (FusedEngineOptions.dropoutSeeds). */
  readonly dropoutSeeds?: readonly (number | undefined)[];
}

export type FusedNetworkResolution = { readonly network: FusedNetwork } | { readonly unsupported: string };

/**
 * The layers `spec`'s bundle trains, or why its model.json has none a fused engine trains
 * (naming the first such layer or config). Rejects with a ModelError when the model.json cannot
 * be read or parsed (model.fit would fail the trial on the same file).
 */
export async function fusedNetwork(spec: TrialSpec, files: FileResolver = clientFileResolver): Promise<FusedNetworkResolution> {
  const { model } = spec.workload;
  if (model.kind === 'layers') return { network: { layers: model.layers } };
  const file = fileRefDisplayName(model.file);
  const path = files.localPath(model.file, 'workload.model.file');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
    throw new ModelError(`cannot read the model file (${code})`, file);
  }
  const { topology } = parseModelJson(text, file);
  // The topology model.fit builds: each Dropout becomes a seeded one whose config holds its mask seed.
  seedTopology(topology, deriveSeed(spec.seed, SeedStream.weights), file);
  return modelJsonLayers(topology);
}
