// The workload's optimizer, built at the trial's initial learning rate: the rate is a
// constructor argument here, so epoch 1 trains at it (the seed project's bug was a schedule
// built with an LR that never reached the optimizer).
import { train, type Optimizer } from '@tensorflow/tfjs-core';
import type { OptimizerName } from '../trial/types.js';

/** Keras's default momentum for `SGD(momentum=…)` sweeps; tfjs has no default. */
export const MOMENTUM = 0.9;

export function createOptimizer(name: OptimizerName, learningRate: number): Optimizer {
  switch (name) {
    case 'sgd':
      return train.sgd(learningRate);
    case 'momentum':
      return train.momentum(learningRate, MOMENTUM);
    case 'adam':
      return train.adam(learningRate);
    case 'rmsprop':
      return train.rmsprop(learningRate);
    case 'adagrad':
      return train.adagrad(learningRate);
    case 'adadelta':
      return train.adadelta(learningRate);
    case 'adamax':
      return train.adamax(learningRate);
  }
}
