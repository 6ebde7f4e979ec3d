// An in-process AgentChannel for the agent-loop tests: hands out the leases it is given,
// answers heartbeats as the test scripts, and records every call. The same agent is run
// against the real coordinator over loopback gRPC in the integration tests.
import {
  LeaseLostError,
  type AgentChannel,
  type AgentRegistration,
  type HeartbeatDirective,
  type LeaseRef,
  type TrialLease,
} from '../../src/rpc/agent-channel.js';
import type { BackendName, EpochRecord, TrialErrorInfo, TrialResult, TrialSpec } from '../../src/trial/types.js';

export type ChannelCall =
  | { readonly method: 'register'; readonly hostname: string; readonly slots: number; readonly backend: BackendName }
  | { readonly method: 'poll'; readonly agentId: string; readonly maxBundle: number }
  | { readonly method: 'heartbeat'; readonly lease: LeaseRef; readonly epochs: readonly EpochRecord[] }
  | { readonly method: 'complete'; readonly lease: LeaseRef; readonly result: TrialResult }
  | { readonly method: 'fail'; readonly lease: LeaseRef; readonly error: TrialErrorInfo };

/** What a heartbeat answers: a directive, or an error to throw (e.g. LeaseLostError). */
export type HeartbeatScript = (lease: TrialLease, epochs: readonly EpochRecord[]) => HeartbeatDirective | Error;

export class RecordingChannel implements AgentChannel {
  readonly calls: ChannelCall[] = [];
  /** Failures to throw from the next calls of a method, in order. */
  readonly failNext: { register: Error[]; poll: Error[]; complete: Error[] } = { register: [], poll: [], complete: [] };
  heartbeatScript: HeartbeatScript = () => ({ kind: 'continue' });
  heartbeatIntervalMs = 200;
  private readonly queued: TrialLease[] = [];
  private readonly leases = new Map<string, TrialLease>();
  private readonly waitingPolls = new Set<() => void>();
  private readonly callListeners = new Set<(call: ChannelCall) => void>();
  private nextToken = 1;
  private registrations = 0;
  /** Present only when built with `{ bundles: true }`: hands out up to maxBundle queued leases at once. */
  readonly pollBundle?: (input: { agentId: string; waitMs: number; maxBundle: number }, signal?: AbortSignal) => Promise<readonly TrialLease[]>;

  constructor(options: { readonly bundles?: boolean } = {}) {
    if (options.bundles === true) this.pollBundle = (input, signal) => this.take(input, input.maxBundle, signal);
  }

  /** Queues a trial; the next poll hands it out as a lease. */
  offer(trial: TrialSpec, options: { heartbeatTimeoutMs?: number } = {}): TrialLease {
    const token = this.nextToken++;
    const lease: TrialLease = {
      leaseId: `lease-${token}`,
      fencingToken: token,
      sweepId: 'sweep-1',
      trialId: trial.id,
      attempt: 1,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 2_000,
      reportEveryEpoch: false,
      trial,
    };
    this.queued.push(lease);
    this.leases.set(lease.leaseId, lease);
    for (const wake of [...this.waitingPolls]) wake();
    return lease;
  }

  /** Resolves with the first call (already made or still to come) that matches. */
  waitForCall<M extends ChannelCall['method']>(method: M, match: (call: Extract<ChannelCall, { method: M }>) => boolean = () => true): Promise<Extract<ChannelCall, { method: M }>> {
    const isMethod = (call: ChannelCall): call is Extract<ChannelCall, { method: M }> => call.method === method;
    const matches = (call: ChannelCall): call is Extract<ChannelCall, { method: M }> => isMethod(call) && match(call);
    const seen = this.calls.find(matches);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const listener = (call: ChannelCall): void => {
        if (!matches(call)) return;
        this.callListeners.delete(listener);
        resolve(call);
      };
      this.callListeners.add(listener);
    });
  }

  callsOf<M extends ChannelCall['method']>(method: M): Extract<ChannelCall, { method: M }>[] {
    return this.calls.filter((call): call is Extract<ChannelCall, { method: M }> => call.method === method);
  }

  private record(call: ChannelCall): void {
    this.calls.push(call);
    for (const listener of [...this.callListeners]) listener(call);
  }

  async register(input: { hostname: string; slots: number; backend: BackendName; version: string }): Promise<AgentRegistration> {
    this.record({ method: 'register', hostname: input.hostname, slots: input.slots, backend: input.backend });
    const failure = this.failNext.register.shift();
    if (failure !== undefined) throw failure;
    this.registrations += 1;
    return { agentId: `agent-${this.registrations}`, heartbeatIntervalMs: this.heartbeatIntervalMs };
  }

  async poll(input: { agentId: string; waitMs: number }, signal?: AbortSignal): Promise<TrialLease | null> {
    const [lease] = await this.take(input, 1, signal);
    return lease ?? null;
  }

  private async take(input: { agentId: string; waitMs: number }, maxBundle: number, signal?: AbortSignal): Promise<readonly TrialLease[]> {
    this.record({ method: 'poll', agentId: input.agentId, maxBundle });
    const failure = this.failNext.poll.shift();
    if (failure !== undefined) throw failure;
    for (;;) {
      const leases = this.queued.splice(0, Math.max(1, maxBundle));
      if (leases.length > 0) return leases;
      // Long-poll: wait for an offer, the wait to run out, or the caller to give up.
      const outcome = await new Promise<'offer' | 'timeout' | 'aborted'>((resolve) => {
        const timer = setTimeout(() => finish('timeout'), input.waitMs);
        const onAbort = (): void => finish('aborted');
        const wake = (): void => finish('offer');
        const finish = (how: 'offer' | 'timeout' | 'aborted'): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.waitingPolls.delete(wake);
          resolve(how);
        };
        if (signal?.aborted === true) {
          finish('aborted');
          return;
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waitingPolls.add(wake);
      });
      if (outcome === 'aborted') throw new Error('poll aborted');
      if (outcome === 'timeout') return [];
    }
  }

  async heartbeat(ref: LeaseRef, epochs: readonly EpochRecord[]): Promise<HeartbeatDirective> {
    this.record({ method: 'heartbeat', lease: ref, epochs: [...epochs] });
    const lease = this.leases.get(ref.leaseId);
    if (lease === undefined) throw new LeaseLostError('unknown', ref.fencingToken);
    const answer = this.heartbeatScript(lease, epochs);
    if (answer instanceof Error) throw answer;
    return answer;
  }

  async complete(ref: LeaseRef, result: TrialResult): Promise<{ recorded: boolean }> {
    this.record({ method: 'complete', lease: ref, result });
    const failure = this.failNext.complete.shift();
    if (failure !== undefined) throw failure;
    return { recorded: true };
  }

  async fail(ref: LeaseRef, error: TrialErrorInfo): Promise<{ requeued: boolean }> {
    this.record({ method: 'fail', lease: ref, error });
    return { requeued: true };
  }

  close(): void {
    for (const wake of [...this.waitingPolls]) wake();
  }
}
