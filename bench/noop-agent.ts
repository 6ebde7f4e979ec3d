// The orchestration bench's load: an agent process of S slots that lease and complete each
// trial at once, over the real gRPC channel an agent uses. No heartbeat: the agent's own policy
// (agent/heartbeat-schedule.ts) counts the grant as a beat and sends none for a trial shorter
// than its epoch flush (1 s); the epochs travel with the result. It runs in its own
// process, as agents do, so the coordinator's process measures only the coordinator.
// Started by bench/orchestration.ts with the arguments of formatNoopAgentArgs; says `ready`
// once registered, starts on `go`, and reports every trial's latency in `done`.
import { setMaxListeners } from 'node:events';
import { createGrpcAgentChannel } from '../src/rpc/grpc-agent-channel.js';
import type { AgentChannel, TrialLease } from '../src/rpc/agent-channel.js';
import type { TrialResult } from '../src/trial/types.js';
import { isNoopAgentGo, parseNoopAgentArgs, type NoopAgentArgs, type NoopAgentMessage } from './noop-agent-protocol.js';

function send(message: NoopAgentMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) throw new Error('noop-agent runs as a child process with an IPC channel');
    process.send(message, undefined, {}, () => resolve());
  });
}

function noopResult(lease: TrialLease): TrialResult {
  return {
    trialId: lease.trialId,
    outcome: { status: 'succeeded' },
    history: [{ epoch: 1, loss: 0.5, val_loss: 0.5, lr: lease.trial.config.learningRate }],
    lrReductions: [],
    objective: 0.5,
    wallSeconds: 0,
    backend: 'cpu',
    seed: lease.trial.seed,
  };
}

/** One trial's whole life on the agent side: its result, with its one epoch. */
async function runNoop(channel: AgentChannel, lease: TrialLease): Promise<void> {
  await channel.complete({ leaseId: lease.leaseId, fencingToken: lease.fencingToken }, noopResult(lease));
}

type Measured = Omit<Extract<NoopAgentMessage, { kind: 'done' }>, 'kind'>;

async function run(args: NoopAgentArgs): Promise<Measured> {
  const channel = createGrpcAgentChannel(args.address, { transport: args.transport });
  const stop = new AbortController();
  // Every slot's poll listens on it.
  setMaxListeners(0, stop.signal);
  try {
    const { agentId } = await channel.register({ hostname: 'bench', slots: args.slots, backend: 'cpu', version: 'bench' });
    const go = new Promise<void>((resolve) => {
      const onMessage = (message: unknown): void => {
        if (!isNoopAgentGo(message)) return;
        process.off('message', onMessage);
        resolve();
      };
      process.on('message', onMessage);
    });
    await send({ kind: 'ready', agentId });
    await go;
    const total = args.warmup + args.trials;
    let completed = 0;
    // Set once the warm-up trials are done; trials polled from then on are measured.
    const span: { start?: { readonly ms: number; readonly cpu: NodeJS.CpuUsage }; end?: { readonly ms: number; readonly cpu: NodeJS.CpuUsage } } = {};
    const dispatch: number[] = [];
    const cycle: number[] = [];
    let finished: () => void = () => undefined;
    const allDone = new Promise<void>((resolve) => (finished = resolve));
    const startMeasuring = (): void => {
      span.start = { ms: performance.now(), cpu: process.cpuUsage() };
      void send({ kind: 'warm' });
    };
    if (args.warmup === 0) startMeasuring();
    const slot = async (): Promise<void> => {
      while (completed < total && !stop.signal.aborted) {
        const started = performance.now();
        const measured = span.start !== undefined;
        let leases: readonly TrialLease[];
        try {
          if (args.mode.kind === 'single') {
            const lease = await channel.poll({ agentId, waitMs: 200 }, stop.signal);
            leases = lease === null ? [] : [lease];
          } else {
            leases = (await channel.pollBundle?.({ agentId, waitMs: 200, maxBundle: args.mode.maxBundle }, stop.signal)) ?? [];
          }
        } catch (error) {
          if (stop.signal.aborted) return;
          throw error;
        }
        const leased = performance.now();
        // Members of a bundle report on their own and at once, as the agent's bundle members do.
        await Promise.all(
          leases.map(async (lease) => {
            await runNoop(channel, lease);
            completed += 1;
            if (measured) {
              dispatch.push(leased - started);
              cycle.push(performance.now() - started);
            }
            if (completed === args.warmup) startMeasuring();
            if (completed === total) {
              span.end = { ms: performance.now(), cpu: process.cpuUsage() };
              finished();
            }
          }),
        );
      }
    };
    const slots = Promise.all(Array.from({ length: args.slots }, slot));
    // The last result ends the run: slots still long-polling an empty queue are not waited for.
    await Promise.race([allDone, slots]);
    stop.abort();
    await slots;
    const { start, end } = span;
    if (start === undefined || end === undefined) throw new Error(`the slots stopped after ${completed} of ${total} trials`);
    const cpuUs = end.cpu.user - start.cpu.user + (end.cpu.system - start.cpu.system);
    return { dispatchMs: dispatch, cycleMs: cycle, seconds: (end.ms - start.ms) / 1000, cpuUs };
  } finally {
    stop.abort();
    channel.close();
  }
}

try {
  await send({ kind: 'done', ...(await run(parseNoopAgentArgs(process.argv.slice(2)))) });
} catch (error) {
  await send({ kind: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  process.exitCode = 1;
}
process.disconnect();
