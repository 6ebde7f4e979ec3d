// How far apart two objectives must be before their order says more than which engine trained
// them. The same trials trained by the wasm kernels, by tfjs model.fit on wasm and on cpu differ
// by float32 noise that grows over a sweep (bench/exactness.ts, BENCHMARKS.md "Exactness"), so
// neighbours in a ranking closer than that could trade places on another engine.

/**
 * Relative gap |a − b| / max(|a|, |b|) between adjacent ranked objectives below which the two
 * sit within engine noise: the median drift of a trial's final val_loss between the wasm kernels
 * and tfjs model.fit (wasm backend) over bench/specs/sweep27.yaml's 27 trials × 30 epochs was
 * 9.3e-4 (bench/exactness.ts, 2026-12-05; largest 4.8e-2, 3 trials cut at other epochs, the
 * 3rd place changed), rounded up. Closer neighbours swap as often as not on another engine;
 * further ones can still swap where a schedule cuts at another epoch.
 */
export const ENGINE_NOISE_RELATIVE_TOLERANCE = 1e-3;

/** Whether objectives `a` and `b` are within engine noise of each other (ENGINE_NOISE_RELATIVE_TOLERANCE). */
export function withinEngineNoise(a: number, b: number, tolerance = ENGINE_NOISE_RELATIVE_TOLERANCE): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  if (a === b) return true;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)) < tolerance;
}
