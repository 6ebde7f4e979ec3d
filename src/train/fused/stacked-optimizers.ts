// tfjs-core 4.22's optimizers (dist/optimizers/*_optimizer.js), rewritten for stacked variables
// ([K, …], member m's slice is its weights) with one learning rate per member. Each update is
// the same sequence of elementwise float32 ops as tfjs's, with the scalar `learningRate` replaced
// by a [K, 1, 1] tensor, so member m's slice moves exactly as its single-trial model would.
// Slots are created lazily on the first step, as tfjs does; the optimizer constants are tfjs's
// defaults as src/train/optimizers.ts builds them (momentum 0.9 from MOMENTUM).
import {
  abs,
  add,
  backend,
  dispose,
  div,
  fill,
  keep,
  maximum,
  mul,
  scalar,
  sqrt,
  square,
  sub,
  tensor3d,
  tidy,
  zerosLike,
  type Tensor,
  type Variable,
} from '@tensorflow/tfjs-core';
import type { OptimizerName } from '../../trial/types.js';
import { MOMENTUM } from '../optimizers.js';
import { ownedVariable, regather } from './stacked-mlp.js';

export interface StackedOptimizer {
  /** One step: `gradients[i]` updates `variables[i]` in place (same order, same shapes). */
  applyGradients(variables: readonly Variable[], gradients: readonly Tensor[]): void;
  /** Member m's learning rate from the next step on (float32 values, as the single trial holds them). */
  setLearningRates(rates: readonly number[]): void;
  /** New member i takes current member `indices[i]`'s state (a repeated index copies it); the others' state is freed. */
  keepMembers(indices: readonly number[]): void;
  dispose(): void;
}

abstract class StackedOptimizerBase implements StackedOptimizer {
  private rates: Float32Array;
  private readonly rateTensors = new Map<1 | -1, Tensor>();
  private readonly slots = new Map<string, Variable[]>();

  constructor(rates: readonly number[]) {
    this.rates = Float32Array.from(rates);
  }

  abstract applyGradients(variables: readonly Variable[], gradients: readonly Tensor[]): void;

  setLearningRates(rates: readonly number[]): void {
    if (rates.length !== this.rates.length) throw new RangeError(`expected ${this.rates.length} learning rates, got ${rates.length}`);
    this.rates = Float32Array.from(rates);
    this.dropRateTensors();
  }

  keepMembers(indices: readonly number[]): void {
    for (const [kind, variables] of this.slots) this.slots.set(kind, variables.map((slot) => regather(slot, indices)));
    this.rates = Float32Array.from(indices, (m) => this.rates[m] ?? Number.NaN);
    this.dropRateTensors();
  }

  dispose(): void {
    for (const variables of this.slots.values()) dispose(variables);
    this.slots.clear();
    this.dropRateTensors();
    this.disposeShared();
  }

  /** Scalars shared by all members (beta powers, iteration counts): every member has taken the same steps. */
  protected disposeShared(): void {}

  /** [K, 1, 1]: `sign` × member m's rate, broadcasting over a rank-3 stacked variable. */
  protected rate(sign: 1 | -1): Tensor {
    let cached = this.rateTensors.get(sign);
    if (cached === undefined) {
      const values = Float32Array.from(this.rates, (r) => sign * r);
      // Kept: this is called inside a step's tidy, but the optimizer owns the tensor until the rates change.
      cached = keep(tensor3d(values, [values.length, 1, 1]));
      this.rateTensors.set(sign, cached);
    }
    return cached;
  }

  /** The optimizer's `kind` slot for variable `index`, created on first use like tfjs does. */
  protected slot(kind: string, index: number, like: Variable, initial = 0): Variable {
    let variables = this.slots.get(kind);
    if (variables === undefined) {
      variables = [];
      this.slots.set(kind, variables);
    }
    let existing = variables[index];
    if (existing === undefined) {
      existing = ownedVariable(initial === 0 ? zerosLike(like) : fill(like.shape, initial), false);
      variables[index] = existing;
    }
    return existing;
  }

  private dropRateTensors(): void {
    for (const tensor of this.rateTensors.values()) tensor.dispose();
    this.rateTensors.clear();
  }
}

function pairs(variables: readonly Variable[], gradients: readonly Tensor[]): [Variable, Tensor, number][] {
  if (variables.length !== gradients.length) throw new RangeError(`${variables.length} variables but ${gradients.length} gradients`);
  return variables.map((value, i) => [value, gradients[i] as Tensor, i]);
}

