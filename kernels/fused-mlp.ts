// AssemblyScript (compiled to WebAssembly with SIMD by `npm run gen`, see scripts/gen-kernels.mjs):
// the arithmetic of one training step of a dense network, for the fused trainer's wasm engine
// (src/train/fused/kernel/). No allocation here: the host lays out every buffer in this module's
// memory and passes byte offsets. Every elementwise op is a float32 op in the order tfjs-core
// 4.22 performs it (wasm has no fused multiply-add, so nothing is contracted); only the sums
// inside the matrix products run in another order than tfjs's kernels, within float32 noise.

/** Where the host may start laying out buffers: after this module's own static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

// ---------------------------------------------------------------------------------------------
// C[m×n] (=|+=) A[m×k] · B[k×n]. B and C are row-major with row stride n; A is read through
// element strides, A(i, p) = a[i·aRow + p·aCol], so Aᵀ is the same call with the strides swapped.
// Register blocks of 4 rows × 16 columns (16 f32x4 accumulators), then 4 × 4, then single columns.

@inline function at(base: usize, index: i32): usize {
  return base + ((<usize>index) << 2);
}

@inline function startBlock(c: usize, accumulate: bool): v128 {
  return accumulate ? v128.load(c) : f32x4.splat(0);
}

export function gemm(a: usize, aRow: i32, aCol: i32, b: usize, c: usize, m: i32, k: i32, n: i32, accumulate: bool): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = at(a, i * aRow);
    const a1 = at(a, (i + 1) * aRow);
    const a2 = at(a, (i + 2) * aRow);
    const a3 = at(a, (i + 3) * aRow);
    const r0 = at(c, i * n);
    const r1 = at(c, (i + 1) * n);
    const r2 = at(c, (i + 2) * n);
    const r3 = at(c, (i + 3) * n);
    let j = 0;
    for (; j + 16 <= n; j += 16) {
      const jb = (<usize>j) << 2;
      let c00 = startBlock(r0 + jb, accumulate), c01 = startBlock(r0 + jb + 16, accumulate), c02 = startBlock(r0 + jb + 32, accumulate), c03 = startBlock(r0 + jb + 48, accumulate);
      let c10 = startBlock(r1 + jb, accumulate), c11 = startBlock(r1 + jb + 16, accumulate), c12 = startBlock(r1 + jb + 32, accumulate), c13 = startBlock(r1 + jb + 48, accumulate);
      let c20 = startBlock(r2 + jb, accumulate), c21 = startBlock(r2 + jb + 16, accumulate), c22 = startBlock(r2 + jb + 32, accumulate), c23 = startBlock(r2 + jb + 48, accumulate);
      let c30 = startBlock(r3 + jb, accumulate), c31 = startBlock(r3 + jb + 16, accumulate), c32 = startBlock(r3 + jb + 32, accumulate), c33 = startBlock(r3 + jb + 48, accumulate);
      for (let p = 0; p < k; p++) {
        const bp = at(b, p * n + j);
        const b0 = v128.load(bp), b1 = v128.load(bp, 16), b2 = v128.load(bp, 32), b3 = v128.load(bp, 48);
        const ap = p * aCol;
        const x0 = f32x4.splat(load<f32>(at(a0, ap)));
        const x1 = f32x4.splat(load<f32>(at(a1, ap)));
        const x2 = f32x4.splat(load<f32>(at(a2, ap)));
        const x3 = f32x4.splat(load<f32>(at(a3, ap)));
        c00 = f32x4.add(c00, f32x4.mul(x0, b0)); c01 = f32x4.add(c01, f32x4.mul(x0, b1)); c02 = f32x4.add(c02, f32x4.mul(x0, b2)); c03 = f32x4.add(c03, f32x4.mul(x0, b3));
        c10 = f32x4.add(c10, f32x4.mul(x1, b0)); c11 = f32x4.add(c11, f32x4.mul(x1, b1)); c12 = f32x4.add(c12, f32x4.mul(x1, b2)); c13 = f32x4.add(c13, f32x4.mul(x1, b3));
        c20 = f32x4.add(c20, f32x4.mul(x2, b0)); c21 = f32x4.add(c21, f32x4.mul(x2, b1)); c22 = f32x4.add(c22, f32x4.mul(x2, b2)); c23 = f32x4.add(c23, f32x4.mul(x2, b3));
        c30 = f32x4.add(c30, f32x4.mul(x3, b0)); c31 = f32x4.add(c31, f32x4.mul(x3, b1)); c32 = f32x4.add(c32, f32x4.mul(x3, b2)); c33 = f32x4.add(c33, f32x4.mul(x3, b3));
      }
      v128.store(r0 + jb, c00); v128.store(r0 + jb, c01, 16); v128.store(r0 + jb, c02, 32); v128.store(r0 + jb, c03, 48);
      v128.store(r1 + jb, c10); v128.store(r1 + jb, c11, 16); v128.store(r1 + jb, c12, 32); v128.store(r1 + jb, c13, 48);
      v128.store(r2 + jb, c20); v128.store(r2 + jb, c21, 16); v128.store(r2 + jb, c22, 32); v128.store(r2 + jb, c23, 48);
      v128.store(r3 + jb, c30); v128.store(r3 + jb, c31, 16); v128.store(r3 + jb, c32, 32); v128.store(r3 + jb, c33, 48);
    }
    for (; j + 4 <= n; j += 4) {
      const jb = (<usize>j) << 2;
      let c0 = startBlock(r0 + jb, accumulate), c1 = startBlock(r1 + jb, accumulate), c2 = startBlock(r2 + jb, accumulate), c3 = startBlock(r3 + jb, accumulate);
      for (let p = 0; p < k; p++) {
        const bv = v128.load(at(b, p * n + j));
        const ap = p * aCol;
        c0 = f32x4.add(c0, f32x4.mul(f32x4.splat(load<f32>(at(a0, ap))), bv));
        c1 = f32x4.add(c1, f32x4.mul(f32x4.splat(load<f32>(at(a1, ap))), bv));
        c2 = f32x4.add(c2, f32x4.mul(f32x4.splat(load<f32>(at(a2, ap))), bv));
        c3 = f32x4.add(c3, f32x4.mul(f32x4.splat(load<f32>(at(a3, ap))), bv));
      }
      v128.store(r0 + jb, c0); v128.store(r1 + jb, c1); v128.store(r2 + jb, c2); v128.store(r3 + jb, c3);
    }
    for (; j < n; j++) {
      let s0: f32 = accumulate ? load<f32>(at(r0, j)) : 0;
      let s1: f32 = accumulate ? load<f32>(at(r1, j)) : 0;
      let s2: f32 = accumulate ? load<f32>(at(r2, j)) : 0;
      let s3: f32 = accumulate ? load<f32>(at(r3, j)) : 0;
      for (let p = 0; p < k; p++) {
        const bv = load<f32>(at(b, p * n + j));
        const ap = p * aCol;
        s0 += load<f32>(at(a0, ap)) * bv;
        s1 += load<f32>(at(a1, ap)) * bv;
        s2 += load<f32>(at(a2, ap)) * bv;
        s3 += load<f32>(at(a3, ap)) * bv;
      }
      store<f32>(at(r0, j), s0); store<f32>(at(r1, j), s1); store<f32>(at(r2, j), s2); store<f32>(at(r3, j), s3);
    }
  }
  for (; i < m; i++) {
    const ai = at(a, i * aRow);
    const r = at(c, i * n);
    let j = 0;
    for (; j + 16 <= n; j += 16) {
      const jb = (<usize>j) << 2;
      let c0 = startBlock(r + jb, accumulate), c1 = startBlock(r + jb + 16, accumulate), c2 = startBlock(r + jb + 32, accumulate), c3 = startBlock(r + jb + 48, accumulate);
      for (let p = 0; p < k; p++) {
        const bp = at(b, p * n + j);
        const x = f32x4.splat(load<f32>(at(ai, p * aCol)));
        c0 = f32x4.add(c0, f32x4.mul(x, v128.load(bp)));
        c1 = f32x4.add(c1, f32x4.mul(x, v128.load(bp, 16)));
        c2 = f32x4.add(c2, f32x4.mul(x, v128.load(bp, 32)));
        c3 = f32x4.add(c3, f32x4.mul(x, v128.load(bp, 48)));
      }
      v128.store(r + jb, c0); v128.store(r + jb, c1, 16); v128.store(r + jb, c2, 32); v128.store(r + jb, c3, 48);
    }
    for (; j + 4 <= n; j += 4) {
      const jb = (<usize>j) << 2;
      let c0 = startBlock(r + jb, accumulate);
      for (let p = 0; p < k; p++) c0 = f32x4.add(c0, f32x4.mul(f32x4.splat(load<f32>(at(ai, p * aCol))), v128.load(at(b, p * n + j))));
      v128.store(r + jb, c0);
    }
    for (; j < n; j++) {
      let s: f32 = accumulate ? load<f32>(at(r, j)) : 0;
      for (let p = 0; p < k; p++) s += load<f32>(at(ai, p * aCol)) * load<f32>(at(b, p * n + j));
      store<f32>(at(r, j), s);
    }
  }
}

/** dst[cols×rows] = src[rows×cols]ᵀ. */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) store<f32>(at(dst, j * rows + i), load<f32>(at(src, i * cols + j)));
  }
}

