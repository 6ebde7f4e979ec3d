// What the orchestration bench and its no-op agent process (bench/noop-agent.ts) say to each
// other over the child's IPC channel. Pure: parsing and the argument list, tested without a process.

/** How a slot asks for work: one trial per poll, or bundles of up to maxBundle (as a fusing agent does). */
export type NoopPollMode = { readonly kind: 'single' } | { readonly kind: 'bundle'; readonly maxBundle: number };

export interface NoopAgentArgs {
  readonly address: string;
  readonly slots: number;
  /** Trials the slots complete between them before they report. */
  readonly trials: number;
  readonly mode: NoopPollMode;
}

/** Child → parent. */
export type NoopAgentMessage =
  | { readonly kind: 'ready'; readonly agentId: string }
  /** Per completed trial: poll issued → result acknowledged, in ms (unsorted); CPU time (user + system) from go to done. */
  | { readonly kind: 'done'; readonly latenciesMs: readonly number[]; readonly cpuUs: number }
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
  return [args.address, String(args.slots), String(args.trials), mode];
}

export function parseNoopAgentArgs(argv: readonly string[]): NoopAgentArgs {
  const [address, slots, trials, mode] = argv;
  if (address === undefined || address === '') throw new NoopAgentProtocolError('an address to dial', argv);
  let pollMode: NoopPollMode;
  if (mode === 'single') pollMode = { kind: 'single' };
  else if (mode?.startsWith('bundle:') === true) pollMode = { kind: 'bundle', maxBundle: positiveInteger(mode.slice('bundle:'.length), 'maxBundle') };
  else throw new NoopAgentProtocolError('a mode: single or bundle:K', mode);
  return { address, slots: positiveInteger(slots, 'slots'), trials: positiveInteger(trials, 'trials'), mode: pollMode };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function parseNoopAgentMessage(value: unknown): NoopAgentMessage {
  if (!isRecord(value)) throw new NoopAgentProtocolError('a message object', value);
  switch (value['kind']) {
    case 'ready':
      if (typeof value['agentId'] !== 'string') break;
      return { kind: 'ready', agentId: value['agentId'] };
    case 'done': {
      const latencies = value['latenciesMs'];
      const cpuUs = value['cpuUs'];
      if (!Array.isArray(latencies) || !latencies.every((item): item is number => typeof item === 'number') || typeof cpuUs !== 'number') break;
      return { kind: 'done', latenciesMs: latencies, cpuUs };
    }
    case 'failed':
      if (typeof value['message'] !== 'string') break;
      return { kind: 'failed', message: value['message'] };
    default:
      break;
  }
  throw new NoopAgentProtocolError('ready, done or failed', value);
}

export function isNoopAgentGo(value: unknown): value is NoopAgentGo {
  return isRecord(value) && value['kind'] === 'go';
}
