// Why a worker could not deliver a trial's result. Each carries its context; the agent
// reports `error.name` as the attempt's failure kind (never parsed back from the message).

/** The worker process died (non-zero exit, a signal, OOM) while it held a trial. */
export class WorkerCrashedError extends Error {
  override readonly name = 'WorkerCrashedError';
  constructor(
    readonly trialId: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    /** The last lines the worker wrote to stderr (e.g. "JavaScript heap out of memory"). */
    readonly stderrTail: readonly string[] = [],
  ) {
    super(
      `worker died during trial ${trialId} (${signal === null ? `exit code ${String(exitCode)}` : `signal ${signal}`})` +
        (stderrTail.length > 0 ? `: ${stderrTail[stderrTail.length - 1] ?? ''}` : ''),
    );
  }
}

/** The worker stopped making progress and was killed. */
export class WorkerTimeoutError extends Error {
  override readonly name = 'WorkerTimeoutError';
  constructor(
    readonly trialId: string,
    /** `epoch`: no epoch finished within the per-epoch timeout; `cancel`: a cancel was not honoured in time. */
    readonly phase: 'epoch' | 'cancel',
    /** Epochs that did finish before the hang. */
    readonly epochsDone: number,
    readonly timeoutMs: number,
  ) {
    super(
      phase === 'epoch'
        ? `trial ${trialId}: epoch ${epochsDone + 1} did not finish within ${timeoutMs} ms; worker killed`
        : `trial ${trialId}: worker did not stop within ${timeoutMs} ms of a cancel; worker killed`,
    );
  }
}

/** The worker process could not be started or never became ready (e.g. no backend loads). */
export class WorkerStartError extends Error {
  override readonly name = 'WorkerStartError';
  constructor(
    readonly reason: string,
    readonly exitCode: number | null = null,
    readonly signal: NodeJS.Signals | null = null,
  ) {
    super(`worker failed to start: ${reason}`);
  }
}

/** The worker broke the IPC protocol (an undecodable or unexpected message); it was killed. */
export class WorkerProtocolError extends Error {
  override readonly name = 'WorkerProtocolError';
  constructor(
    readonly trialId: string | null,
    readonly problem: string,
  ) {
    super(`worker protocol violation${trialId === null ? '' : ` during trial ${trialId}`}: ${problem}`);
  }
}

/** `run()` was called on a closed worker, or the worker was closed while a trial ran. */
export class WorkerClosedError extends Error {
  override readonly name = 'WorkerClosedError';
  constructor(readonly trialId: string | null) {
    super(trialId === null ? 'worker is closed' : `worker closed during trial ${trialId}`);
  }
}

/** The worker answered a `fatal` message while it held a trial (an unexpected trainer exception). */
export class WorkerFatalError extends Error {
  override readonly name = 'WorkerFatalError';
  constructor(
    readonly trialId: string | null,
    readonly kind: string,
    readonly detail: string,
  ) {
    super(`worker fatal error${trialId === null ? '' : ` during trial ${trialId}`}: ${kind}: ${detail}`);
  }
}

export type WorkerRunError = WorkerCrashedError | WorkerTimeoutError | WorkerStartError | WorkerProtocolError | WorkerClosedError | WorkerFatalError;

export function isWorkerRunError(error: unknown): error is WorkerRunError {
  return (
    error instanceof WorkerCrashedError ||
    error instanceof WorkerTimeoutError ||
    error instanceof WorkerStartError ||
    error instanceof WorkerProtocolError ||
    error instanceof WorkerClosedError ||
    error instanceof WorkerFatalError
  );
}

/** `run()` was called while the worker already held a trial: one trial per worker at a time. */
export class WorkerBusyError extends Error {
  override readonly name = 'WorkerBusyError';
  constructor(
    readonly trialId: string,
    readonly runningTrialId: string,
  ) {
    super(`worker is busy with trial ${runningTrialId}; cannot start ${trialId}`);
  }
}