// ---------------------------------------------------------------------------------------------
// Activations. Codes shared with the host (src/train/fused/kernel/kernel-codes.ts).
const LINEAR = 0;
const RELU = 1;
const TANH = 2;
const SIGMOID = 3;

/** z[rows×cols] ← act(z + bias) in place, bias broadcast over rows (tfjs's dense: matMul, biasAdd, activation). */
export function biasActivate(z: usize, bias: usize, rows: i32, cols: i32, activation: i32): void {
  const zero = f32x4.splat(0);
  for (let i = 0; i < rows; i++) {
    const row = at(z, i * cols);
    let j = 0;
    if (activation == LINEAR || activation == RELU) {
      for (; j + 4 <= cols; j += 4) {
        const jb = (<usize>j) << 2;
        let v = f32x4.add(v128.load(row + jb), v128.load(bias + jb));
        if (activation == RELU) v = f32x4.max(v, zero);
        v128.store(row + jb, v);
      }
    }
    for (; j < cols; j++) {
      const v: f32 = load<f32>(at(row, j)) + load<f32>(at(bias, j));
      store<f32>(at(row, j), activate(v, activation));
    }
  }
}

@inline function activate(v: f32, activation: i32): f32 {
  if (activation == RELU) return v < 0 ? 0 : v; // NaN stays NaN, as tfjs's relu keeps it
  if (activation == TANH) return Mathf.tanh(v);
  if (activation == SIGMOID) return <f32>1 / (<f32>1 + Mathf.exp(-v));
  return v;
}

