// Setting a tfjs optimizer's learning rate so that its next step really uses it.
// tfjs-core 4.22 (dist/optimizers/*.js) reads the rate in two different ways:
// - SGD and Momentum multiply by a scalar tensor `c = -learningRate`, built once by
//   setLearningRate(); assigning the `learningRate` field alone changes nothing.
// - Adam, RMSProp, Adagrad, Adadelta and Adamax read the `learningRate` field on every
//   applyGradients() (e.g. Adam: `mul(..., -this.learningRate)`), and have no setter.
// Any other optimizer is refused rather than silently left at its old rate.
import type { Optimizer } from '@tensorflow/tfjs-core';
import { InvalidLearningRateError, UnsupportedOptimizerError } from './errors.js';

type LearningRateAccess = 'setLearningRate' | 'field';

/** By `getClassName()` (the static className tfjs serializes), not instanceof: robust to two copies of tfjs-core. */
const ACCESS_BY_CLASS: Readonly<Record<string, LearningRateAccess>> = {
  SGD: 'setLearningRate',
  Momentum: 'setLearningRate',
  Adam: 'field',
  RMSProp: 'field',
  Adagrad: 'field',
  Adadelta: 'field',
  Adamax: 'field',
};

export const SUPPORTED_OPTIMIZERS: readonly string[] = Object.keys(ACCESS_BY_CLASS);

/** How to read and write one optimizer's rate; built after checking it has the shape its class promises. */
interface LearningRateHandle {
  read(): number;
  write(lr: number): void;
}

function handleFor(optimizer: Optimizer): LearningRateHandle {
  const className = optimizer.getClassName();
  const access = ACCESS_BY_CLASS[className];
  const unsupported = (): UnsupportedOptimizerError => new UnsupportedOptimizerError(className, SUPPORTED_OPTIMIZERS);
  if (access === undefined) throw unsupported();
  // `learningRate` is `protected` in the typings, but it is where every supported optimizer keeps the rate.
  const read = (): number => {
    const lr: unknown = Reflect.get(optimizer, 'learningRate');
    if (typeof lr !== 'number') throw unsupported();
    return lr;
  };
  read();
  if (access === 'field') return { read, write: (lr) => void Reflect.set(optimizer, 'learningRate', lr) };
  const setLearningRate: unknown = Reflect.get(optimizer, 'setLearningRate');
  if (typeof setLearningRate !== 'function') throw unsupported();
  // Disposes the cached scalar and keeps a new one (sgd_optimizer.js setLearningRate).
  return { read, write: (lr) => void Reflect.apply(setLearningRate, optimizer, [lr]) };
}

/** The learning rate the optimizer's next step will use (the number it holds; tfjs multiplies in float32). */
export function readLearningRate(optimizer: Optimizer): number {
  return handleFor(optimizer).read();
}

/** Makes the optimizer's next steps use `lr`, in the way that optimizer reads it. */
export function applyLearningRate(optimizer: Optimizer, lr: number): void {
  if (!Number.isFinite(lr) || lr < 0) throw new InvalidLearningRateError(lr);
  handleFor(optimizer).write(lr);
}
