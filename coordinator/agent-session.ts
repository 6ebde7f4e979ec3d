// AgentSession: an agent's lease calls (poll, heartbeat, complete, fail) multiplexed on one
// bidirectional stream. Each frame runs the same handler as its unary twin and its answer (or
// the status the unary call would have ended with) goes back under the frame's call id. A
// unary call costs a new HTTP/2 stream with headers and trailers; a frame costs one message.
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import type * as wire from '../gen/plateau/v1/coordinator.js';

/** The lease calls, as the unary handlers run them (request in, response out, domain errors thrown). */
export interface LeaseCallHandlers {
  poll(request: wire.PollTrialRequest, signal: AbortSignal): Promise<wire.PollTrialResponse>;
  heartbeat(request: wire.HeartbeatRequest): wire.HeartbeatResponse | Promise<wire.HeartbeatResponse>;
  complete(request: wire.CompleteTrialRequest): Promise<wire.CompleteTrialResponse>;
  fail(request: wire.FailTrialRequest): wire.FailTrialResponse | Promise<wire.FailTrialResponse>;
}

/** A thrown error as the status a unary call would have ended with. */
export interface CallFailure {
  readonly code: status;
  readonly details: string;
  /** Set on FAILED_PRECONDITION for a lease call: the refused lease's trial. */
  readonly trialId: string;
}

export interface AgentSessionOptions {
  readonly handlers: LeaseCallHandlers;
  readonly toFailure: (error: unknown, method: string) => CallFailure;
  /** Counted like the unary calls: by their method names. */
  readonly observeCall?: ((method: string, code: status) => void) | undefined;
}

type SessionStream = ServerDuplexStream<wire.AgentFrame, wire.CoordinatorFrame>;
type Answer = NonNullable<wire.CoordinatorFrame['answer']>;
/** A frame's call that gets an answer (a CancelPoll is acted on at once and answers nothing). */
type AnsweredCall = Exclude<NonNullable<wire.AgentFrame['call']>, { readonly $case: 'cancelPoll' }>;

const methodOf: Record<AnsweredCall['$case'], string> = {
  poll: 'PollTrial',
  heartbeat: 'Heartbeat',
  complete: 'CompleteTrial',
  fail: 'FailTrial',
};

/** One agent's stream: its calls in flight and its waiting polls. */
class AgentSession {
  private readonly waitingPolls = new Map<number, AbortController>();
  private readonly inFlight = new Set<number>();
  private idle: (() => void) | null = null;
  /** False once the session is ending: a poll arriving then is answered empty at once. */
  private accepting = true;
  /** False once our side is ended or the agent is gone: nothing more is written. */
  private open = true;

  constructor(
    private readonly stream: SessionStream,
    private readonly options: AgentSessionOptions,
    onGone: () => void,
  ) {
    stream.on('data', (frame: wire.AgentFrame) => this.receive(frame));
    // The agent ended its side: answer what is in flight, then end ours.
    stream.on('end', () => void this.end());
    const gone = (): void => {
      this.open = false;
      this.accepting = false;
      this.withdrawPolls();
      onGone();
    };
    stream.on('cancelled', gone);
    stream.on('error', gone);
    stream.on('close', onGone);
  }

  /** Stops taking frames, lets waiting polls go, answers what is in flight, then ends the stream. */
  async end(): Promise<void> {
    this.accepting = false;
    this.withdrawPolls();
    if (this.inFlight.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    if (!this.open) return;
    this.open = false;
    this.stream.end();
  }

  private withdrawPolls(): void {
    for (const abort of this.waitingPolls.values()) abort.abort();
  }

  private receive(frame: wire.AgentFrame): void {
    const { callId } = frame;
    const call = frame.call;
    if (call === undefined) {
      this.answer(callId, 'AgentFrame', { $case: 'error', value: { code: status.INVALID_ARGUMENT, details: 'AgentFrame.call: empty', trialId: '' } });
      return;
    }
    if (call.$case === 'cancelPoll') {
      this.waitingPolls.get(callId)?.abort();
      return;
    }
    const method = methodOf[call.$case];
    if (this.inFlight.has(callId)) {
      this.answer(callId, method, { $case: 'error', value: { code: status.INVALID_ARGUMENT, details: `call id ${callId} is already in flight`, trialId: '' } });
      return;
    }
    this.inFlight.add(callId);
    this.run(callId, call)
      .then(
        (answer) => this.answer(callId, method, answer),
        (error: unknown) => this.answer(callId, method, { $case: 'error', value: this.options.toFailure(error, method) }),
      )
      .finally(() => {
        this.inFlight.delete(callId);
        this.waitingPolls.delete(callId);
        if (this.inFlight.size === 0) this.idle?.();
      });
  }

  private async run(callId: number, call: AnsweredCall): Promise<Answer> {
    const { handlers } = this.options;
    switch (call.$case) {
      case 'poll': {
        // Registered before the handler runs, so a cancel or the stream's end reaches a waiting poll.
        const abort = new AbortController();
        this.waitingPolls.set(callId, abort);
        if (!this.accepting) abort.abort();
        return { $case: 'poll', value: await handlers.poll(call.value, abort.signal) };
      }
      case 'heartbeat':
        return { $case: 'heartbeat', value: await handlers.heartbeat(call.value) };
      case 'complete':
        return { $case: 'complete', value: await handlers.complete(call.value) };
      case 'fail':
        return { $case: 'fail', value: await handlers.fail(call.value) };
    }
  }

  private answer(callId: number, method: string, answer: Answer): void {
    this.options.observeCall?.(method, answer.$case === 'error' ? answer.value.code : status.OK);
    // An agent that went away gets nothing; a poll it held was withdrawn (its lease, if one was granted, expires).
    if (!this.open) return;
    this.stream.write({ callId, answer });
  }
}

/** The open sessions of one server, so that shutdown can end them. */
export class AgentSessions {
  private readonly sessions = new Set<AgentSession>();

  constructor(private readonly options: AgentSessionOptions) {}

  /** The bidi handler: serves one agent's stream until it ends. */
  readonly handle = (stream: SessionStream): void => {
    const session: AgentSession = new AgentSession(stream, this.options, () => this.sessions.delete(session));
    this.sessions.add(session);
  };

  /** Ends every session once its calls in flight are answered (their polls were let go by the coordinator's close). */
  async endAll(): Promise<void> {
    await Promise.all([...this.sessions].map((session) => session.end()));
    this.sessions.clear();
  }
}
