// AssemblyScript (compiled into the fused-mlp kernel, which re-exports it, so it shares its
// memory): the softmax activation, tfjs-layers' categorical and sparse categorical
// cross-entropy on its output, and the accuracy metrics, for the fused trainer's wasm engine.
// Float32 arithmetic; the gradients run back through the same ops tfjs's autodiff does
// (normalize by the row sum, clip, log, one-hot), within float32 noise of tfjs.

@inline function cell(base: usize, index: i32): usize {
  return base + ((<usize>index) << 2);
}

/** z[rows×cols] ← softmax(z) row by row, in place: exp(z − row max) / Σ exp(z − row max). */
export function softmaxRows(z: usize, rows: i32, cols: i32): void {
  for (let i = 0; i < rows; i++) {
    const row = cell(z, i * cols);
    let max: f32 = load<f32>(row);
    for (let j = 1; j < cols; j++) max = Mathf.max(max, load<f32>(cell(row, j)));
    let sum: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const e = Mathf.exp(load<f32>(cell(row, j)) - max);
      store<f32>(cell(row, j), e);
      sum += e;
    }
    for (let j = 0; j < cols; j++) store<f32>(cell(row, j), load<f32>(cell(row, j)) / sum);
  }
}

/** dh[rows×cols] ← softmax's backward from its output y (tfjs's Softmax_grad): dy·y − Σ(dy·y)·y, per row. */
export function softmaxGrad(dh: usize, y: usize, rows: i32, cols: i32): void {
  for (let i = 0; i < rows; i++) {
    const dRow = cell(dh, i * cols);
    const yRow = cell(y, i * cols);
    let sum: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const product: f32 = load<f32>(cell(dRow, j)) * load<f32>(cell(yRow, j));
      store<f32>(cell(dRow, j), product);
      sum += product;
    }
    for (let j = 0; j < cols; j++) store<f32>(cell(dRow, j), load<f32>(cell(dRow, j)) - sum * load<f32>(cell(yRow, j)));
  }
}

/** The one-hot (sparse) or given (categorical) target of row i, class j. */
@inline function targetAt(target: usize, sparse: bool, i: i32, j: i32, cols: i32): f32 {
  if (!sparse) return load<f32>(cell(target, i * cols + j));
  // tfjs: oneHot(cast(floor(label), 'int32'), cols); a label outside [0, cols) gives a zero row.
  const label = Mathf.floor(load<f32>(cell(target, i)));
  return label == <f32>j ? <f32>1 : <f32>0;
}

@inline function clip(v: f32, low: f32, high: f32): f32 {
  return v < low ? low : v > high ? high : v;
}

/**
 * tfjs-layers' categoricalCrossentropy (sparse = false: target[rows×cols] one-hot rows) or
 * sparseCategoricalCrossentropy (sparse = true: target[rows] class labels, first clipped to
 * [ε, 1 − ε] and one-hot) on probabilities pred[rows×cols]: q = p / Σ p, clipped to [ε, 1 − ε],
 * per row −Σ t·log q, then the mean over the rows (returned). When grad ≠ 0, writes d(mean)/d pred
 * there, back through the log, the clips (0 where a clip holds the value) and the division by
 * the row sum, as tfjs's gradients of those ops.
 */
export function categoricalCrossentropy(pred: usize, target: usize, rows: i32, cols: i32, sparse: bool, grad: usize, epsilon: f32): f32 {
  const high: f32 = <f32>1 - epsilon;
  const dMean: f32 = -(<f32>1 / <f32>rows);
  let total: f32 = 0;
  for (let i = 0; i < rows; i++) {
    const row = cell(pred, i * cols);
    let sum: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const p = load<f32>(cell(row, j));
      sum += sparse ? clip(p, epsilon, high) : p;
    }
    let rowLoss: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const p = load<f32>(cell(row, j));
      const q: f32 = (sparse ? clip(p, epsilon, high) : p) / sum;
      rowLoss += targetAt(target, sparse, i, j, cols) * Mathf.log(clip(q, epsilon, high));
    }
    total += -rowLoss;
    if (grad == 0) continue;
    // dq_j = (−1/rows · t_j) / clip(q_j), 0 where the clip holds q_j; kept in grad.
    let dSum: f32 = 0;
    const gRow = cell(grad, i * cols);
    for (let j = 0; j < cols; j++) {
      const p = load<f32>(cell(row, j));
      const o: f32 = sparse ? clip(p, epsilon, high) : p;
      const q: f32 = o / sum;
      const inside = q >= epsilon && q <= high;
      const dq: f32 = inside ? (dMean * targetAt(target, sparse, i, j, cols)) / clip(q, epsilon, high) : <f32>0;
      store<f32>(cell(gRow, j), dq);
      // div's gradient for the divisor: −(dq·o)/s², summed over the row.
      dSum += -((dq * o) / (sum * sum));
    }
    for (let j = 0; j < cols; j++) {
      const p = load<f32>(cell(row, j));
      const d: f32 = load<f32>(cell(gRow, j)) / sum + dSum;
      store<f32>(cell(gRow, j), sparse && !(p >= epsilon && p <= high) ? <f32>0 : d);
    }
  }
  return total / <f32>rows;
}

// Accuracy kinds (src/train/fused/kernel/kernel-bundle.ts): what tfjs-layers compiles 'accuracy' to.
const BINARY_ACCURACY = 0;
const CATEGORICAL_ACCURACY = 1;
const SPARSE_CATEGORICAL_ACCURACY = 2;

/** The first index of the row's largest value (tfjs's argMax). */
@inline function argMax(row: usize, cols: i32): i32 {
  let best = 0;
  let max: f32 = load<f32>(row);
  for (let j = 1; j < cols; j++) {
    const v = load<f32>(cell(row, j));
    if (v > max) {
      max = v;
      best = j;
    }
  }
  return best;
}

/**
 * The batch's mean accuracy as tfjs-layers' metrics compute it: binaryAccuracy (the mean over
 * the columns of t == (p > 0.5)), categoricalAccuracy (argMax t == argMax p) or
 * sparseCategoricalAccuracy (label == argMax p), then the mean over the rows.
 */
export function accuracy(kind: i32, pred: usize, target: usize, rows: i32, cols: i32): f32 {
  let total: f32 = 0;
  for (let i = 0; i < rows; i++) {
    const row = cell(pred, i * cols);
    if (kind == BINARY_ACCURACY) {
      let hits: f32 = 0;
      for (let j = 0; j < cols; j++) {
        const thresholded: f32 = load<f32>(cell(row, j)) > <f32>0.5 ? <f32>1 : <f32>0;
        hits += load<f32>(cell(target, i * cols + j)) == thresholded ? <f32>1 : <f32>0;
      }
      total += hits / <f32>cols;
    } else if (kind == CATEGORICAL_ACCURACY) {
      total += argMax(cell(target, i * cols), cols) == argMax(row, cols) ? <f32>1 : <f32>0;
    } else if (kind == SPARSE_CATEGORICAL_ACCURACY) {
      total += load<f32>(cell(target, i)) == <f32>argMax(row, cols) ? <f32>1 : <f32>0;
    }
  }
  return total / <f32>rows;
}