/**
 * dh[count] ← dh · act'(z), from the activation's OUTPUT h (tfjs's gradients: relu dy·step(x),
 * which is h > 0; tanh dy·(1 − y²); sigmoid dy·(y·(1 − y)), the product in tfjs's order).
 */
export function activationGrad(dh: usize, h: usize, count: i32, activation: i32): void {
  if (activation == LINEAR) return;
  let i = 0;
  if (activation == RELU) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= count; i += 4) {
      const ib = (<usize>i) << 2;
      v128.store(dh + ib, v128.and(v128.load(dh + ib), f32x4.gt(v128.load(h + ib), zero)));
    }
  }
  for (; i < count; i++) {
    const y = load<f32>(at(h, i));
    const d = load<f32>(at(dh, i));
    let g: f32 = d;
    if (activation == RELU) g = y > 0 ? d : 0;
    else if (activation == TANH) g = d * (<f32>1 - y * y);
    else if (activation == SIGMOID) g = d * (y * (<f32>1 - y)); // Sigmoid_grad.js: mul(dy, mul(y, sub(1, y)))
    store<f32>(at(dh, i), g);
  }
}

/** out[cols] (=|+=) the column sums of dz[rows×cols]: a bias gradient. */
export function columnSums(dz: usize, rows: i32, cols: i32, out: usize): void {
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    let s = f32x4.splat(0);
    for (let i = 0; i < rows; i++) s = f32x4.add(s, v128.load(at(dz, i * cols + j)));
    v128.store(at(out, j), s);
  }
  for (; j < cols; j++) {
    let s: f32 = 0;
    for (let i = 0; i < rows; i++) s += load<f32>(at(dz, i * cols + j));
    store<f32>(at(out, j), s);
  }
}

// ---------------------------------------------------------------------------------------------
// Losses (tfjs-layers' meanSquaredError / meanAbsoluteError: the mean over the target columns,
// then over the rows). Each returns the mean loss of the rows and, when grad ≠ 0, writes the
// gradient of that mean with respect to pred. Both means are tfjs-backend-wasm's Mean: a float32
// sum in order, then one float32 division. The gradient runs back through them as tfjs-core's
// Mean_grad.js does, a division each (1/rows, then /cols), then Square_grad.js dy·(x·2) or
// Abs_grad.js dy·step(x, −1), which is −dy at a residual of exactly 0.
const MEAN_SQUARED_ERROR = 0;
const MEAN_ABSOLUTE_ERROR = 1;

