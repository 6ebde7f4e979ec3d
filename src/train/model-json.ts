// tfjs layers-format model.json (e.g. from tensorflowjs_converter): topology deserialized with
// tfjs-layers, weights read from the shard files next to it. Without weights, every random
// initializer gets a seed derived from the trial's, so every configuration starts equal.
import { readFile } from 'node:fs/promises';
import { dispose, io, type NamedTensorMap } from '@tensorflow/tfjs-core';
import { models, type LayersModel } from '@tensorflow/tfjs-layers';
import { ModelError } from './model-error.js';
import { flattenImageInput } from './model-json-image-input.js';
import { SeededDropout } from './seeded-dropout.js';
import { deriveSeed } from './seeded-random.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };
type WeightsGroup = io.WeightsManifestConfig[number];

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON.parse output, typed: only JSON values can come out of it. */
function asJson(value: unknown): JsonValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(asJson);
  if (typeof value === 'object') {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = asJson(item);
    return out;
  }
  throw new TypeError(`not a JSON value: ${typeof value}`);
}

/** Keras/tfjs initializers that draw random numbers (and take a `seed`). */
const RANDOM_INITIALIZERS = new Set([
  'RandomUniform',
  'RandomNormal',
  'TruncatedNormal',
  'VarianceScaling',
  'GlorotUniform',
  'GlorotNormal',
  'HeUniform',
  'HeNormal',
  'LeCunUniform',
  'LeCunNormal',
  'LecunUniform',
  'LecunNormal',
  'Orthogonal',
]);

/** Layers whose tfjs implementation draws from Math.random or repeats one mask: no reproducible run. */
const UNSEEDABLE_LAYERS = new Set(['GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'SpatialDropout1D']);

export interface ModelJsonFile {
  readonly topology: JsonObject;
  readonly weightsManifest: readonly WeightsGroup[] | undefined;
}

/** Splits a model.json into its topology and its weights manifest (if any). */
export function parseModelJson(text: string, file: string): ModelJsonFile {
  let parsed: JsonValue;
  try {
    parsed = asJson(JSON.parse(text));
  } catch (error) {
    // JSON.parse's message quotes the text it choked on: the file's content, never echoed.
    throw new ModelError(`not valid JSON${error instanceof SyntaxError ? '' : ` (${String(error)})`} — expected a tfjs layers-format model.json`, file);
  }
  if (!isJsonObject(parsed)) throw new ModelError('expected a JSON object (a tfjs layers-format model.json)', file);
  if ('modelTopology' in parsed) {
    const format = parsed['format'];
    if (format !== undefined && format !== null && format !== 'layers-model') {
      throw new ModelError('format is not "layers-model" — a graph model cannot be trained', file);
    }
    const topology = parsed['modelTopology'];
    if (!isJsonObject(topology)) throw new ModelError('modelTopology: expected an object', file);
    const manifest = parsed['weightsManifest'];
    if (manifest !== undefined && manifest !== null && !Array.isArray(manifest)) {
      throw new ModelError('weightsManifest: expected a list of weight groups', file);
    }
    return { topology, weightsManifest: Array.isArray(manifest) ? manifest.map((group, index) => checkGroup(group, index, file)) : undefined };
  }
  return { topology: parsed, weightsManifest: undefined };
}

function checkGroup(group: unknown, groupIndex: number, file: string): WeightsGroup {
  if (!isJsonObject(group) || !Array.isArray(group['paths']) || !Array.isArray(group['weights'])) {
    throw new ModelError('weightsManifest: each group needs "paths" and "weights" lists', file);
  }
  const paths = group['paths'];
  if (!paths.every((p): p is string => typeof p === 'string')) throw new ModelError('weightsManifest: paths must be strings', file);
  const weights = group['weights'].map((entry, index) => checkWeightEntry(entry, `group ${groupIndex + 1}, weight ${index + 1}`, file));
  return { paths, weights };
}

const DTYPES = ['float32', 'int32', 'bool'] as const;
const QUANTIZED = ['uint16', 'uint8', 'float16'] as const;

function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return allowed.find((known) => known === value);
}

/** `where` names the entry by position: names in the file are its content, never echoed. */
function checkWeightEntry(entry: unknown, where: string, file: string): io.WeightsManifestEntry {
  const bad = (what: string): ModelError => new ModelError(`weightsManifest: ${what}`, file);
  if (!isJsonObject(entry) || typeof entry['name'] !== 'string') throw bad(`${where}: each weight needs a "name"`);
  const name = entry['name'];
  const shape = entry['shape'];
  if (!Array.isArray(shape) || !shape.every((d): d is number => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw bad(`${where}: "shape" must be a list of sizes`);
  }
  const dtype = oneOf(entry['dtype'] ?? 'float32', DTYPES);
  if (dtype === undefined) throw bad(`${where}: dtype — expected one of ${DTYPES.join(', ')}`);
  const quantization = entry['quantization'];
  if (quantization === undefined || quantization === null) return { name, shape, dtype };
  if (!isJsonObject(quantization)) throw bad(`${where}: "quantization" must be an object`);
  const quantizedAs = oneOf(quantization['dtype'], QUANTIZED);
  if (quantizedAs === undefined) throw bad(`${where}: quantization dtype — expected one of ${QUANTIZED.join(', ')}`);
  const scale = quantization['scale'];
  const min = quantization['min'];
  if ((scale !== undefined && typeof scale !== 'number') || (min !== undefined && typeof min !== 'number')) {
    throw bad(`${where}: quantization scale and min must be numbers`);
  }
  return {
    name,
    shape,
    dtype,
    quantization: { dtype: quantizedAs, ...(scale === undefined ? {} : { scale }), ...(min === undefined ? {} : { min }) },
  };
}

/**
 * Rewrites a topology in place for a reproducible run: Dropout becomes SeededDropout, random
 * initializers get seeds derived from `seed` (in document order), unseedable layers are refused.
 */
export function seedTopology(topology: JsonObject, seed: number, file: string): void {
  let stream = 0;
  const nextSeed = (): number => deriveSeed(seed, stream++);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!isJsonObject(node)) return;
    const className = node['class_name'];
    const config = node['config'];
    if (typeof className === 'string' && isJsonObject(config)) {
      if (UNSEEDABLE_LAYERS.has(className)) {
        throw new ModelError(`layer ${className} draws unseeded random numbers in tfjs, so trials could not be reproduced — use Dropout`, file);
      }
      if (className === 'Dropout') {
        if (config['noise_shape'] !== undefined && config['noise_shape'] !== null) {
          throw new ModelError('Dropout with a noise_shape is not supported', file);
        }
        node['class_name'] = SeededDropout.className;
        config['seed'] = nextSeed();
      } else if (RANDOM_INITIALIZERS.has(className)) {
        config['seed'] = nextSeed();
      }
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(topology);
}

/** Keras's one-factor regularizer classes, and the L1L2 factor each is (the other factor 0). */
const ONE_FACTOR_REGULARIZERS: Readonly<Record<string, 'l1' | 'l2'>> = { L1: 'l1', L2: 'l2' };

/**
 * Rewrites Keras's L1 and L2 regularizers (which tfjs-layers cannot deserialize: it registers
 * L1L2 only, and its own l1() and l2() serialize as L1L2) into the L1L2 they equal, in place.
 */
export function normalizeRegularizers(topology: JsonObject): void {
  const visit = (node: JsonValue): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!isJsonObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      const factor = isJsonObject(value) && key.endsWith('_regularizer') && typeof value['class_name'] === 'string' && Object.hasOwn(ONE_FACTOR_REGULARIZERS, value['class_name']) ? ONE_FACTOR_REGULARIZERS[value['class_name']] : undefined;
      const config = isJsonObject(value) ? value['config'] : undefined;
      if (factor !== undefined && isJsonObject(value) && isJsonObject(config)) {
        // A factor left out keeps tfjs's (and Keras's) default, 0.01: null reads as unset.
        value['class_name'] = 'L1L2';
        value['config'] = factor === 'l1' ? { l1: config['l1'] ?? null, l2: 0 } : { l1: 0, l2: config['l2'] ?? null };
      } else visit(value);
    }
  };
  visit(topology);
}

