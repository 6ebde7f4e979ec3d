// What each layer of a layer list outputs, from the dataset's sample shape: images (NHWC, one
// sample [height, width, channels]) through conv2d and pooling layers, flat rows after a flatten
// or a dense layer. Both the model.fit path (model-builder.ts) and the wasm kernels
// (fused/kernel/conv-stages.ts) size their layers from here, with tfjs's output-size and padding
// rules, so the two build the same network. Pure.
import type { LayerSpec, Padding } from '../trial/types.js';
import { ModelError } from './model-error.js';

export type LayerShape =
  | { readonly kind: 'image'; readonly height: number; readonly width: number; readonly channels: number }
  | { readonly kind: 'flat'; readonly units: number };

/** Floats per sample of a shape. */
export function shapeSize(shape: LayerShape): number {
  return shape.kind === 'flat' ? shape.units : shape.height * shape.width * shape.channels;
}

/** Whether the network reads images: it has a conv2d or pooling layer. */
export function takesImages(layers: readonly LayerSpec[]): boolean {
  return layers.some((layer) => layer.kind === 'conv2d' || layer.kind === 'maxPooling2d' || layer.kind === 'averagePooling2d');
}

/**
 * The network's input: the dataset's samples as images ([height, width] is one channel) when the
 * network takes images, else flat rows of featureCount values (as every dense network reads them).
 */
export function networkInput(layers: readonly LayerSpec[], featureCount: number, featureShape: readonly number[] | undefined): LayerShape {
  if (!takesImages(layers)) return { kind: 'flat', units: featureCount };
  const [height, width, channels = 1] = featureShape ?? [];
  if (featureShape === undefined || featureShape.length < 2 || featureShape.length > 3 || height === undefined || width === undefined) {
    throw new ModelError(
      `the network has conv2d or pooling layers, which need images: a dataset whose samples have shape [height, width, channels] (synthetic-images, or npz with x of shape [n, height, width, channels]); this one's samples have shape [${String(featureShape ?? [featureCount])}]`,
    );
  }
  return { kind: 'image', height, width, channels };
}

/** tfjs's output length of a window sliding over `input` (conv_util's computeOutputShape2D rule). */
export function slidingOutputSize(input: number, size: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(input / stride) : Math.ceil((input - size + 1) / stride);
}

/** The padding before the first pixel (top or left), as tfjs's getPadAndOutInfo puts it: half the total, rounded down. */
export function paddingBefore(input: number, output: number, size: number, stride: number, padding: Padding): number {
  if (padding === 'valid') return 0;
  return Math.floor(Math.max(0, (output - 1) * stride + size - input) / 2);
}

/** Each layer's output shape in order; throws ModelError naming the first layer that does not fit its input. */
export function layerShapes(layers: readonly LayerSpec[], input: LayerShape): LayerShape[] {
  let shape = input;
  return layers.map((layer, index) => {
    const where = `layer ${index + 1} (${layer.kind})`;
    switch (layer.kind) {
      case 'dense':
        if (shape.kind === 'image') throw new ModelError(`${where} follows an image layer: put a flatten layer before it`);
        shape = { kind: 'flat', units: layer.units };
        break;
      case 'dropout':
      case 'batchNorm':
        break;
      case 'flatten':
        shape = { kind: 'flat', units: shapeSize(shape) };
        break;
      case 'conv2d':
      case 'maxPooling2d':
      case 'averagePooling2d': {
        if (shape.kind === 'flat') throw new ModelError(`${where} needs images, but its input is flat (after a dense or flatten layer)`);
        const size = layer.kind === 'conv2d' ? layer.kernelSize : layer.poolSize;
        const height = slidingOutputSize(shape.height, size, layer.strides, layer.padding);
        const width = slidingOutputSize(shape.width, size, layer.strides, layer.padding);
        if (height < 1 || width < 1) throw new ModelError(`${where}: a window of ${size} does not fit its ${shape.height}×${shape.width} input with padding ${layer.padding}`);
        shape = { kind: 'image', height, width, channels: layer.kind === 'conv2d' ? layer.filters : shape.channels };
        break;
      }
    }
    return shape;
  });
}
