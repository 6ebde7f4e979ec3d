// AssemblyScript (compiled into the fused-mlp kernel, which re-exports it, so it shares its
// memory): tfjs-layers' LayerNormalization (axis −1, centered and scaled) for the fused
// trainer's wasm engine. Statistics per row, over its columns, in float32.

@inline function cell(base: usize, index: i32): usize {
  return base + ((<usize>index) << 2);
}

/**
 * out[rows×cols] ← γ·(x − mean)/√(var + ε) + β with each row's mean and biased variance (out may
 * not alias x). Keeps x̂ = (x − mean)/√(var + ε) in xhat[rows×cols] and each row's 1/√(var + ε)
 * in invStd[rows], which the backward pass reads (pass 0 for both at inference to skip them).
 */
export function layerNormForward(x: usize, out: usize, xhat: usize, invStd: usize, rows: i32, cols: i32, gamma: usize, beta: usize, epsilon: f32): void {
  const n = <f32>cols;
  for (let i = 0; i < rows; i++) {
    const row = cell(x, i * cols);
    let sum: f32 = 0;
    for (let j = 0; j < cols; j++) sum += load<f32>(cell(row, j));
    const mean: f32 = sum / n;
    let squares: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const d: f32 = load<f32>(cell(row, j)) - mean;
      squares += d * d;
    }
    const inv: f32 = <f32>1 / Mathf.sqrt(squares / n + epsilon);
    if (invStd != 0) store<f32>(cell(invStd, i), inv);
    for (let j = 0; j < cols; j++) {
      const normalized: f32 = (load<f32>(cell(row, j)) - mean) * inv;
      if (xhat != 0) store<f32>(cell(xhat, i * cols + j), normalized);
      store<f32>(cell(out, i * cols + j), normalized * load<f32>(cell(gamma, j)) + load<f32>(cell(beta, j)));
    }
  }
}

/**
 * The backward pass of layerNormForward, dy[rows×cols] → d x in place, from the x̂ and 1/√(var + ε)
 * it kept: dβ = Σ_rows dy, dγ = Σ_rows dy·x̂ (written to dGamma, dBeta), and per row, with
 * g = dy·γ, dx = invStd/n · (n·g − Σ g − x̂·Σ g·x̂).
 */
export function layerNormBackward(dy: usize, xhat: usize, invStd: usize, gamma: usize, rows: i32, cols: i32, dGamma: usize, dBeta: usize): void {
  const n = <f32>cols;
  memory.fill(dBeta, 0, (<usize>cols) << 2);
  memory.fill(dGamma, 0, (<usize>cols) << 2);
  for (let i = 0; i < rows; i++) {
    const dyRow = cell(dy, i * cols);
    const xhatRow = cell(xhat, i * cols);
    let sumG: f32 = 0;
    let sumGX: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const d = load<f32>(cell(dyRow, j));
      const xh = load<f32>(cell(xhatRow, j));
      store<f32>(cell(dBeta, j), load<f32>(cell(dBeta, j)) + d);
      store<f32>(cell(dGamma, j), load<f32>(cell(dGamma, j)) + d * xh);
      const g: f32 = d * load<f32>(cell(gamma, j));
      sumG += g;
      sumGX += g * xh;
    }
    const scale: f32 = load<f32>(cell(invStd, i)) / n;
    for (let j = 0; j < cols; j++) {
      const g: f32 = load<f32>(cell(dyRow, j)) * load<f32>(cell(gamma, j));
      store<f32>(cell(dyRow, j), scale * (n * g - sumG - load<f32>(cell(xhatRow, j)) * sumGX));
    }
  }
}
