// A model.json that takes images ([null, height, width, channels]) fed the runners' flat rows:
// every runner batches a dataset as [rows, featureCount], in NHWC order, so the topology gets a
// Reshape to the image in front, as the spec path's image models have one (model-builder.ts), and
// nothing moves. Pure: rewrites the parsed topology in place, reads no file.
import type { JsonObject, JsonValue } from './model-json.js';

function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The Reshape's name; a suffix is added when the model already has a layer of that name. */
const RESHAPE_NAME = 'plateau_image_rows';

/** Keras 2 and tfjs write the input shape as batch_input_shape; Keras 3 as batch_shape. */
const INPUT_SHAPE_KEYS = ['batch_input_shape', 'batch_shape'] as const;

function layerName(layer: JsonValue | undefined): string | undefined {
  if (!isJsonObject(layer)) return undefined;
  const config = layer['config'];
  const name = layer['name'] ?? (isJsonObject(config) ? config['name'] : undefined);
  return typeof name === 'string' ? name : undefined;
}

function freeName(layers: readonly JsonValue[]): string {
  const taken = new Set(layers.map(layerName));
  let name = RESHAPE_NAME;
  for (let suffix = 1; taken.has(name); suffix++) name = `${RESHAPE_NAME}_${suffix}`;
  return name;
}

/** The key holding `config`'s input shape when it is [null, ...image], else undefined. */
function imageShapeKey(config: JsonValue | undefined, image: readonly number[]): (typeof INPUT_SHAPE_KEYS)[number] | undefined {
  if (!isJsonObject(config)) return undefined;
  return INPUT_SHAPE_KEYS.find((key) => {
    const shape = config[key];
    return Array.isArray(shape) && shape.length === image.length + 1 && shape[0] === null && image.every((size, i) => shape[i + 1] === size);
  });
}

function reshapeLayer(name: string, image: readonly number[], rowShape: JsonValue[] | undefined): JsonObject {
  const config: JsonObject = { name, trainable: true, dtype: 'float32', target_shape: [...image] };
  if (rowShape !== undefined) config['batch_input_shape'] = rowShape;
  return { class_name: 'Reshape', config };
}

function flattenSequential(layers: JsonValue[], image: readonly number[], rowShape: JsonValue[]): boolean {
  const first = layers[0];
  if (!isJsonObject(first)) return false;
  const config = first['config'];
  const key = imageShapeKey(config, image);
  if (key === undefined || !isJsonObject(config)) return false;
  const reshape = reshapeLayer(freeName(layers), image, rowShape);
  // An InputLayer only declares the input: the Reshape, taking rows, declares it instead.
  if (first['class_name'] === 'InputLayer') layers.splice(0, 1, reshape);
  else {
    delete config[key];
    layers.unshift(reshape);
  }
  return true;
}

/** Keras 2 / tfjs Functional: the input layer takes rows, a Reshape reads it, and its readers read the Reshape. */
function flattenFunctional(config: JsonObject, image: readonly number[], rowShape: JsonValue[]): boolean {
  const layers = config['layers'];
  const inputs = config['input_layers'];
  if (!Array.isArray(layers) || !Array.isArray(inputs) || inputs.length !== 1) return false;
  const endpoint = inputs[0];
  const inputName = Array.isArray(endpoint) ? endpoint[0] : undefined;
  const at = layers.findIndex((layer) => layerName(layer) === inputName);
  const input = layers[at];
  if (typeof inputName !== 'string' || !isJsonObject(input) || input['class_name'] !== 'InputLayer') return false;
  const inputConfig = input['config'];
  const key = imageShapeKey(inputConfig, image);
  if (key === undefined || !isJsonObject(inputConfig)) return false;
  const name = freeName(layers);
  for (const layer of layers) {
    const nodes = isJsonObject(layer) ? layer['inbound_nodes'] : undefined;
    if (!Array.isArray(nodes)) continue;
    for (const node of nodes) {
      if (!Array.isArray(node)) continue;
      for (const entry of node) if (Array.isArray(entry) && entry[0] === inputName) entry[0] = name;
    }
  }
  inputConfig[key] = rowShape;
  const reshape = reshapeLayer(name, image, undefined);
  reshape['name'] = name;
  reshape['inbound_nodes'] = [[[inputName, 0, 0, {}]]];
  layers.splice(at + 1, 0, reshape);
  return true;
}

/**
 * When the model's input is one sample of `featureShape` as an image ([height, width, channels],
 * or [height, width] for one channel), rewrites `topology` to take flat rows of its size through
 * a Reshape, and says so; otherwise leaves it as it is (buildModel then says what does not fit).
 */
export function flattenImageInput(topology: JsonObject, featureShape: readonly number[]): boolean {
  if (featureShape.length !== 2 && featureShape.length !== 3) return false;
  const image = featureShape.length === 2 ? [...featureShape, 1] : [...featureShape];
  const rowShape: JsonValue[] = [null, image.reduce((product, size) => product * size, 1)];
  const modelConfig = topology['model_config'];
  const model = isJsonObject(modelConfig) ? modelConfig : topology;
  const config = model['config'];
  if (!isJsonObject(config)) return false;
  const layers = config['layers'];
  if (model['class_name'] === 'Sequential') return Array.isArray(layers) && flattenSequential(layers, image, rowShape);
  if (model['class_name'] === 'Model' || model['class_name'] === 'Functional') return flattenFunctional(config, image, rowShape);
  return false;
}
