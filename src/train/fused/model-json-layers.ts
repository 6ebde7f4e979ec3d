// Translates a model.json topology (tfjs layers format: what tfjs-layers' model.save and
// tensorflowjs_converter write from Keras) into the fused engines' layer list, or says why it
// cannot: the first layer, or config, that no fused engine trains as tfjs-layers would. Pure: it
// reads no file. The weights are not translated here: the fused runner takes them from the model
// buildModel builds (the model.json's shards, or its seeded initializers), as model.fit would.
//
// Supported: a Sequential model, or a Functional one ('Model'/'Functional') whose layers form one
// chain from its single input to its single output, of the layers in LAYER_TRANSLATORS below.
import type { Activation, KernelRegularizerSpec, LayerSpec, Padding } from '../../trial/types.js';
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

/** Keras/tfjs activation names the fused kernels compute on a conv2d's pixels, as the spec's Activation. */
const CONV_ACTIVATIONS: Readonly<Record<string, Activation>> = { linear: 'linear', relu: 'relu', tanh: 'tanh', sigmoid: 'sigmoid' };
/** …and on a dense layer's rows, where softmax (over the row) has a kernel too. */
const DENSE_ACTIVATIONS: Readonly<Record<string, Activation>> = { ...CONV_ACTIVATIONS, softmax: 'softmax' };

/** tfjs-layers' L1L2 factor when the config leaves one out (null or absent): 0.01, as model.fit builds it. */
const TFJS_L1L2_DEFAULT = 0.01;
/** Keras's L1 and L2 classes, each one factor of tfjs's L1L2 (the loader rewrites them to it, see normalizeRegularizers). */
const ONE_FACTOR_REGULARIZERS: Readonly<Record<string, 'l1' | 'l2'>> = { L1: 'l1', L2: 'l2' };

/** tfjs-layers' and Keras's LayerNormalization ε, which the kernels implement. */
const LAYER_NORM_EPSILON = 1e-3;

/** tfjs-layers' and Keras's BatchNormalization defaults, which the kernels implement. */
const BATCH_NORM_MOMENTUM = 0.99;
const BATCH_NORM_EPSILON = 1e-3;

/**
 * The table: each model.json class the fused path trains, and how it becomes the engines'
 * layers (the spec's own LayerSpec kinds, so a model.json and the same model in a spec train
 * alike). A layer kind the kernels learn is one entry here, and its LayerSpec kind.
 */
const LAYER_TRANSLATORS: Readonly<Record<string, (node: LayerNode) => LayerTranslation>> = {
  InputLayer: () => ({ layers: [] }),
  Dense: dense,
  Dropout: dropout,
  // A topology seedTopology rewrote (the one model.fit trains): its config carries the mask seed.
  [SeededDropout.className]: dropout,
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
  Conv2D: conv2d,
  MaxPooling2D: (node) => pooling2d(node, 'maxPooling2d'),
  AveragePooling2D: (node) => pooling2d(node, 'averagePooling2d'),
  Flatten: flatten,
};

/** Config keys that must be null or absent: a regularizer or constraint changes the training step. */
const DENSE_NULL_KEYS = ['bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'] as const;
const CONV_NULL_KEYS = ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'] as const;
const LAYER_NORM_NULL_KEYS = ['beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint'] as const;
const BATCH_NORM_NULL_KEYS = ['beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint', 'virtual_batch_size', 'adjustment'] as const;

/** `record[key]` for the table's own keys only: a file's class name 'constructor' or 'toString' names no entry. */
function entryOf<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

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

/** An activation name the kernels compute, or the refusal naming it. */
function kernelActivation(config: JsonObject, kernels: Readonly<Record<string, Activation>>, where: string): Activation | { refused: string } {
  const named = config['activation'] ?? 'linear';
  const activation = typeof named === 'string' ? entryOf(kernels, named) : undefined;
  if (activation !== undefined) return activation;
  const what = typeof named === 'string' && /^\w{1,32}$/.test(named) ? named : 'of this form';
  return { refused: `${where} activation ${what} has no kernel (kernels: ${Object.keys(kernels).join(', ')})` };
}

