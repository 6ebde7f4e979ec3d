// Dense-layer activations as tfjs-layers 4.22 computes them (dist/activations.js, and
// fused_util.applyActivation for the relu/elu/linear that Dense fuses into its matMul), op for
// op, so a fused member's forward and backward pass round exactly as the single-trial model's.
import { add, div, elu, erf, mul, relu, selu, sigmoid, softmax, softplus, tanh, type Tensor } from '@tensorflow/tfjs-core';
import type { Activation } from '../../trial/types.js';

export function applyActivation(activation: Activation, x: Tensor): Tensor {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return relu(x);
    case 'elu':
      return elu(x);
    case 'tanh':
      return tanh(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'selu':
      return selu(x);
    case 'softplus':
      return softplus(x);
    case 'softmax':
      return softmax(x, -1);
    case 'swish':
      // Swish.apply(x, alpha = 1): sigmoid(x · alpha) · x.
      return mul(sigmoid(mul(x, 1)), x);
    case 'gelu':
      // Gelu.apply: x · 0.5 · (1 + erf(x / √2)).
      return mul(x, mul(0.5, add(1, erf(div(x, Math.sqrt(2))))));
  }
}
