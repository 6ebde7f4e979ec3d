// AssemblyScript (compiled into the fused-mlp kernel, which re-exports these, so they share its
// memory): the forward and backward arithmetic of dropout and batch normalization for the fused
// trainer's wasm engine (src/train/fused/kernel/). As in fused-mlp.ts the host lays out every
// buffer and passes byte offsets; nothing here allocates. Elementwise ops are float32 ops; sums
// (the batch mean and variance, the parameter gradients) run in f64 and round once, within
// float32 noise of tfjs's reductions.

@inline function cell(base: usize, index: i32): usize {
  return base + ((<usize>index) << 2);
}

/**
 * out[count] ← h · mask (out may be h). The mask holds tfjs's dropout multipliers (0 or
 * 1/keepProb), drawn by the host; the same call on dy is the backward pass (d input = dy · multiplier).
 */
export function scaleByMask(h: usize, mask: usize, out: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const ib = (<usize>i) << 2;
    v128.store(out + ib, f32x4.mul(v128.load(h + ib), v128.load(mask + ib)));
  }
  for (; i < count; i++) store<f32>(cell(out, i), load<f32>(cell(h, i)) * load<f32>(cell(mask, i)));
}

/**
 * Batch normalization in training, tfjs-layers' BatchNormalization (axis −1) on x[rows×cols]:
 * the batch's mean and (biased) variance per column, out = γ·(x − mean)/√(var + ε) + β, and the
 * moving statistics stepped as tfjs-layers does, m ← m − (m − batch)·decay (decay = 1 − momentum).
 * Keeps x̂ = (x − mean)/√(var + ε) in xhat[rows×cols] and 1/√(var + ε) in invStd[cols] for the
 * backward pass. out may not alias x.
 */
export function batchNormTrain(x: usize, out: usize, xhat: usize, invStd: usize, rows: i32, cols: i32, gamma: usize, beta: usize, movingMean: usize, movingVariance: usize, decay: f32, epsilon: f32): void {
  const n = <f64>rows;
  for (let j = 0; j < cols; j++) {
    let sum: f64 = 0;
    for (let i = 0; i < rows; i++) sum += <f64>load<f32>(cell(x, i * cols + j));
    const mean = <f32>(sum / n);
    let squares: f64 = 0;
    for (let i = 0; i < rows; i++) {
      const d: f32 = load<f32>(cell(x, i * cols + j)) - mean;
      squares += <f64>(d * d);
    }
    const variance = <f32>(squares / n);
    const inv: f32 = <f32>1 / Mathf.sqrt(variance + epsilon);
    store<f32>(cell(invStd, j), inv);
    const g = load<f32>(cell(gamma, j));
    const b = load<f32>(cell(beta, j));
    for (let i = 0; i < rows; i++) {
      const index = i * cols + j;
      const normalized: f32 = (load<f32>(cell(x, index)) - mean) * inv;
      store<f32>(cell(xhat, index), normalized);
      store<f32>(cell(out, index), normalized * g + b);
    }
    const oldMean = load<f32>(cell(movingMean, j));
    store<f32>(cell(movingMean, j), oldMean - (oldMean - mean) * decay);
    const oldVariance = load<f32>(cell(movingVariance, j));
    store<f32>(cell(movingVariance, j), oldVariance - (oldVariance - variance) * decay);
  }
}

/** Batch normalization at inference, out[rows×cols] (may be x) ← γ·(x − moving mean)/√(moving var + ε) + β. */
export function batchNormInfer(x: usize, out: usize, rows: i32, cols: i32, gamma: usize, beta: usize, movingMean: usize, movingVariance: usize, epsilon: f32): void {
  for (let j = 0; j < cols; j++) {
    const inv: f32 = <f32>1 / Mathf.sqrt(load<f32>(cell(movingVariance, j)) + epsilon);
    const mean = load<f32>(cell(movingMean, j));
    const g = load<f32>(cell(gamma, j));
    const b = load<f32>(cell(beta, j));
    for (let i = 0; i < rows; i++) {
      const index = i * cols + j;
      store<f32>(cell(out, index), (load<f32>(cell(x, index)) - mean) * inv * g + b);
    }
  }
}

/**
 * The backward pass of batchNormTrain, dy[rows×cols] → d x in place (the batch statistics
 * depend on x, so every row's gradient sees the whole column):
 * dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·invStd/n · (n·dy − dβ − x̂·dγ). Writes dγ and dβ to dGamma, dBeta.
 */
export function batchNormBackward(dy: usize, xhat: usize, invStd: usize, gamma: usize, rows: i32, cols: i32, dGamma: usize, dBeta: usize): void {
  const n = <f32>rows;
  for (let j = 0; j < cols; j++) {
    let sumDy: f64 = 0;
    let sumDyXhat: f64 = 0;
    for (let i = 0; i < rows; i++) {
      const index = i * cols + j;
      const d = <f64>load<f32>(cell(dy, index));
      sumDy += d;
      sumDyXhat += d * <f64>load<f32>(cell(xhat, index));
    }
    const dBetaJ = <f32>sumDy;
    const dGammaJ = <f32>sumDyXhat;
    store<f32>(cell(dBeta, j), dBetaJ);
    store<f32>(cell(dGamma, j), dGammaJ);
    const scale: f32 = (load<f32>(cell(gamma, j)) * load<f32>(cell(invStd, j))) / n;
    for (let i = 0; i < rows; i++) {
      const index = i * cols + j;
      const d = load<f32>(cell(dy, index));
      store<f32>(cell(dy, index), scale * (n * d - dBetaJ - load<f32>(cell(xhat, index)) * dGammaJ));
    }
  }
}
