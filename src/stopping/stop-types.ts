// The early-stopping vocabulary (issue 18): the compiled `earlyStop` spec and the record a
// stop leaves behind. Pure types; the rules live next to this file, the coordinator applies them.

export type StopRuleName = 'median' | 'asha';

/** How stopped trials rank: below every finished one (default), or together with them by value. */
export type RankStopped = 'below' | 'together';

/** The spec's `earlyStop`, every field defaulted (compile.ts). */
export interface EarlyStopSpec {
  readonly rule: StopRuleName;
  /** No stop before this many epochs are completed (1-based epochs). */
  readonly gracePeriod: number;
  /** median: how many other trials must have reached the epoch before a trial is compared. */
  readonly minTrials: number;
  /** asha: η; rungs at gracePeriod·η^k epochs, the top 1/η of each rung go on. */
  readonly reductionFactor: number;
  /** Never stop a trial whose own LR schedule is about to act, or has just acted (plateau-guard.ts). */
  readonly plateauGuard: boolean;
  readonly rankStopped: RankStopped;
}

/**
 * Why a trial was stopped: at the end of `epoch` (1-based) its best objective so far, `value`,
 * was compared with `threshold` (median: the other trials' median at that epoch; asha: the
 * worst value still kept at that rung) and found worse.
 */
export interface StopRecord {
  readonly epoch: number;
  readonly rule: StopRuleName;
  readonly value: number;
  readonly threshold: number;
}

export type ObjectiveGoal = 'minimize' | 'maximize';