/** tfjs's own message may quote the model.json (a class name, a config value): only its kind is told. */
function tfjsFailure(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** Where each weightsManifest path is read: the shard staged with the model, or (client side) next to the model.json. */
export type ShardLocator = (shard: string) => { readonly path: string; readonly name: string };

async function readWeights(manifest: readonly WeightsGroup[], locate: ShardLocator, file: string): Promise<NamedTensorMap> {
  const named: NamedTensorMap = {};
  try {
    for (const [groupIndex, group] of manifest.entries()) {
      const shards = await Promise.all(
        group.paths.map(async (shard: string, index: number) => {
          const located = locate(shard);
          try {
            return await readFile(located.path);
          } catch (error) {
            const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
            throw new ModelError(`cannot read weights file ${index + 1} of group ${groupIndex + 1} (${located.name}: ${code})`, file);
          }
        }),
      );
      const bytes = Buffer.concat(shards);
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      try {
        Object.assign(named, io.decodeWeights(buffer, group.weights));
      } catch (error) {
        throw new ModelError(`weights of group ${groupIndex + 1} do not match the manifest (${tfjsFailure(error)})`, file);
      }
    }
  } catch (error) {
    dispose(named);
    throw error;
  }
  return named;
}

/**
 * Builds an uncompiled model from a model.json at `modelPath` (errors name `file`, its display
 * name): its own weights if it lists them, else seeded ones. With `featureShape` (the dataset's
 * sample shape), a model whose input is that image takes flat rows instead (flattenImageInput).
 */
export async function loadModelJson(modelPath: string, file: string, locate: ShardLocator, seed: number, featureShape?: readonly number[]): Promise<LayersModel> {
  let text: string;
  try {
    text = await readFile(modelPath, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
    throw new ModelError(`cannot read the model file (${code})`, file);
  }
  const { topology, weightsManifest } = parseModelJson(text, file);
  seedTopology(topology, seed, file);
  normalizeRegularizers(topology);
  if (featureShape !== undefined) flattenImageInput(topology, featureShape);
  let model: LayersModel;
  try {
    model = await models.modelFromJSON({ modelTopology: topology });
  } catch (error) {
    throw new ModelError(`cannot build the model from its topology (${tfjsFailure(error)})`, file);
  }
  if (weightsManifest === undefined) return model;
  try {
    const weights = await readWeights(weightsManifest, locate, file);
    try {
      model.loadWeights(weights, true);
    } catch (error) {
      throw new ModelError(`the weights do not fit the model (${tfjsFailure(error)})`, file);
    } finally {
      // The model's variables hold their own references.
      dispose(weights);
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
