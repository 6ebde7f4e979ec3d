// Seeded synthetic images for small CNNs: each class is a sine grating at its own angle and
// frequency, at a random phase, under a soft spot of light at a random place, plus pixel noise.
// A convolution learns the class from local orientation; a dense layer on raw pixels barely can
// (the phase and the spot move). x is NHWC ([height, width, channels] per sample), y the class index.
import type { DatasetSpec } from '../../trial/types.js';
import { SeededRandom } from '../seeded-random.js';
import { DatasetError } from './dataset-error.js';
import { holdoutSizes, splitSamples } from './holdout.js';
import type { LoadedDataset } from './loaded-dataset.js';

export type SyntheticImagesSpec = Extract<DatasetSpec, { kind: 'synthetic-images' }>;

/** Pixel noise (standard deviation) on patterns of amplitude about 1. */
const PIXEL_NOISE = 0.1;
/** Bounds that keep one dataset within memory a worker can hold (4 bytes a value). */
const MAX_SIDE = 512;
const MAX_CHANNELS = 16;
const MAX_CLASSES = 1_000;

function checkRange(what: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new DatasetError(`${what}: ${value} — expected a whole number from 1 to ${max}`);
}

export function syntheticImages(spec: SyntheticImagesSpec): LoadedDataset {
  const { samples, height, width, channels, classes, seed, validationSplit } = spec;
  checkRange('height', height, MAX_SIDE);
  checkRange('width', width, MAX_SIDE);
  checkRange('channels', channels, MAX_CHANNELS);
  checkRange('classes', classes, MAX_CLASSES);
  const sizes = holdoutSizes(samples, validationSplit);
  const random = new SeededRandom(seed);
  const pixels = height * width * channels;
  const x = new Float32Array(samples * pixels);
  const y = new Float32Array(samples);
  const side = Math.max(height, width);
  for (let i = 0; i < samples; i++) {
    // Classes in turn: both the training and the validation part hold every class about equally.
    const label = i % classes;
    const angle = (Math.PI * label) / classes;
    const frequency = (2 + (label % 3)) / side;
    const phase = random.next() * 2 * Math.PI;
    const spotY = random.next() * height;
    const spotX = random.next() * width;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const wave = Math.sin(2 * Math.PI * frequency * (c * cos + r * sin) + phase);
        const spot = Math.exp(-((r - spotY) ** 2 + (c - spotX) ** 2) / (0.5 * side * side));
        for (let k = 0; k < channels; k++) {
          // Each channel sees the grating a little shifted, so colour images are not copies of one plane.
          const shifted = k === 0 ? wave : Math.sin(2 * Math.PI * frequency * (c * cos + r * sin) + phase + k);
          x[i * pixels + (r * width + c) * channels + k] = shifted * spot + PIXEL_NOISE * random.normal();
        }
      }
    }
    y[i] = label;
  }
  return {
    featureCount: pixels,
    featureShape: [height, width, channels],
    targetCount: 1,
    featureNames: Array.from({ length: pixels }, (_, p) => `pixel${p}`),
    ...splitSamples(x, y, pixels, 1, sizes.train),
  };
}
