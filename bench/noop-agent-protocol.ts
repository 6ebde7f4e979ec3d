// What the orchestration bench and its no-op agent process (bench/noop-agent.ts) say to each
// other over the child's IPC channel. Pure: parsing and the argument list, tested without a process.

/** How a slot asks for work: one trial per poll, or bundles of up to maxBundle (as a fusing agent does). */
export type NoopPollMode = { readonly kind: 'single' } | { readonly kind: 'bundle'; readonly maxBundle: number };

/** How the lease calls travel (GrpcAgentChannelOptions.transport): the agent's default is 'session'. */
export type NoopTransport = 'session' | 'unary';

export interface NoopAgentArgs {
  readonly address: string;
  readonly slots: number;
  /** Trials completed first to warm both processes up (JIT, caches, connections): not measured. */
  readonly warmup: number;
  /** Trials the slots complete between them, after the warm-up, before they report. */
  readonly trials: number;
  readonly mode: NoopPollMode;
  readonly transport: NoopTransport;
}

/** Child → parent. */
export type NoopAgentMessage =
  | { readonly kind: 'ready'; readonly agentId: string }
  /** The warm-up trials are done: measuring starts now. */
  | { readonly kind: 'warm' }
  /**
   * Per measured trial (its poll issued after the warm-up), in ms, unsorted: dispatch = poll
   * issued → lease in hand; cycle = poll issued → result acknowledged. `seconds`: from the end of
   * the warm-up to the last measured result; `cpuUs`: CPU time (user + system) over that span.
   */
  | { readonly kind: 'done'; readonly dispatchMs: readonly number[]; readonly cycleMs: readonly number[]; readonly seconds: number; readonly cpuUs: number }
  | { readonly kind: 'failed'; readonly message: string };

/** Parent → child: the sweep is submitted, start polling. */
export interface NoopAgentGo {
  readonly kind: 'go';
}

export class NoopAgentProtocolError extends Error {
  override readonly name = 'NoopAgentProtocolError';
  constructor(
    readonly what: string,
    readonly received: unknown,
  ) {
    super(`no-op agent protocol: ${what}`);
  }
}

function positiveInteger(text: string | undefined, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new NoopAgentProtocolError(`${name} must be a positive integer`, text);
  return value;
}

export function formatNoopAgentArgs(args: NoopAgentArgs): string[] {
  const mode = args.mode.kind === 'single' ? 'single' : `bundle:${args.mode.maxBundle}`;
  return [args.address, String(args.slots), String(args.warmup), String(args.trials), mode, args.transport];
}

export function parseNoopAgentArgs(argv: readonly string[]): NoopAgentArgs {
  const [address, slots, warmup, trials, mode, transport] = argv;
  if (address === undefined || address === '') throw new NoopAgentProtocolError('an address to dial', argv);
  let pollMode: NoopPollMode;
  if (mode === 'single') pollMode = { kind: 'single' };
  else if (mode?.startsWith('bundle:') === true) pollMode = { kind: 'bundle', maxBundle: positiveInteger(mode.slice('bundle:'.length), 'maxBundle') };
  else throw new NoopAgentProtocolError('a mode: single or bundle:K', mode);
  if (transport !== 'session' && transport !== 'unary') throw new NoopAgentProtocolError('a transport: session or unary', transport);
  const warmupCount = Number(warmup);
  if (!Number.isInteger(warmupCount) || warmupCount < 0) throw new NoopAgentProtocolError('warmup must be a non-negative integer', warmup);
  return { address, slots: positiveInteger(slots, 'slots'), warmup: warmupCount, trials: positiveInteger(trials, 'trials'), mode: pollMode, transport };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isNumberList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'number');
}

export function parseNoopAgentMessage(value: unknown): NoopAgentMessage {
  if (!isRecord(value)) throw new NoopAgentProtocolError('a message object', value);
  switch (value['kind']) {
    case 'ready':
      if (typeof value['agentId'] !== 'string') break;
      return { kind: 'ready', agentId: value['agentId'] };
    case 'warm':
      return { kind: 'warm' };
    case 'done': {
      const { dispatchMs, cycleMs, seconds, cpuUs } = value;
      if (!isNumberList(dispatchMs) || !isNumberList(cycleMs) || typeof seconds !== 'number' || typeof cpuUs !== 'number') break;
      return { kind: 'done', dispatchMs, cycleMs, seconds, cpuUs };
    }
    case 'failed':
      if (typeof value['message'] !== 'string') break;
      return { kind: 'failed', message: value['message'] };
    default:
      break;
  }
  throw new NoopAgentProtocolError('ready, warm, done or failed', value);
}

export function isNoopAgentGo(value: unknown): value is NoopAgentGo {
  return isRecord(value) && value['kind'] === 'go';
}
