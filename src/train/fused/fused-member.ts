// One member of a fused bundle: its own plateau schedule, learning rate, history and outcome,
// kept exactly as the single-trial runner keeps them (src/train/trial-runner.ts and
// trial-progress.ts). No tfjs here: the bundle hands it each epoch's logged losses. A member can
// move to another bundle between batches (partMember / resume): a BundlePartMember carries it.
import type { Logger } from '../../log/logger.js';
import { reductionLogLine } from '../../plateau/callback.js';
import { assertMonitorLogged, loggedMetricNames } from '../../plateau/monitor.js';
import { PlateauScheduler } from '../../plateau/scheduler.js';
import { trialSchedulerOptions } from '../../plateau/scheduler-options.js';
import type { BackendName, EpochRecord, TrialOutcome, TrialResult, TrialSpec } from '../../trial/types.js';
import type { BundlePartMember } from './bundle-part.js';
import { trialObjective } from '../objective.js';
import { epochRecord, LR_REDUCED_EVENT } from '../trial-progress.js';
import { checkTrainable } from '../trial-spec-error.js';

export class FusedMember {
  readonly history: EpochRecord[] = [];
  /** 1-based epochs at whose end the learning rate was reduced. */
  readonly lrReductions: number[] = [];
  /** The float32 learning rate the member trains at during its next epoch. */
  lr: number;
  private readonly scheduler: PlateauScheduler;
  private ended: { readonly outcome: TrialOutcome; readonly atMs: number } | undefined;
  private isHandedOff = false;

  /** Throws what the single trial would fail with before its first epoch (TrialSpecError, PlateauOptionsError, UnknownMonitorError). */
  constructor(
    readonly spec: TrialSpec,
    readonly logger: Logger,
  ) {
    checkTrainable(spec);
    const { config, plateau, workload } = spec;
    this.scheduler = new PlateauScheduler(trialSchedulerOptions(plateau, config));
    assertMonitorLogged(plateau.monitor, loggedMetricNames(workload.loss, workload.metrics));
    // The optimizer is built at the config's rate and applies it in float32.
    this.lr = Math.fround(config.learningRate);
  }

  /**
   * The member as another bundle's part holds it (`part.slot` its physical member there), picking
   * up where `part.history` ends. Throws as the constructor does.
   */
  static resume(part: BundlePartMember, logger: Logger): FusedMember {
    const member = new FusedMember(part.spec, logger);
    member.history.push(...part.history);
    member.lrReductions.push(...part.lrReductions);
    member.scheduler.restore(part.scheduler);
    member.lr = part.lr;
    return member;
  }

  get outcome(): TrialOutcome | undefined {
    return this.ended?.outcome;
  }

  /** Still training here: not ended, not handed off. */
  get active(): boolean {
    return this.ended === undefined && !this.isHandedOff;
  }

  /** Handed to another bundle: it trains on there, and this bundle reports no result for it. */
  get handedOff(): boolean {
    return this.isHandedOff;
  }

  /** What another bundle resumes this member from, training in its physical member `slot` (copies: nothing is shared). */
  partMember(slot: number): BundlePartMember {
    return { spec: this.spec, slot, lr: this.lr, history: [...this.history], lrReductions: [...this.lrReductions], scheduler: this.scheduler.state() };
  }

  /** Marks the member handed off (after partMember): it no longer trains, ends or reports here. */
  handOff(): void {
    if (this.ended !== undefined) throw new Error(`member ${this.spec.id} has ended; only a training member can be handed off`);
    this.isHandedOff = true;
  }

  /**
   * Records 0-based `epoch`, trained at `this.lr`, with the logs the single trial would have
   * (`val_loss` absent when its training stopped mid-epoch), steps the schedule, and ends the
   * member as diverged on a NaN/infinite loss. Returns the record.
   */
  endEpoch(epoch: number, logs: Readonly<Record<string, number>>, onEpoch: ((record: EpochRecord) => void) | undefined, nowMs: number): EpochRecord {
    const step = this.scheduler.step(epoch, logs, this.lr);
    const record = epochRecord(epoch + 1, logs, this.lr);
    this.history.push(record);
    onEpoch?.(record);
    if (step.reduced) {
      this.lrReductions.push(epoch + 1);
      this.logger.info(LR_REDUCED_EVENT, { epoch: epoch + 1, lr: step.reduction.newLr, line: reductionLogLine(step.reduction) });
    }
    this.lr = step.lr;
    if (!Number.isFinite(record.loss) || !Number.isFinite(record.val_loss)) this.end({ status: 'diverged', atEpoch: epoch + 1 }, nowMs);
    return record;
  }

  /** Ends the member (once; later calls keep the first outcome; a handed-off member ends elsewhere). */
  end(outcome: TrialOutcome, nowMs: number): void {
    if (this.isHandedOff) return;
    this.ended ??= { outcome, atMs: nowMs };
  }

  /** The member's TrialResult, its wall time counted from `startedMs` (when it started training, wherever that was) to its end. */
  result(backend: BackendName, startedMs: number, nowMs: number): TrialResult {
    const history = [...this.history];
    return {
      trialId: this.spec.id,
      outcome: this.ended?.outcome ?? { status: 'succeeded' },
      history,
      lrReductions: [...this.lrReductions],
      objective: trialObjective(history, this.spec.objective),
      wallSeconds: ((this.ended?.atMs ?? nowMs) - startedMs) / 1000,
      backend,
      seed: this.spec.seed,
    };
  }
}
