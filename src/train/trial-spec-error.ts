// A TrialSpec the runner cannot train as given (the spec loader normally refuses these first).
import type { TrialSpec } from '../trial/types.js';

export class TrialSpecError extends Error {
  override readonly name = 'TrialSpecError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${field}: ${String(value)} — ${expected}`);
  }
}

/** Refuses, before any training, a trial spec no runner (single or fused) can train. */
export function checkTrainable(spec: TrialSpec): void {
  const { batchSize, learningRate } = spec.config;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TrialSpecError('config.batchSize', batchSize, 'expected a whole number, 1 or more');
  if (!Number.isInteger(spec.workload.epochs) || spec.workload.epochs < 1) {
    throw new TrialSpecError('workload.epochs', spec.workload.epochs, 'expected a whole number, 1 or more');
  }
  if (!(Number.isFinite(learningRate) && learningRate > 0)) {
    throw new TrialSpecError('config.learningRate', learningRate, 'expected a finite number above 0');
  }
}
