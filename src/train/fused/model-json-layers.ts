// Translates a model.json topology (tfjs layers format: what tfjs-layers' model.save and
// tensorflowjs_converter write from Keras) into the fused engines' layer list, or says why it
// cannot: the first layer, or config, that no fused engine trains as tfjs-layers would. Pure: it
// reads no file. The weights are not translated here: the fused runner takes them from the model
// buildModel builds (the model.json's shards, or its seeded initializers), as model.fit would.
//
// Supported: a Sequential model, or a Functional one ('Model'/'Functional') whose layers form one
// chain from its single input to its single output, of the layers in LAYER_TRANSLATORS below.
import type { Activation, LayerSpec } from '../../trial/types.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../model-json.js';
import { SeededDropout } from '../seeded-dropout.js';

/** The fused engines' network for a model.json, layer for layer. */
export interface ModelJsonNetwork {
  readonly layers: readonly LayerSpec[];
  /**
   * Per layer of `layers`: a dropout layer's mask-stream seed when the topology fixes it (a
   * topology seeded by seedTopology names it in the layer's config), else undefined.
   */
  readonly dropoutSeeds: readonly (number | undefined)[];
}

export type ModelJsonTranslation = { readonly network: ModelJsonNetwork } | { readonly unsupported: string };

/** One model.json layer: what it adds to the layer list (nothing for an InputLayer), or why it cannot. */
type LayerTranslation = { readonly layers: readonly LayerSpec[]; readonly dropoutSeed?: number } | { readonly refused: string };

/** A layer's config and how reasons name it. */
interface LayerNode {
  readonly className: string;
  readonly config: JsonObject;
  /** `'name' (ClassName)`. */
  readonly shown: string;
}

/** Keras/tfjs activation names the fused kernels compute, as the spec's Activation. */
const KERNEL_ACTIVATIONS: Readonly<Record<string, Activation>> = { linear: 'linear', relu: 'relu', tanh: 'tanh', sigmoid: 'sigmoid' };

/** tfjs-layers' and Keras's BatchNormalization defaults, which the kernels implement. */
const BATCH_NORM_MOMENTUM = 0.99;
const BATCH_NORM_EPSILON = 1e-3;

/**
 * The table: each model.json class the fused path trains, and how it becomes the engines'
 * layers. A layer kind the kernels learn (Softmax, LayerNormalization, Conv2D, MaxPooling2D,
 * AveragePooling2D, Flatten, kernel regularizers) is one entry here, and its LayerSpec kind.
 */
const LAYER_TRANSLATORS: Readonly<Record<string, (node: LayerNode) => LayerTranslation>> = {
  InputLayer: () => ({ layers: [] }),
  Dense: dense,
  Dropout: dropout,
  // A topology seedTopology rewrote (the one model.fit trains): its config carries the mask seed.
  [SeededDropout.className]: dropout,
  BatchNormalization: batchNormalization,
};

/** Config keys that must be null or absent: a regularizer or constraint changes the training step. */
const DENSE_NULL_KEYS = ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'] as const;
const BATCH_NORM_NULL_KEYS = ['beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint', 'virtual_batch_size', 'adjustment'] as const;

/** Names from a file are its content: shown only when short and plain, else by position. */
function shownName(name: JsonValue | undefined, position: number): string {
  return typeof name === 'string' && /^[\w.:/-]{1,64}$/.test(name) ? `'${name}'` : `#${position + 1}`;
}

function shownClass(className: string): string {
  return /^[\w.]{1,64}$/.test(className) ? className : 'an unknown class';
}

function isAbsent(value: JsonValue | undefined): boolean {
  return value === undefined || value === null;
}

function firstSet(config: JsonObject, keys: readonly string[]): string | undefined {
  return keys.find((key) => !isAbsent(config[key]));
}

function dense({ config, shown }: LayerNode): LayerTranslation {
  const units = config['units'];
  if (typeof units !== 'number' || !Number.isInteger(units) || units < 1) return { refused: `Dense ${shown} has no whole number of units` };
  const named = config['activation'] ?? 'linear';
  const activation = typeof named === 'string' ? KERNEL_ACTIVATIONS[named] : undefined;
  if (activation === undefined) {
    const what = typeof named === 'string' && /^\w{1,32}$/.test(named) ? named : 'of this form';
    return { refused: `Dense ${shown} activation ${what} has no kernel (kernels: ${Object.keys(KERNEL_ACTIVATIONS).join(', ')})` };
  }
  if (config['use_bias'] === false) return { refused: `Dense ${shown} use_bias=false` };
  const set = firstSet(config, DENSE_NULL_KEYS);
  if (set !== undefined) return { refused: `Dense ${shown} has a ${set}` };
  return { layers: [{ kind: 'dense', units, activation }] };
}