export function loss(kind: i32, pred: usize, target: usize, rows: i32, cols: i32, grad: usize): f32 {
  const scale: f32 = <f32>1 / <f32>rows / <f32>cols;
  let total: f32 = 0;
  for (let i = 0; i < rows; i++) {
    let rowTotal: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const index = i * cols + j;
      const diff: f32 = load<f32>(at(pred, index)) - load<f32>(at(target, index));
      rowTotal += kind == MEAN_SQUARED_ERROR ? diff * diff : Mathf.abs(diff);
      if (grad != 0) {
        const g: f32 = kind == MEAN_SQUARED_ERROR ? diff * <f32>2 : diff > 0 ? <f32>1 : isNaN(diff) ? diff : <f32>-1;
        store<f32>(at(grad, index), scale * g);
      }
    }
    total += rowTotal / <f32>cols;
  }
  return total / <f32>rows;
}

// ---------------------------------------------------------------------------------------------
// Optimizer updates over `count` weights, tfjs-core 4.22's (dist/optimizers/*_optimizer.js) op
// by op. Scalars come from the host already rounded to float32. f32x4 lanes round exactly as
// scalar f32 ops do, so the vector body and the scalar tail agree bit for bit.

/** sgd: w ← c·g + w, c = −lr. */
export function sgd(w: usize, g: usize, count: i32, negLr: f32): void {
  const c = f32x4.splat(negLr);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const ib = (<usize>i) << 2;
    v128.store(w + ib, f32x4.add(f32x4.mul(c, v128.load(g + ib)), v128.load(w + ib)));
  }
  for (; i < count; i++) store<f32>(at(w, i), negLr * load<f32>(at(g, i)) + load<f32>(at(w, i)));
}

/** momentum: a ← μ·a + g; w ← c·a + w. */
export function momentum(w: usize, g: usize, acc: usize, count: i32, mu: f32, negLr: f32): void {
  const c = f32x4.splat(negLr);
  const m = f32x4.splat(mu);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const ib = (<usize>i) << 2;
    const a = f32x4.add(f32x4.mul(m, v128.load(acc + ib)), v128.load(g + ib));
    v128.store(acc + ib, a);
    v128.store(w + ib, f32x4.add(f32x4.mul(c, a), v128.load(w + ib)));
  }
  for (; i < count; i++) {
    const a: f32 = mu * load<f32>(at(acc, i)) + load<f32>(at(g, i));
    store<f32>(at(acc, i), a);
    store<f32>(at(w, i), negLr * a + load<f32>(at(w, i)));
  }
}

/** adam: m ← m·β₁ + g·(1−β₁); v ← v·β₂ + g²·(1−β₂); w ← (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε) · c + w. */
export function adam(w: usize, g: usize, m: usize, v: usize, count: i32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, oneMinusAccBeta1: f32, oneMinusAccBeta2: f32, epsilon: f32, negLr: f32): void {
  const b1 = f32x4.splat(beta1), c1 = f32x4.splat(oneMinusBeta1), b2 = f32x4.splat(beta2), c2 = f32x4.splat(oneMinusBeta2);
  const d1 = f32x4.splat(oneMinusAccBeta1), d2 = f32x4.splat(oneMinusAccBeta2), eps = f32x4.splat(epsilon), c = f32x4.splat(negLr);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const ib = (<usize>i) << 2;
    const gi = v128.load(g + ib);
    const mi = f32x4.add(f32x4.mul(v128.load(m + ib), b1), f32x4.mul(gi, c1));
    const vi = f32x4.add(f32x4.mul(v128.load(v + ib), b2), f32x4.mul(f32x4.mul(gi, gi), c2));
    v128.store(m + ib, mi);
    v128.store(v + ib, vi);
    const step = f32x4.div(f32x4.div(mi, d1), f32x4.add(f32x4.sqrt(f32x4.div(vi, d2)), eps));
    v128.store(w + ib, f32x4.add(f32x4.mul(step, c), v128.load(w + ib)));
  }
  for (; i < count; i++) {
    const gi = load<f32>(at(g, i));
    const mi: f32 = load<f32>(at(m, i)) * beta1 + gi * oneMinusBeta1;
    const vi: f32 = load<f32>(at(v, i)) * beta2 + gi * gi * oneMinusBeta2;
    store<f32>(at(m, i), mi);
    store<f32>(at(v, i), vi);
    const step: f32 = mi / oneMinusAccBeta1 / (Mathf.sqrt(vi / oneMinusAccBeta2) + epsilon);
    store<f32>(at(w, i), step * negLr + load<f32>(at(w, i)));
  }
}

