// K dense networks of one shape, held as stacked variables: kernel l is [K, in, out] and bias l
// is [K, 1, out], member m's slice being its own weights. One forward pass computes all K.
import { add, dispose, gather, reshape, stack, tensor1d, tidy, variable, type Tensor, type Tensor2D, type Tensor3D, type Variable } from '@tensorflow/tfjs-core';
import type { Activation } from '../../trial/types.js';
import { applyActivation } from './activations.js';
import { sharedInputMatMul, stackedMatMul, type MatMulPlan } from './stacked-matmul.js';

interface StackedLayer {
  kernel: Variable;
  bias: Variable;
  readonly activation: Activation;
}

export class StackedMlp {
  private readonly layers: StackedLayer[];
  private count: number;

  /**
   * `memberWeights[m]` is member m's [kernel₀, bias₀, kernel₁, bias₁, …] as a tfjs Dense stack
   * holds them ([in, out] and [out]); they are copied, so the caller still owns them.
   */
  constructor(
    memberWeights: readonly (readonly Tensor[])[],
    activations: readonly Activation[],
    private readonly plan: MatMulPlan,
  ) {
    this.count = memberWeights.length;
    if (this.count === 0) throw new RangeError('StackedMlp: no members');
    const weightsOf = (m: number, index: number): Tensor => {
      const weight = memberWeights[m]?.[index];
      if (weight === undefined) throw new RangeError(`StackedMlp: member ${m} has no weight ${index}`);
      return weight;
    };
    const members = Array.from({ length: this.count }, (_, m) => m);
    this.layers = activations.map((activation, l) => {
      const kernel = ownedVariable(stack(members.map((m) => weightsOf(m, 2 * l))));
      const bias = ownedVariable(
        tidy(() => {
          const biases = stack(members.map((m) => weightsOf(m, 2 * l + 1)));
          return reshape(biases, [this.count, 1, biases.shape[1] ?? 0]);
        }),
      );
      return { kernel, bias, activation };
    });
  }

  get memberCount(): number {
    return this.count;
  }

  /** Every trainable variable, kernel then bias per layer: the order gradients come back in. */
  get variables(): Variable[] {
    return this.layers.flatMap((layer) => [layer.kernel, layer.bias]);
  }

  /** [K, rows, outputs]: every member's prediction for the same rows. */
  predict(x: Tensor2D): Tensor3D {
    let h: Tensor3D | undefined;
    for (const layer of this.layers) {
      const kernel = layer.kernel as Tensor3D;
      const z = h === undefined ? sharedInputMatMul(x, kernel, this.plan) : stackedMatMul(h, kernel, this.plan);
      h = applyActivation(layer.activation, add(z, layer.bias)) as Tensor3D;
    }
    if (h === undefined) throw new RangeError('StackedMlp: no layers');
    return h;
  }

  /** New member i takes current member `indices[i]`'s weights (a repeated index copies them); the others' slices are freed. */
  keepMembers(indices: readonly number[]): void {
    for (const layer of this.layers) {
      layer.kernel = regather(layer.kernel, indices);
      layer.bias = regather(layer.bias, indices);
    }
    this.count = indices.length;
  }

  dispose(): void {
    dispose(this.variables);
  }
}

/** A variable initialised from `initial`, which is then freed (a variable shares, not copies, its data). */
export function ownedVariable(initial: Tensor, trainable = true): Variable {
  const owned = variable(initial, trainable);
  initial.dispose();
  return owned;
}

/** A new variable holding `indices` of `old` along axis 0 (gather: a repeated index is a copy); `old` is disposed. */
export function regather(old: Variable, indices: readonly number[]): Variable {
  const next = ownedVariable(
    tidy(() => gather(old, tensor1d([...indices], 'int32'))),
    old.trainable,
  );
  old.dispose();
  return next;
}