/** sgd_optimizer.js: value + c·g with c = −lr. */
class StackedSgd extends StackedOptimizerBase {
  applyGradients(variables: readonly Variable[], gradients: readonly Tensor[]): void {
    tidy(() => {
      const c = this.rate(-1);
      for (const [value, gradient] of pairs(variables, gradients)) value.assign(add(mul(c, gradient), value));
    });
  }
}

/** momentum_optimizer.js (no Nesterov): a ← m·a + g; value + c·a. */
class StackedMomentum extends StackedOptimizerBase {
  applyGradients(variables: readonly Variable[], gradients: readonly Tensor[]): void {
    tidy(() => {
      const c = this.rate(-1);
      for (const [value, gradient, i] of pairs(variables, gradients)) {
        const accumulation = this.slot('momentum', i, value);
        const newAccumulation = add(mul(MOMENTUM, accumulation), gradient);
        accumulation.assign(newAccumulation);
        value.assign(add(mul(c, newAccumulation), value));
      }
    });
  }
}

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;

/** adam_optimizer.js, with the accumulated beta powers shared by the bundle. */
class StackedAdam extends StackedOptimizerBase {
  private readonly epsilon = backend().epsilon();
  private readonly accBeta1 = ownedVariable(scalar(ADAM_BETA1));
  private readonly accBeta2 = ownedVariable(scalar(ADAM_BETA2));

  applyGradients(variables: readonly Variable[], gradients: readonly Tensor[]): void {
    tidy(() => {
      const oneMinusAccBeta1 = sub(1, this.accBeta1);
      const oneMinusAccBeta2 = sub(1, this.accBeta2);
      const negLr = this.rate(-1);
      for (const [value, gradient, i] of pairs(variables, gradients)) {
        const firstMoment = this.slot('m', i, value);
        const secondMoment = this.slot('v', i, value);
        const newFirstMoment = add(mul(firstMoment, ADAM_BETA1), mul(gradient, 1 - ADAM_BETA1));
        const newSecondMoment = add(mul(secondMoment, ADAM_BETA2), mul(square(gradient), 1 - ADAM_BETA2));
        const biasCorrectedFirstMoment = div(newFirstMoment, oneMinusAccBeta1);
        const biasCorrectedSecondMoment = div(newSecondMoment, oneMinusAccBeta2);
        firstMoment.assign(newFirstMoment);
        secondMoment.assign(newSecondMoment);
        value.assign(add(mul(div(biasCorrectedFirstMoment, add(sqrt(biasCorrectedSecondMoment), this.epsilon)), negLr), value));
      }
      this.accBeta1.assign(mul(this.accBeta1, ADAM_BETA1));
      this.accBeta2.assign(mul(this.accBeta2, ADAM_BETA2));
    });
  }

  protected override disposeShared(): void {
    dispose([this.accBeta1, this.accBeta2]);
  }
}

const RMSPROP_DECAY = 0.9;
const RMSPROP_MOMENTUM = 0;

/** rmsprop_optimizer.js, not centered (tfjs's default). */
class StackedRmsProp extends StackedOptimizerBase {
  private readonly epsilon = backend().epsilon();

  applyGradients(variables: readonly Variable[], gradients: readonly Tensor[]): void {
    tidy(() => {
      const lr = this.rate(1);
      for (const [value, gradient, i] of pairs(variables, gradients)) {
        const accumulatedMeanSquare = this.slot('rms', i, value);
        const accumulatedMoments = this.slot('momentum', i, value);
        const newAccumulatedMeanSquare = add(mul(accumulatedMeanSquare, RMSPROP_DECAY), mul(square(gradient), 1 - RMSPROP_DECAY));
        const newAccumulatedMoments = add(
          mul(accumulatedMoments, RMSPROP_MOMENTUM),
          div(mul(gradient, lr), sqrt(add(newAccumulatedMeanSquare, this.epsilon))),
        );
        accumulatedMeanSquare.assign(newAccumulatedMeanSquare);
        accumulatedMoments.assign(newAccumulatedMoments);
        value.assign(sub(value, newAccumulatedMoments));
      }
    });
  }
}

const ADAGRAD_INITIAL_ACCUMULATOR = 0.1;