/** rmsprop (not centered): s ← s·ρ + g²·(1−ρ); a ← a·μ + (g·lr)/√(s + ε); w ← w − a. */
export function rmsprop(w: usize, g: usize, s: usize, a: usize, count: i32, rho: f32, oneMinusRho: f32, mu: f32, epsilon: f32, lr: f32): void {
  for (let i = 0; i < count; i++) {
    const gi = load<f32>(at(g, i));
    const si: f32 = load<f32>(at(s, i)) * rho + gi * gi * oneMinusRho;
    const ai: f32 = load<f32>(at(a, i)) * mu + (gi * lr) / Mathf.sqrt(si + epsilon);
    store<f32>(at(s, i), si);
    store<f32>(at(a, i), ai);
    store<f32>(at(w, i), load<f32>(at(w, i)) - ai);
  }
}

/** adagrad: a ← a + g²; w ← (g / √(a + ε)) · c + w. */
export function adagrad(w: usize, g: usize, acc: usize, count: i32, epsilon: f32, negLr: f32): void {
  for (let i = 0; i < count; i++) {
    const gi = load<f32>(at(g, i));
    const ai: f32 = load<f32>(at(acc, i)) + gi * gi;
    store<f32>(at(acc, i), ai);
    store<f32>(at(w, i), (gi / Mathf.sqrt(ai + epsilon)) * negLr + load<f32>(at(w, i)));
  }
}

/** adadelta: u = √(U + ε)/√(G + ε)·g with the previous G; G ← G·ρ + g²·(1−ρ); U ← U·ρ + u²·(1−ρ); w ← u·c + w. */
export function adadelta(w: usize, g: usize, accGrad: usize, accUpdate: usize, count: i32, rho: f32, oneMinusRho: f32, epsilon: f32, negLr: f32): void {
  for (let i = 0; i < count; i++) {
    const gi = load<f32>(at(g, i));
    const oldGrad = load<f32>(at(accGrad, i));
    const oldUpdate = load<f32>(at(accUpdate, i));
    const newGrad: f32 = oldGrad * rho + gi * gi * oneMinusRho;
    const update: f32 = (Mathf.sqrt(oldUpdate + epsilon) / Mathf.sqrt(oldGrad + epsilon)) * gi;
    store<f32>(at(accGrad, i), newGrad);
    store<f32>(at(accUpdate, i), oldUpdate * rho + update * update * oneMinusRho);
    store<f32>(at(w, i), update * negLr + load<f32>(at(w, i)));
  }
}

/** adamax: m ← m·β₁ + g·(1−β₁); u ← max(u·β₂, |g|); w ← scale · (m / (u + ε)) + w, scale = (c / 1) / (1 − β₁ᵗ). */
export function adamax(w: usize, g: usize, m: usize, u: usize, count: i32, beta1: f32, oneMinusBeta1: f32, beta2: f32, epsilon: f32, scale: f32): void {
  for (let i = 0; i < count; i++) {
    const gi = load<f32>(at(g, i));
    const mi: f32 = load<f32>(at(m, i)) * beta1 + gi * oneMinusBeta1;
    const ui: f32 = Mathf.max(load<f32>(at(u, i)) * beta2, Mathf.abs(gi));
    store<f32>(at(m, i), mi);
    store<f32>(at(u, i), ui);
    store<f32>(at(w, i), scale * (mi / (ui + epsilon)) + load<f32>(at(w, i)));
  }
}

// Dropout and batch normalization live in their own file, compiled into this module (one memory).
export { scaleByMask, batchNormTrain, batchNormInfer, batchNormBackward } from './regularization-layers';
export { binaryCrossentropy } from './classification-losses';
export { im2col, col2im, maxPoolForward, maxPoolBackward, averagePoolForward, averagePoolBackward } from './conv-layers';
export { softmaxRows, softmaxGrad, categoricalCrossentropy, accuracy } from './softmax-classification';
export { l1l2Penalty, addL1L2Grad } from './weight-penalties';
export { layerNormForward, layerNormBackward } from './layer-normalization';