function dropout({ config, shown }: LayerNode): LayerTranslation {
  const rate = config['rate'];
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) return { refused: `Dropout ${shown} rate is not in [0, 1)` };
  if (!isAbsent(config['noise_shape'])) return { refused: `Dropout ${shown} has a noise_shape` };
  const seed = config['seed'];
  return { layers: [{ kind: 'dropout', rate }], ...(typeof seed === 'number' ? { dropoutSeed: seed } : {}) };
}

/** The feature axis of a [batch, features] input: -1 or 1, alone or as Keras's built form [1]. */
function isFeatureAxis(axis: JsonValue | undefined): boolean {
  if (axis === undefined) return true;
  const only = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  return only === -1 || only === 1;
}

function batchNormalization({ config, shown }: LayerNode): LayerTranslation {
  if (!isFeatureAxis(config['axis'])) return { refused: `BatchNormalization ${shown} axis is not the last one` };
  const momentum = config['momentum'] ?? BATCH_NORM_MOMENTUM;
  if (momentum !== BATCH_NORM_MOMENTUM) return { refused: `BatchNormalization ${shown} momentum is not ${BATCH_NORM_MOMENTUM}` };
  const epsilon = config['epsilon'] ?? BATCH_NORM_EPSILON;
  if (epsilon !== BATCH_NORM_EPSILON) return { refused: `BatchNormalization ${shown} epsilon is not ${BATCH_NORM_EPSILON}` };
  if (config['center'] === false) return { refused: `BatchNormalization ${shown} center=false` };
  if (config['scale'] === false) return { refused: `BatchNormalization ${shown} scale=false` };
  if (config['renorm'] === true) return { refused: `BatchNormalization ${shown} renorm=true` };
  if (config['synchronized'] === true) return { refused: `BatchNormalization ${shown} synchronized=true` };
  const set = firstSet(config, BATCH_NORM_NULL_KEYS);
  if (set !== undefined) return { refused: `BatchNormalization ${shown} has a ${set}` };
  return { layers: [{ kind: 'batchNorm' }] };
}

/** Checks every layer class shares: trainable, float32. */
function commonRefusal({ config, shown, className }: LayerNode): string | undefined {
  if (config['trainable'] === false) return `${className} ${shown} is frozen (trainable=false)`;
  const dtype = config['dtype'];
  if (!isAbsent(dtype) && dtype !== 'float32') return `${className} ${shown} dtype is not float32`;
  return undefined;
}

function layerNode(value: JsonValue | undefined, position: number): LayerNode | string {
  if (!isJsonObject(value)) return `layer #${position + 1} is not a layer object`;
  const className = value['class_name'];
  const config = value['config'];
  if (typeof className !== 'string' || !isJsonObject(config)) return `layer #${position + 1} lacks a class_name or config`;
  // Functional layers carry their name beside the config too.
  const name = config['name'] ?? value['name'];
  return { className, config, shown: shownName(name, position) };
}

/** The names of the layers a Functional layer's single call reads from (Keras 2/tfjs and Keras 3 forms), or undefined for none or several calls. */
function inboundLayerNames(layer: JsonObject): string[] | undefined {
  const nodes = layer['inbound_nodes'];
  if (!Array.isArray(nodes)) return undefined;
  if (nodes.length === 0) return [];
  if (nodes.length > 1) return undefined;
  const node = nodes[0];
  // Keras 2 and tfjs: [[name, nodeIndex, tensorIndex, kwargs], …].
  if (Array.isArray(node)) return node.map((entry) => (Array.isArray(entry) && typeof entry[0] === 'string' ? entry[0] : '')).filter((name) => name !== '');
  // Keras 3: { args: [{ class_name: '__keras_tensor__', config: { keras_history: [name, 0, 0] } }], kwargs }.
  if (isJsonObject(node) && Array.isArray(node['args'])) {
    return node['args'].flatMap((arg) => {
      const history = isJsonObject(arg) && isJsonObject(arg['config']) ? arg['config']['keras_history'] : undefined;
      return Array.isArray(history) && typeof history[0] === 'string' ? [history[0]] : [];
    });
  }
  return undefined;
}

