// Typed errors of the coordinator's domain service. The gRPC shell maps each class to a
// status code (grpc-server.ts); nobody matches them by message text.

export class UnknownSweepError extends Error {
  override readonly name = 'UnknownSweepError';
  constructor(readonly sweepId: string) {
    super(`no sweep with id ${sweepId}`);
  }
}

/** An agent id this coordinator never issued (e.g. the data dir was wiped): register again. */
export class UnknownAgentError extends Error {
  override readonly name = 'UnknownAgentError';
  constructor(readonly agentId: string) {
    super(`no agent with id ${agentId}: register again`);
  }
}

/**
 * A heartbeat or report on a lease that is no longer current (expired, superseded, from a
 * previous coordinator process): refused, counted, never stored.
 */
export class StaleLeaseError extends Error {
  override readonly name = 'StaleLeaseError';
  constructor(
    readonly leaseId: string,
    readonly fencingToken: number,
    /** The trial the lease was for, when the store remembers the lease. */
    readonly trialId: string | null,
    /** The trial's current fencing token, when known. */
    readonly currentToken: number | null,
  ) {
    super(
      `lease ${leaseId} (token ${fencingToken}) is not current` +
        (trialId === null ? '' : ` for trial ${trialId}`) +
        (currentToken === null ? '' : ` (current token ${currentToken})`),
    );
  }
}

/** A report that contradicts its lease (e.g. a result for another trial). */
export class InvalidReportError extends Error {
  override readonly name = 'InvalidReportError';
  constructor(
    readonly leaseId: string,
    readonly problem: string,
  ) {
    super(`lease ${leaseId}: ${problem}`);
  }
}

export class CoordinatorClosedError extends Error {
  override readonly name = 'CoordinatorClosedError';
  constructor() {
    super('the coordinator is shutting down');
  }
}

/** A submitted spec names a blob this coordinator does not hold: upload it, then submit again. */
export class MissingArtifactError extends Error {
  override readonly name = 'MissingArtifactError';
  constructor(
    readonly field: string,
    readonly sha256: string,
    readonly file: string,
  ) {
    super(`${field}: ${file} (sha256 ${sha256}) is not held by this coordinator — \`plateau submit\` uploads it before it submits`);
  }
}
