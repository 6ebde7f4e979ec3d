// Matrix products of K stacked dense layers, [K, B, in] × [K, in, out] → [K, B, out], in one of
// two plans chosen per backend:
// - 'batched': one batched matMul (autodiff as usual). On the cpu backend this rounds exactly
//   as K separate 2-D products, so fused members match single trials bit for bit there.
// - 'gemm': for the wasm backend, whose batched matMul with more than one batch (or any
//   transpose flag) falls back to a scalar loop, while a single untransposed 2-D product runs on
//   XNNPACK several times faster. The layer fed by the shared input becomes ONE wide product
//   x · [W₁ … W_K] (columns concatenated); a large hidden layer becomes K 2-D products whose
//   gradients use explicitly transposed operands, so they take the fast path too; a one-unit
//   head is a broadcast product and a row sum. Same math, rounding within float32 noise.
import {
  backend,
  customGrad,
  matMul,
  mul,
  reshape,
  sum,
  stack,
  tensor2d,
  transpose,
  type GradSaveFunc,
  type Tensor,
  type Tensor2D,
  type Tensor3D,
} from '@tensorflow/tfjs-core';

export type MatMulPlan = 'batched' | 'gemm';

/** Below this many weights per member a hidden layer's K small products cost more in dispatch than the scalar loop does. */
const PER_MEMBER_MIN_WEIGHTS = 256;

function dims3(t: Tensor): [number, number, number] {
  const [a, b, c] = t.shape;
  if (a === undefined || b === undefined || c === undefined || t.rank !== 3) throw new RangeError(`expected a rank-3 tensor, got shape [${t.shape.join(', ')}]`);
  return [a, b, c];
}

/**
 * A zero-copy view of `t`'s float32 values in the wasm heap (BackendWasm.typedArrayFromHeap, what
 * its own kernels read inputs with), or undefined on another backend. Valid only until the next
 * allocation, which may grow (and so move) the heap: copy it out before making any tensor.
 */
function heapView(t: Tensor): Float32Array | undefined {
  const active = backend();
  const fromHeap: unknown = Reflect.get(active, 'typedArrayFromHeap');
  if (typeof fromHeap !== 'function') return undefined;
  const view: unknown = Reflect.apply(fromHeap, active, [t]);
  return view instanceof Float32Array ? view : undefined;
}

/** Host memory reused by memberMatrices (synchronous, so never shared by two calls at once). */
let scratch = new Float32Array(0);

/**
 * Member m's [rows, cols] matrix of a [K, rows, cols] tensor, for each m. Copied out once and
 * re-made from the host copy: the wasm slice kernel reads its whole input back (a fresh
 * allocation) for every slice, which made K slices cost far more than the K products.
 */
function memberMatrices(t: Tensor): Tensor2D[] {
  const [k, rows, cols] = dims3(t);
  const size = k * rows * cols;
  if (scratch.length < size) scratch = new Float32Array(size);
  const values = scratch;
  values.set(heapView(t) ?? t.dataSync());
  return Array.from({ length: k }, (_, m) => tensor2d(values.subarray(m * rows * cols, (m + 1) * rows * cols), [rows, cols]));
}

/** list[m], which exists by construction (one matrix per member). */
function memberOf<T>(list: readonly T[], m: number): T {
  const item = list[m];
  if (item === undefined) throw new RangeError(`no member ${m} among ${list.length}`);
  return item;
}

function isTensor(value: Tensor | GradSaveFunc | undefined): value is Tensor {
  return value !== undefined && typeof value !== 'function';
}

function isSave(value: Tensor | GradSaveFunc | undefined): value is GradSaveFunc {
  return typeof value === 'function';
}

/** x [B, in] (the same rows for every member) × w [K, in, out] → [K, B, out]. */
export function sharedInputMatMul(x: Tensor2D, w: Tensor3D, plan: MatMulPlan): Tensor3D {
  if (plan === 'batched') return matMul(x, w);
  const product = customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const weights = args[0];
    if (!isTensor(weights)) throw new TypeError('sharedInputMatMul: expected the weights tensor');
    const [k, inDim, outDim] = dims3(weights);
    const rows = x.shape[0];
    // [K, in, out] → [in, K·out]: member m's columns are m·out … (m+1)·out − 1.
    const wide = reshape(transpose(weights, [1, 0, 2]), [inDim, k * outDim]);
    const value = transpose(reshape(matMul(x, wide), [rows, k, outDim]), [1, 0, 2]) as Tensor3D;
    return {
      value,
      // x is the caller's batch, alive for the whole step; only the weights get a gradient.
      gradFunc: (dy: Tensor3D) => {
        const dyWide = reshape(transpose(dy, [1, 0, 2]), [rows, k * outDim]);
        const dwWide = matMul(transpose(x), dyWide);
        return transpose(reshape(dwWide, [inDim, k, outDim]), [1, 0, 2]);
      },
    };
  });
  return product(w) as Tensor3D;
}

/** a [K, B, in] × w [K, in, out] → [K, B, out], member by member. */
export function stackedMatMul(a: Tensor3D, w: Tensor3D, plan: MatMulPlan): Tensor3D {
  const [k, inDim, outDim] = dims3(w);
  if (plan === 'batched') return matMul(a, w);
  // One output unit (a regression head): a broadcast product and a row sum, both fast on wasm.
  if (outDim === 1) return sum(mul(a, reshape(w, [k, 1, inDim])), -1, true);
  if (inDim * outDim < PER_MEMBER_MIN_WEIGHTS) return matMul(a, w);
  const product = customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const [inputs, weights, save] = args;
    if (!isTensor(inputs) || !isTensor(weights) || !isSave(save)) throw new TypeError('stackedMatMul: expected (inputs, weights, save)');
    save([inputs, weights]);
    const weightSlices = memberMatrices(weights);
    const value = stack(memberMatrices(inputs).map((rows, m) => matMul(rows, memberOf(weightSlices, m)))) as Tensor3D;
    return {
      value,
      gradFunc: (dy: Tensor3D, saved: Tensor[]) => {
        const [savedInputs, savedWeights] = saved;
        if (savedInputs === undefined || savedWeights === undefined) throw new TypeError('stackedMatMul: saved tensors missing');
        const dySlices = memberMatrices(dy);
        const inputsT = memberMatrices(transpose(savedInputs, [0, 2, 1]));
        const weightsT = memberMatrices(transpose(savedWeights, [0, 2, 1]));
        const dInputs = stack(dySlices.map((d, m) => matMul(d, memberOf(weightsT, m))));
        const dWeights = stack(dySlices.map((d, m) => matMul(memberOf(inputsT, m), d)));
        return [dInputs, dWeights];
      },
    };
  });
  return product(a, w) as Tensor3D;
}
