// The agent's end of AgentSession: lease calls as frames on one long-lived bidirectional
// stream, each answer matched back to its caller by call id. Failures come back as
// ServiceError-shaped errors with the status the unary call would have ended with, so the
// channel maps both transports' errors the same way.
import { Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import type * as wire from '../../gen/plateau/v1/coordinator.js';
import { trialIdMetadataKey } from './grpc-call.js';

type Call = NonNullable<wire.AgentFrame['call']>;
type Answer = NonNullable<wire.CoordinatorFrame['answer']>;
type SessionStream = ClientDuplexStream<wire.AgentFrame, wire.CoordinatorFrame>;

/** A session call that failed: the coordinator's answer, or the stream's own failure. */
export class SessionCallError extends Error implements ServiceError {
  override readonly name = 'SessionCallError';
  readonly metadata = new Metadata();
  constructor(
    readonly code: status,
    readonly details: string,
    trialId = '',
  ) {
    super(`${status[code] ?? code}: ${details}`);
    if (trialId !== '') this.metadata.set(trialIdMetadataKey, trialId);
  }
}

interface PendingCall {
  readonly resolve: (answer: Answer) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class AgentSessionClient {
  private stream: SessionStream | null = null;
  private readonly pending = new Map<number, PendingCall>();
  private nextCallId = 1;
  private closed = false;

  /** `open` starts a new AgentSession call (with the channel's interceptors and options). */
  constructor(private readonly open: () => SessionStream) {}

  /** Sends one call and resolves with its answer; rejects with a SessionCallError (or the signal's reason). */
  call(call: Call, options: { readonly deadlineMs: number; readonly signal?: AbortSignal | undefined }): Promise<Answer> {
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (this.closed) return Promise.reject(new SessionCallError(status.CANCELLED, 'the channel is closed'));
    const stream = this.currentStream();
    const callId = this.nextCallId++;
    return new Promise<Answer>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.settle(callId)) return;
        // A waiting poll would otherwise hold a place in the coordinator's queue of polls.
        if (call.$case === 'poll') this.send(stream, { callId, call: { $case: 'cancelPoll', value: {} } });
        reject(new SessionCallError(status.CANCELLED, 'cancelled by the caller'));
      };
      const timer = setTimeout(() => {
        if (!this.settle(callId)) return;
        reject(new SessionCallError(status.DEADLINE_EXCEEDED, `no answer within ${options.deadlineMs} ms`));
        // No answer in time: the connection may be dead without saying so. Start over on a new stream.
        this.reset(stream, new SessionCallError(status.UNAVAILABLE, 'the session was reset after a call passed its deadline'));
      }, options.deadlineMs);
      this.pending.set(callId, { resolve, reject, timer, signal, onAbort });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.send(stream, { callId, call });
    });
  }

  /** Fails the calls in flight and ends the stream. */
  close(): void {
    this.closed = true;
    const stream = this.stream;
    if (stream === null) return;
    const busy = this.pending.size > 0;
    this.failAll(new SessionCallError(status.CANCELLED, 'the channel is closed'));
    this.stream = null;
    // Idle: a clean half-close. Busy: cancel, so the coordinator lets the waiting polls go now.
    if (busy) stream.cancel();
    else stream.end();
  }

  private currentStream(): SessionStream {
    if (this.stream !== null) return this.stream;
    const stream = this.open();
    stream.on('data', (frame: wire.CoordinatorFrame) => {
      const call = this.pending.get(frame.callId);
      if (call === undefined || !this.settle(frame.callId)) return;
      const answer = frame.answer;
      if (answer === undefined) call.reject(new SessionCallError(status.INTERNAL, 'CoordinatorFrame.answer: empty'));
      else if (answer.$case === 'error') call.reject(new SessionCallError(answer.value.code, answer.value.details, answer.value.trialId));
      else call.resolve(answer);
    });
    stream.on('error', (error: ServiceError) => this.reset(stream, new SessionCallError(error.code, error.details === '' ? error.message : error.details)));
    // The coordinator ended the session (shutting down): calls still open will not be answered.
    stream.on('end', () => this.reset(stream, new SessionCallError(status.UNAVAILABLE, 'the coordinator ended the session')));
    this.stream = stream;
    return stream;
  }

  private send(stream: SessionStream, frame: wire.AgentFrame): void {
    if (stream === this.stream) stream.write(frame);
  }

  /** Removes a call from the table; false when it was already settled. */
  private settle(callId: number): boolean {
    const call = this.pending.get(callId);
    if (call === undefined) return false;
    this.pending.delete(callId);
    clearTimeout(call.timer);
    call.signal?.removeEventListener('abort', call.onAbort);
    return true;
  }

  /** Drops a broken stream (the next call opens a new one) and fails the calls it carried. */
  private reset(stream: SessionStream, error: SessionCallError): void {
    if (this.stream !== stream) return;
    this.stream = null;
    this.failAll(error);
    stream.cancel();
  }

  private failAll(error: SessionCallError): void {
    for (const [callId, call] of [...this.pending]) {
      this.settle(callId);
      call.reject(error);
    }
  }
}