/** [name, 0, 0] entries of input_layers / output_layers (Keras also writes a bare [name, 0, 0] for one). */
function endpointNames(value: JsonValue | undefined): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  if (typeof value[0] === 'string') return [value[0]];
  const names = value.map((entry) => (Array.isArray(entry) && typeof entry[0] === 'string' ? entry[0] : undefined));
  return names.every((name): name is string => name !== undefined) ? names : undefined;
}

/** A Functional graph's layers in call order when they form one chain from its input to its output. */
function functionalChain(config: JsonObject): JsonValue[] | string {
  const layers = config['layers'];
  if (!Array.isArray(layers)) return 'the Functional model lists no layers';
  const inputs = endpointNames(config['input_layers']);
  const outputs = endpointNames(config['output_layers']);
  if (inputs?.length !== 1 || outputs?.length !== 1) return 'the model does not have one input and one output';
  const name = (layer: JsonValue): string | undefined => {
    if (!isJsonObject(layer)) return undefined;
    const own = layer['name'] ?? (isJsonObject(layer['config']) ? layer['config']['name'] : undefined);
    return typeof own === 'string' ? own : undefined;
  };
  let current = inputs[0];
  const chain: JsonValue[] = [];
  const visited = new Set<string>();
  while (current !== undefined && !visited.has(current)) {
    visited.add(current);
    const at = current;
    const layer = layers.find((candidate) => name(candidate) === at);
    if (layer === undefined) return 'the model\'s graph names a layer it does not list';
    chain.push(layer);
    if (at === outputs[0]) break;
    const readers = layers.filter((candidate) => isJsonObject(candidate) && (inboundLayerNames(candidate) ?? []).includes(at));
    const next = readers[0];
    if (readers.length !== 1 || next === undefined || !isJsonObject(next) || inboundLayerNames(next)?.length !== 1) {
      return `the model's graph is not one chain of layers (at layer ${shownName(at, chain.length - 1)})`;
    }
    current = name(next);
  }
  if (chain.length !== layers.length) return 'the model\'s graph is not one chain of layers (some layers are off the path from input to output)';
  return chain;
}

/** The model's layers in order: Sequential's list, or a Functional chain. */
function layerChain(topology: JsonObject): JsonValue[] | string {
  // tensorflowjs_converter nests the model under model_config (beside training_config); tfjs-layers' model.save does not.
  const modelConfig = topology['model_config'];
  const model = isJsonObject(modelConfig) ? modelConfig : topology;
  const className = model['class_name'];
  const config = model['config'];
  if (className === 'Sequential') {
    // Keras 1 wrote the layer list as the config itself.
    const layers = Array.isArray(config) ? config : isJsonObject(config) ? config['layers'] : undefined;
    return Array.isArray(layers) ? layers : 'the Sequential model lists no layers';
  }
  if ((className === 'Model' || className === 'Functional') && isJsonObject(config)) return functionalChain(config);
  return `model class ${typeof className === 'string' ? shownClass(className) : 'unknown'} is not Sequential or Functional`;
}

/** The fused engines' layer list for `topology`, or why it has none: naming the first layer or config no fused engine trains. */
export function modelJsonLayers(topology: JsonObject): ModelJsonTranslation {
  const chain = layerChain(topology);
  if (typeof chain === 'string') return { unsupported: chain };
  const layers: LayerSpec[] = [];
  const dropoutSeeds: (number | undefined)[] = [];
  for (const [position, value] of chain.entries()) {
    const node = layerNode(value, position);
    if (typeof node === 'string') return { unsupported: node };
    const translate = LAYER_TRANSLATORS[node.className];
    if (translate === undefined) return { unsupported: `layer ${node.shown} (${shownClass(node.className)}) has no kernel` };
    const refused = commonRefusal(node);
    if (refused !== undefined) return { unsupported: refused };
    const translated = translate(node);
    if ('refused' in translated) return { unsupported: translated.refused };
    for (const layer of translated.layers) {
      layers.push(layer);
      dropoutSeeds.push(layer.kind === 'dropout' ? translated.dropoutSeed : undefined);
    }
  }
  if (layers.length === 0) return { unsupported: 'the model has no layers' };
  return { network: { layers, dropoutSeeds } };
}
