// AssemblyScript (compiled into the fused-mlp kernel, which re-exports it, so it shares its
// memory): classification losses for the fused trainer's wasm engine, beside fused-mlp.ts's
// regression losses. Float32 arithmetic in tfjs-layers' formulation, within float32 noise of it.

@inline function cell(base: usize, index: i32): usize {
  return base + ((<usize>index) << 2);
}

/**
 * tfjs-layers' binaryCrossentropy on probabilities pred[rows×cols] (a sigmoid output): p clipped
 * to [ε, 1 − ε], z = log(p / (1 − p)), per value max(z, 0) − z·t + log1p(exp(−|z|)), the mean over
 * the columns, then over the rows (returned). When grad ≠ 0, writes d(mean)/d pred there:
 * (sigmoid(z) − t) / (p·(1 − p)) / (rows·cols), and 0 where the clip holds p (as tfjs's clip
 * gradient does).
 */
export function binaryCrossentropy(pred: usize, target: usize, rows: i32, cols: i32, grad: usize, epsilon: f32): f32 {
  const scale: f32 = <f32>1 / <f32>(rows * cols);
  const high: f32 = <f32>1 - epsilon;
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    let rowTotal: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const index = i * cols + j;
      const raw = load<f32>(cell(pred, index));
      const t = load<f32>(cell(target, index));
      const p: f32 = raw < epsilon ? epsilon : raw > high ? high : raw;
      const z: f32 = Mathf.log(p / (<f32>1 - p));
      const negAbs: f32 = -Mathf.abs(z);
      rowTotal += (z > 0 ? z : <f32>0) - z * t + Mathf.log1p(Mathf.exp(negAbs));
      if (grad != 0) {
        const inside = raw >= epsilon && raw <= high;
        const dz: f32 = <f32>1 / (<f32>1 + Mathf.exp(-z)) - t;
        store<f32>(cell(grad, index), inside ? (dz / (p * (<f32>1 - p))) * scale : <f32>0);
      }
    }
    total += <f64>(rowTotal / <f32>cols);
  }
  return <f32>(total / <f64>rows);
}
