// Trials handed to the fused trainer that cannot train together (the caller groups by fusionKey first).

export class NotFusableError extends Error {
  override readonly name = 'NotFusableError';
  constructor(
    readonly trialIds: readonly string[],
    readonly reason: string,
  ) {
    super(`trials ${trialIds.join(', ')} cannot train as one fused bundle: ${reason}`);
  }
}
