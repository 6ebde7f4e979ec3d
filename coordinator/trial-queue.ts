// The order in which queued trials are handed out. Pure and deterministic:
// - across sweeps, round-robin (each sweep with queued work gets one trial per turn, in the
//   order the sweeps were first queued), so a big sweep does not starve a small one;
// - within a sweep, every config's first repeat before any second repeat (a ranking of all
//   configs appears early), then grid order.

export interface QueuedTrial {
  /** The coordinator's key for the trial. */
  readonly trialKey: string;
  readonly sweepId: string;
  readonly trialId: string;
  /** 0-based repeat index. */
  readonly repeat: number;
  /** Position of the trial in the expanded grid. */
  readonly ordinal: number;
}

function comesBefore(a: QueuedTrial, b: QueuedTrial): boolean {
  return a.repeat !== b.repeat ? a.repeat < b.repeat : a.ordinal < b.ordinal;
}

export class TrialQueue {
  private readonly perSweep = new Map<string, QueuedTrial[]>();
  private readonly sweepOrder: string[] = [];
  private readonly sweepOfTrial = new Map<string, string>();
  private lastServedSweep: string | undefined;

  /** Adds a trial in its place; adding a trial that is already queued changes nothing. */
  add(trial: QueuedTrial): void {
    if (this.sweepOfTrial.has(trial.trialKey)) return;
    let list = this.perSweep.get(trial.sweepId);
    if (list === undefined) {
      list = [];
      this.perSweep.set(trial.sweepId, list);
      this.sweepOrder.push(trial.sweepId);
    }
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const probe = list[middle];
      if (probe !== undefined && comesBefore(probe, trial)) low = middle + 1;
      else high = middle;
    }
    list.splice(low, 0, trial);
    this.sweepOfTrial.set(trial.trialKey, trial.sweepId);
  }

  /** Takes the next trial to hand out, or undefined when nothing is queued. */
  take(): QueuedTrial | undefined {
    const count = this.sweepOrder.length;
    if (count === 0) return undefined;
    const last = this.lastServedSweep === undefined ? -1 : this.sweepOrder.indexOf(this.lastServedSweep);
    for (let step = 1; step <= count; step++) {
      const sweepId = this.sweepOrder[(last + step) % count];
      if (sweepId === undefined) continue;
      const trial = this.perSweep.get(sweepId)?.shift();
      if (trial === undefined) continue;
      this.sweepOfTrial.delete(trial.trialKey);
      this.lastServedSweep = sweepId;
      return trial;
    }
    return undefined;
  }

  /** The first `limit` queued trials of one sweep, in the order they would be handed out (nothing is taken). */
  peekSweep(sweepId: string, limit: number): readonly QueuedTrial[] {
    return (this.perSweep.get(sweepId) ?? []).slice(0, Math.max(0, limit));
  }

  /** Removes one trial; returns whether it was queued. */
  remove(trialKey: string): boolean {
    const sweepId = this.sweepOfTrial.get(trialKey);
    if (sweepId === undefined) return false;
    const list = this.perSweep.get(sweepId) ?? [];
    const index = list.findIndex((trial) => trial.trialKey === trialKey);
    if (index >= 0) list.splice(index, 1);
    this.sweepOfTrial.delete(trialKey);
    return true;
  }

  /** Removes every queued trial of a sweep; returns them. */
  removeSweep(sweepId: string): readonly QueuedTrial[] {
    const list = this.perSweep.get(sweepId) ?? [];
    for (const trial of list) this.sweepOfTrial.delete(trial.trialKey);
    this.perSweep.set(sweepId, []);
    return list;
  }

  has(trialKey: string): boolean {
    return this.sweepOfTrial.has(trialKey);
  }

  get size(): number {
    return this.sweepOfTrial.size;
  }
}
