// AssemblyScript (compiled into the fused-mlp kernel, which re-exports these, so they share its
// memory): the forward and backward arithmetic of dropout and batch normalization for the fused
// trainer's wasm engine (src/train/fused/kernel/). As in fused-mlp.ts the host lays out every
// buffer and passes byte offsets; nothing here allocates. All arithmetic is float32, four
// columns at a time where it can; the sums (batch mean and variance, parameter gradients) run
// row by row, within float32 noise of tfjs's reductions.

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
 * stats holds 3·cols floats: the batch mean, the batch variance, and 1/√(var + ε) (which the
 * backward pass reads, with x̂ = (x − mean)/√(var + ε) kept in xhat[rows×cols]). Row by row,
 * four columns at a time; float32 sums, as tfjs's reductions. out may not alias x.
 */
export function batchNormTrain(x: usize, out: usize, xhat: usize, stats: usize, rows: i32, cols: i32, gamma: usize, beta: usize, movingMean: usize, movingVariance: usize, decay: f32, epsilon: f32): void {
  const mean = stats;
  const variance = cell(stats, cols);
  const invStd = cell(stats, 2 * cols);
  const scale: f32 = <f32>1 / <f32>rows;
  memory.fill(mean, 0, (<usize>cols) << 3);
  for (let i = 0; i < rows; i++) addRow(mean, cell(x, i * cols), cols);
  scaleRow(mean, cols, scale);
  for (let i = 0; i < rows; i++) addSquaredDeviations(variance, cell(x, i * cols), mean, cols);
  scaleRow(variance, cols, scale);
  for (let j = 0; j < cols; j++) {
    const v = load<f32>(cell(variance, j));
    store<f32>(cell(invStd, j), <f32>1 / Mathf.sqrt(v + epsilon));
    const m = load<f32>(cell(mean, j));
    const oldMean = load<f32>(cell(movingMean, j));
    store<f32>(cell(movingMean, j), oldMean - (oldMean - m) * decay);
    const oldVariance = load<f32>(cell(movingVariance, j));
    store<f32>(cell(movingVariance, j), oldVariance - (oldVariance - v) * decay);
  }
  for (let i = 0; i < rows; i++) normalizeRow(cell(x, i * cols), cell(xhat, i * cols), cell(out, i * cols), mean, invStd, gamma, beta, cols);
}

/** acc[cols] += row[cols]. */
@inline function addRow(acc: usize, row: usize, cols: i32): void {
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const jb = (<usize>j) << 2;
    v128.store(acc + jb, f32x4.add(v128.load(acc + jb), v128.load(row + jb)));
  }
  for (; j < cols; j++) store<f32>(cell(acc, j), load<f32>(cell(acc, j)) + load<f32>(cell(row, j)));
}

/** acc[cols] += (row − mean)². */
@inline function addSquaredDeviations(acc: usize, row: usize, mean: usize, cols: i32): void {
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const jb = (<usize>j) << 2;
    const d = f32x4.sub(v128.load(row + jb), v128.load(mean + jb));
    v128.store(acc + jb, f32x4.add(v128.load(acc + jb), f32x4.mul(d, d)));
  }
  for (; j < cols; j++) {
    const d: f32 = load<f32>(cell(row, j)) - load<f32>(cell(mean, j));
    store<f32>(cell(acc, j), load<f32>(cell(acc, j)) + d * d);
  }
}

/** v[cols] ← v · factor. */
@inline function scaleRow(v: usize, cols: i32, factor: f32): void {
  for (let j = 0; j < cols; j++) store<f32>(cell(v, j), load<f32>(cell(v, j)) * factor);
}

/** x̂ = (x − mean)·invStd; out = x̂·γ + β, one row. */
@inline function normalizeRow(row: usize, xhatRow: usize, outRow: usize, mean: usize, invStd: usize, gamma: usize, beta: usize, cols: i32): void {
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const jb = (<usize>j) << 2;
    const normalized = f32x4.mul(f32x4.sub(v128.load(row + jb), v128.load(mean + jb)), v128.load(invStd + jb));
    v128.store(xhatRow + jb, normalized);
    v128.store(outRow + jb, f32x4.add(f32x4.mul(normalized, v128.load(gamma + jb)), v128.load(beta + jb)));
  }
  for (; j < cols; j++) {
    const normalized: f32 = (load<f32>(cell(row, j)) - load<f32>(cell(mean, j))) * load<f32>(cell(invStd, j));
    store<f32>(cell(xhatRow, j), normalized);
    store<f32>(cell(outRow, j), normalized * load<f32>(cell(gamma, j)) + load<f32>(cell(beta, j)));
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
 * depend on x, so every row's gradient sees the whole column), from the x̂ and stats it kept:
 * dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·invStd/n · (n·dy − dβ − x̂·dγ). Writes dγ and dβ to dGamma, dBeta.
 */
export function batchNormBackward(dy: usize, xhat: usize, stats: usize, gamma: usize, rows: i32, cols: i32, dGamma: usize, dBeta: usize): void {
  const invStd = cell(stats, 2 * cols);
  const n = <f32>rows;
  memory.fill(dBeta, 0, (<usize>cols) << 2);
  memory.fill(dGamma, 0, (<usize>cols) << 2);
  for (let i = 0; i < rows; i++) {
    const dyRow = cell(dy, i * cols);
    const xhatRow = cell(xhat, i * cols);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const jb = (<usize>j) << 2;
      const d = v128.load(dyRow + jb);
      v128.store(dBeta + jb, f32x4.add(v128.load(dBeta + jb), d));
      v128.store(dGamma + jb, f32x4.add(v128.load(dGamma + jb), f32x4.mul(d, v128.load(xhatRow + jb))));
    }
    for (; j < cols; j++) {
      const d = load<f32>(cell(dyRow, j));
      store<f32>(cell(dBeta, j), load<f32>(cell(dBeta, j)) + d);
      store<f32>(cell(dGamma, j), load<f32>(cell(dGamma, j)) + d * load<f32>(cell(xhatRow, j)));
    }
  }
  const nv = f32x4.splat(n);
  for (let i = 0; i < rows; i++) {
    const dyRow = cell(dy, i * cols);
    const xhatRow = cell(xhat, i * cols);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const jb = (<usize>j) << 2;
      const scale = f32x4.div(f32x4.mul(v128.load(gamma + jb), v128.load(invStd + jb)), nv);
      const inner = f32x4.sub(f32x4.sub(f32x4.mul(nv, v128.load(dyRow + jb)), v128.load(dBeta + jb)), f32x4.mul(v128.load(xhatRow + jb), v128.load(dGamma + jb)));
      v128.store(dyRow + jb, f32x4.mul(scale, inner));
    }
    for (; j < cols; j++) {
      const scale: f32 = (load<f32>(cell(gamma, j)) * load<f32>(cell(invStd, j))) / n;
      const inner: f32 = n * load<f32>(cell(dyRow, j)) - load<f32>(cell(dBeta, j)) - load<f32>(cell(xhatRow, j)) * load<f32>(cell(dGamma, j));
      store<f32>(cell(dyRow, j), scale * inner);
    }
  }
}
