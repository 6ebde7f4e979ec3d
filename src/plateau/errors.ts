// Typed errors of the plateau scheduler and its tfjs shell; each carries what was wrong.

/** A learning rate that no optimizer can use (NaN, infinite or negative). */
export class InvalidLearningRateError extends Error {
  override readonly name = 'InvalidLearningRateError';
  constructor(readonly learningRate: number) {
    super(`learning rate ${String(learningRate)} — expected a finite number, 0 or more`);
  }
}

/** A saved scheduler state that cannot have come from a scheduler. */
export class InvalidPlateauStateError extends Error {
  override readonly name = 'InvalidPlateauStateError';
  constructor(
    readonly field: 'best' | 'wait' | 'cooldownCounter',
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${field}: ${String(value)} — ${expected}`);
  }
}

/** An optimizer whose learning rate we do not know how to set so that its steps use it. */
export class UnsupportedOptimizerError extends Error {
  override readonly name = 'UnsupportedOptimizerError';
  constructor(
    readonly className: string,
    readonly supported: readonly string[],
  ) {
    super(
      `optimizer "${className}" is not supported for learning-rate scheduling — ` +
        `supported: ${supported.join(', ')}`,
    );
  }
}