/** adagrad_optimizer.js; its epsilon is read from the backend on every step, as there. */
class StackedAdagrad extends StackedOptimizerBase {
  applyGradients(variables: readonly Variable[], gradients: readonly Tensor[]): void {
    tidy(() => {
      const negLr = this.rate(-1);
      for (const [value, gradient, i] of pairs(variables, gradients)) {
        const accumulatedGrad = this.slot('accumulator', i, value, ADAGRAD_INITIAL_ACCUMULATOR);
        const newAccumulatedGrad = add(accumulatedGrad, square(gradient));
        accumulatedGrad.assign(newAccumulatedGrad);
        value.assign(add(mul(div(gradient, sqrt(add(newAccumulatedGrad, backend().epsilon()))), negLr), value));
      }
    });
  }
}

const ADADELTA_RHO = 0.95;

/** adadelta_optimizer.js, including its use of the PREVIOUS squared-gradient average in the update. */
class StackedAdadelta extends StackedOptimizerBase {
  private readonly epsilon = backend().epsilon();

  applyGradients(variables: readonly Variable[], gradients: readonly Tensor[]): void {
    tidy(() => {
      const negLr = this.rate(-1);
      for (const [value, gradient, i] of pairs(variables, gradients)) {
        const accumulatedGrad = this.slot('accum_grad', i, value);
        const accumulatedUpdate = this.slot('accum_var', i, value);
        const newAccumulatedGrad = add(mul(accumulatedGrad, ADADELTA_RHO), mul(square(gradient), 1 - ADADELTA_RHO));
        const updates = mul(div(sqrt(add(accumulatedUpdate, this.epsilon)), sqrt(add(accumulatedGrad, this.epsilon))), gradient);
        const newAccumulatedUpdate = add(mul(accumulatedUpdate, ADADELTA_RHO), mul(square(updates), 1 - ADADELTA_RHO));
        accumulatedGrad.assign(newAccumulatedGrad);
        accumulatedUpdate.assign(newAccumulatedUpdate);
        value.assign(add(mul(updates, negLr), value));
      }
    });
  }
}

const ADAMAX_BETA1 = 0.9;
const ADAMAX_BETA2 = 0.999;
const ADAMAX_DECAY = 0;

/** adamax_optimizer.js, with the iteration count and beta power shared by the bundle. */
class StackedAdamax extends StackedOptimizerBase {
  private readonly epsilon = backend().epsilon();
  private readonly iteration = ownedVariable(scalar(0));
  private readonly accBeta1 = ownedVariable(scalar(ADAMAX_BETA1));

  applyGradients(variables: readonly Variable[], gradients: readonly Tensor[]): void {
    tidy(() => {
      const oneMinusAccBeta1 = sub(1, this.accBeta1);
      const lr = div(this.rate(-1), add(mul(this.iteration, ADAMAX_DECAY), 1));
      for (const [value, gradient, i] of pairs(variables, gradients)) {
        const firstMoment = this.slot('m', i, value);
        const weightedInfNorm = this.slot('v', i, value);
        const newFirstMoment = add(mul(firstMoment, ADAMAX_BETA1), mul(gradient, 1 - ADAMAX_BETA1));
        const newWeightedInfNorm = maximum(mul(weightedInfNorm, ADAMAX_BETA2), abs(gradient));
        firstMoment.assign(newFirstMoment);
        weightedInfNorm.assign(newWeightedInfNorm);
        value.assign(add(mul(div(lr, oneMinusAccBeta1), div(newFirstMoment, add(newWeightedInfNorm, this.epsilon))), value));
      }
      this.iteration.assign(add(this.iteration, 1));
      this.accBeta1.assign(mul(this.accBeta1, ADAMAX_BETA1));
    });
  }

  protected override disposeShared(): void {
    dispose([this.iteration, this.accBeta1]);
  }
}

/** A stacked `name` optimizer for K members at `rates` (float32 learning rates, one per member). */
export function createStackedOptimizer(name: OptimizerName, rates: readonly number[]): StackedOptimizer {
  switch (name) {
    case 'sgd':
      return new StackedSgd(rates);
    case 'momentum':
      return new StackedMomentum(rates);
    case 'adam':
      return new StackedAdam(rates);
    case 'rmsprop':
      return new StackedRmsProp(rates);
    case 'adagrad':
      return new StackedAdagrad(rates);
    case 'adadelta':
      return new StackedAdadelta(rates);
    case 'adamax':
      return new StackedAdamax(rates);
  }
}
