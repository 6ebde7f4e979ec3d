// The timer shell around heartbeat-schedule: owns one timer per running trial, buffers the
// epochs finished since the last beat, sends them with each Heartbeat and hands the answer
// (continue / cancel / lease lost) to the agent.
import type { Logger } from '../src/log/logger.js';
import { LeaseLostError, type AgentChannel, type HeartbeatDirective, type TrialLease } from '../src/rpc/agent-channel.js';
import type { CancelReason, EpochRecord } from '../src/trial/types.js';
import { leaseStartState, nextHeartbeat, type HeartbeatInput, type HeartbeatPolicy, type HeartbeatState } from './heartbeat-schedule.js';

export interface LeaseHeartbeatOptions {
  readonly channel: AgentChannel;
  readonly lease: TrialLease;
  readonly intervalMs: number;
  readonly epochFlushMs: number;
  readonly logger: Logger;
  readonly onCancel: (reason: CancelReason) => void;
  readonly onLeaseLost: () => void;
  readonly now?: () => number;
}

type Lifecycle = 'beating' | 'stopped' | 'lease-lost';

export class LeaseHeartbeat {
  private readonly policy: HeartbeatPolicy;
  private readonly now: () => number;
  private state: HeartbeatState;
  private lifecycle: Lifecycle = 'beating';
  private buffered: EpochRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new AbortController();

  constructor(private readonly options: LeaseHeartbeatOptions) {
    this.now = options.now ?? Date.now;
    this.policy = {
      intervalMs: options.intervalMs,
      leaseTimeoutMs: options.lease.heartbeatTimeoutMs,
      // A sweep that stops trials early judges every epoch while the trial runs: no batching.
      epochFlushMs: options.lease.reportEveryEpoch ? 0 : options.epochFlushMs,
    };
    // The lease was granted just now: that counts as the first renewal.
    this.state = leaseStartState(this.now());
    this.apply({ kind: 'tick', nowMs: this.now() });
  }

  /** True once the coordinator said the lease is gone: the trial's result must not be reported. */
  get leaseLost(): boolean {
    return this.lifecycle === 'lease-lost';
  }

  epoch(record: EpochRecord): void {
    if (this.lifecycle !== 'beating') return;
    this.buffered.push(record);
    this.apply({ kind: 'epoch', nowMs: this.now() });
  }

  /** Stops beating (the trial ended); a beat in flight is abandoned. Safe to call twice. */
  stop(): void {
    if (this.lifecycle === 'beating') this.lifecycle = 'stopped';
    this.clearTimer();
    this.inFlight.abort();
  }

  private apply(input: HeartbeatInput): void {
    if (this.lifecycle !== 'beating') return;
    const step = nextHeartbeat(this.policy, this.state, input);
    this.state = step.state;
    this.clearTimer();
    const output = step.output;
    if (output.kind === 'beat') {
      this.beat();
    } else if (output.atMs !== null) {
      this.timer = setTimeout(() => this.apply({ kind: 'tick', nowMs: this.now() }), Math.max(0, output.atMs - this.now()));
    }
  }

  private beat(): void {
    const epochs = this.buffered;
    this.buffered = [];
    const lease = this.options.lease;
    this.apply({ kind: 'sent', nowMs: this.now() });
    this.options.channel
      .heartbeat({ leaseId: lease.leaseId, fencingToken: lease.fencingToken }, epochs, this.inFlight.signal)
      .then(
        (directive) => this.onAnswer(directive, epochs.length),
        (error: unknown) => this.onError(error, epochs),
      );
  }

  private onAnswer(directive: HeartbeatDirective, sent: number): void {
    if (this.lifecycle !== 'beating') return;
    this.apply({ kind: 'answered', nowMs: this.now(), delivered: true, returnedEpochs: 0 });
    this.options.logger.debug('heartbeat.answered', { trial: this.options.lease.trialId, epochs: sent, directive: directive.kind });
    if (directive.kind === 'cancel') this.options.onCancel(directive.reason);
  }

  private onError(error: unknown, epochs: readonly EpochRecord[]): void {
    if (this.lifecycle !== 'beating') return;
    if (error instanceof LeaseLostError) {
      this.lifecycle = 'lease-lost';
      this.clearTimer();
      this.options.logger.warn('lease.lost', { trial: this.options.lease.trialId, token: this.options.lease.fencingToken });
      this.options.onLeaseLost();
      return;
    }
    // A network error: keep the epochs for the next beat, which still comes before the lease
    // runs out (beats go at half the lease time at the latest).
    this.buffered = [...epochs, ...this.buffered];
    this.options.logger.warn('heartbeat.failed', { trial: this.options.lease.trialId, error });
    this.apply({ kind: 'answered', nowMs: this.now(), delivered: false, returnedEpochs: epochs.length });
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
