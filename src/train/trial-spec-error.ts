// A TrialSpec the runner cannot train as given (the spec loader normally refuses these first).

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