function isPenaltyFactor(value: JsonValue | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * A Dense kernel_regularizer as the spec's l1l2 factors: tfjs's L1L2 (a factor left out is
 * tfjs's default 0.01, which model.fit trains) or Keras's L1 / L2 (the other factor 0).
 */
function kernelRegularizer(value: JsonValue, shown: string): KernelRegularizerSpec | { refused: string } {
  const className = isJsonObject(value) ? value['class_name'] : undefined;
  const config = isJsonObject(value) ? (value['config'] ?? {}) : undefined;
  if (typeof className !== 'string' || !isJsonObject(config)) return { refused: `Dense ${shown} kernel_regularizer is not a {class_name, config} object` };
  const factor = (key: 'l1' | 'l2'): number | undefined => {
    const given = config[key];
    if (isAbsent(given)) return TFJS_L1L2_DEFAULT;
    return isPenaltyFactor(given) ? given : undefined;
  };
  const only = entryOf(ONE_FACTOR_REGULARIZERS, className);
  if (className !== 'L1L2' && only === undefined) {
    return { refused: `Dense ${shown} kernel_regularizer ${shownClass(className)} has no kernel (kernels: L1L2, L1, L2)` };
  }
  const l1 = only === 'l2' ? 0 : factor('l1');
  const l2 = only === 'l1' ? 0 : factor('l2');
  if (l1 === undefined || l2 === undefined) return { refused: `Dense ${shown} kernel_regularizer factors are not finite numbers ≥ 0` };
  return { l1, l2 };
}

function dense({ config, shown }: LayerNode): LayerTranslation {
  const units = config['units'];
  if (typeof units !== 'number' || !Number.isInteger(units) || units < 1) return { refused: `Dense ${shown} has no whole number of units` };
  const activation = kernelActivation(config, DENSE_ACTIVATIONS, `Dense ${shown}`);
  if (typeof activation !== 'string') return activation;
  if (config['use_bias'] === false) return { refused: `Dense ${shown} use_bias=false` };
  const set = firstSet(config, DENSE_NULL_KEYS);
  if (set !== undefined) return { refused: `Dense ${shown} has a ${set}` };
  const regularizer = config['kernel_regularizer'];
  if (regularizer === undefined || regularizer === null) return { layers: [{ kind: 'dense', units, activation }] };
  const factors = kernelRegularizer(regularizer, shown);
  if ('refused' in factors) return factors;
  return { layers: [{ kind: 'dense', units, activation, kernelRegularizer: factors }] };
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

function layerNormalization({ config, shown }: LayerNode): LayerTranslation {
  if (!isFeatureAxis(config['axis'])) return { refused: `LayerNormalization ${shown} axis is not the last one` };
  const epsilon = config['epsilon'] ?? LAYER_NORM_EPSILON;
  if (epsilon !== LAYER_NORM_EPSILON) return { refused: `LayerNormalization ${shown} epsilon is not ${LAYER_NORM_EPSILON}` };
  if (config['center'] === false) return { refused: `LayerNormalization ${shown} center=false` };
  if (config['scale'] === false) return { refused: `LayerNormalization ${shown} scale=false` };
  const set = firstSet(config, LAYER_NORM_NULL_KEYS);
  if (set !== undefined) return { refused: `LayerNormalization ${shown} has a ${set}` };
  return { layers: [{ kind: 'layerNorm' }] };
}

/** A square window's side from `n` or `[n, n]` (Keras and tfjs write the pair); a string says why not. */
function squareSide(value: JsonValue | undefined, what: string): number | string {
  const pair = Array.isArray(value) ? value : [value, value];
  const [rows, columns] = pair;
  if (pair.length !== 2 || typeof rows !== 'number' || !Number.isInteger(rows) || rows < 1) return `${what} is not a whole number ≥ 1 or a pair of them`;
  if (rows !== columns) return `${what} is not square (the kernels take equal sizes for both axes)`;
  return rows;
}

function paddingOf(value: JsonValue | undefined): Padding | undefined {
  const given = value ?? 'valid';
  return given === 'valid' || given === 'same' ? given : undefined;
}

/** The image layers read NHWC (tfjs's and Keras's default); channels_first moves the channel axis, which the kernels do not. */
function channelsLastRefusal(config: JsonObject, where: string): string | undefined {
  const format = config['data_format'];
  if (isAbsent(format) || format === 'channels_last') return undefined;
  return `${where} data_format ${format === 'channels_first' ? 'channels_first' : 'of this form'}: the kernels take channels_last images only`;
}

function conv2d({ config, shown }: LayerNode): LayerTranslation {
  const where = `Conv2D ${shown}`;
  const filters = config['filters'];
  if (typeof filters !== 'number' || !Number.isInteger(filters) || filters < 1) return { refused: `${where} has no whole number of filters` };
  const kernelSize = squareSide(config['kernel_size'], `${where} kernel_size`);
  if (typeof kernelSize === 'string') return { refused: kernelSize };
  const strides = squareSide(config['strides'] ?? 1, `${where} strides`);
  if (typeof strides === 'string') return { refused: strides };
  const padding = paddingOf(config['padding']);
  if (padding === undefined) return { refused: `${where} padding is not valid or same` };
  const channels = channelsLastRefusal(config, where);
  if (channels !== undefined) return { refused: channels };
  const dilation = squareSide(config['dilation_rate'] ?? 1, `${where} dilation_rate`);
  if (dilation !== 1) return { refused: `${where} dilation_rate is not 1 (the kernels have no dilated convolution)` };
  const groups = config['groups'] ?? 1;
  if (groups !== 1) return { refused: `${where} groups is not 1` };
  const activation = kernelActivation(config, CONV_ACTIVATIONS, where);
  if (typeof activation !== 'string') return activation;
  if (config['use_bias'] === false) return { refused: `${where} use_bias=false` };
  const set = firstSet(config, CONV_NULL_KEYS);
  if (set !== undefined) return { refused: `${where} has a ${set}` };
  return { layers: [{ kind: 'conv2d', filters, kernelSize, strides, padding, activation }] };
}

function pooling2d({ config, shown, className }: LayerNode, kind: 'maxPooling2d' | 'averagePooling2d'): LayerTranslation {
  const where = `${className} ${shown}`;
  const poolSize = squareSide(config['pool_size'] ?? 2, `${where} pool_size`);
  if (typeof poolSize === 'string') return { refused: poolSize };
  // Keras and tfjs: strides left out (null) are the pool size.
  const strides = isAbsent(config['strides']) ? poolSize : squareSide(config['strides'], `${where} strides`);
  if (typeof strides === 'string') return { refused: strides };
  const padding = paddingOf(config['padding']);
  if (padding === undefined) return { refused: `${where} padding is not valid or same` };
  const channels = channelsLastRefusal(config, where);
  if (channels !== undefined) return { refused: channels };
  return { layers: [{ kind, poolSize, strides, padding }] };
}

function flatten({ config, shown }: LayerNode): LayerTranslation {
  const channels = channelsLastRefusal(config, `Flatten ${shown}`);
  if (channels !== undefined) return { refused: channels };
  return { layers: [{ kind: 'flatten' }] };
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
    const translate = entryOf(LAYER_TRANSLATORS, node.className);
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
