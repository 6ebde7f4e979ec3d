// The plateau guard: a trial whose own LR schedule is about to act, or has just acted, is not
// judged yet. The coordinator replays the trial's schedule (the same pure PlateauScheduler the
// worker runs, fed the epochs the worker reported), so it sees exactly the worker's wait counter
// and cuts without any extra field on the wire.
import { PlateauScheduler } from '../plateau/scheduler.js';
import { trialSchedulerOptions } from '../plateau/scheduler-options.js';
import type { PlateauBase, TrialConfig } from '../trial/types.js';

export type GuardState =
  | { readonly guarded: false }
  /** `after-cut`: within patience + cooldown epochs after the cut at `cutEpoch`; `counting`: wait > 0 toward a cut still possible. */
  | { readonly guarded: true; readonly why: 'after-cut'; readonly cutEpoch: number }
  | { readonly guarded: true; readonly why: 'counting'; readonly wait: number };

export class PlateauGuard {
  private readonly scheduler: PlateauScheduler;
  private lastCut: number | null = null;
  private epochs = 0;

  constructor(
    private readonly config: TrialConfig,
    plateau: PlateauBase,
  ) {
    this.scheduler = new PlateauScheduler(trialSchedulerOptions(plateau, config));
  }

  /** Epochs fed so far. */
  get epochsSeen(): number {
    return this.epochs;
  }

  /** Feeds the next epoch (logs as reported, `lr` the rate used during it) and says whether the trial is guarded after it. */
  observe(logs: Readonly<Record<string, number>>, lr: number): GuardState {
    this.epochs += 1;
    const epoch = this.epochs;
    // A reported LR that is not a rate (a diverged epoch carries non-finite values) ends the replay's cuts.
    const step = Number.isFinite(lr) && lr >= 0 ? this.scheduler.step(epoch - 1, logs, lr) : null;
    if (step?.reduced === true) this.lastCut = epoch;
    if (this.lastCut !== null && epoch - this.lastCut <= this.config.patience + this.config.cooldown) {
      return { guarded: true, why: 'after-cut', cutEpoch: this.lastCut };
    }
    const wait = this.scheduler.state().wait;
    const nextLr = step?.lr ?? lr;
    const cutPossible = Number.isFinite(nextLr) && Math.fround(nextLr) > Math.fround(this.config.minLr);
    return wait > 0 && cutPossible ? { guarded: true, why: 'counting', wait } : { guarded: false };
  }
}
