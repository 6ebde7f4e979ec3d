// AssemblyScript (compiled into the fused-mlp kernel, which re-exports it, so it shares its
// memory): tfjs-layers' l1l2 kernel regularizer for the fused trainer's wasm engine. The
// penalty joins the batch's training loss and its gradient the kernel's gradient, as
// tfjs-layers adds a layer's regularizer losses to the loss it minimizes.

@inline function cell(base: usize, index: i32): usize {
  return base + ((<usize>index) << 2);
}

/** Σ l1·|w| + Σ l2·w² over w[count] (either term skipped when its factor is 0, as tfjs's L1L2.apply does). */
export function l1l2Penalty(w: usize, count: i32, l1: f32, l2: f32): f32 {
  let absolute: f32 = 0;
  let squared: f32 = 0;
  for (let i = 0; i < count; i++) {
    const v = load<f32>(cell(w, i));
    absolute += l1 * Mathf.abs(v);
    squared += l2 * (v * v);
  }
  let penalty: f32 = 0;
  if (l1 != 0) penalty += absolute;
  if (l2 != 0) penalty += squared;
  return penalty;
}

/** g[count] += the penalty's gradient: l1·step(w, −1) (−l1 at w = 0, as tfjs's Abs_grad) + l2·(w·2). */
export function addL1L2Grad(w: usize, g: usize, count: i32, l1: f32, l2: f32): void {
  for (let i = 0; i < count; i++) {
    const v = load<f32>(cell(w, i));
    let d: f32 = load<f32>(cell(g, i));
    if (l1 != 0) d += l1 * (v > 0 ? <f32>1 : <f32>-1);
    if (l2 != 0) d += l2 * (v * <f32>2);
    store<f32>(cell(g, i), d);
  }
}
