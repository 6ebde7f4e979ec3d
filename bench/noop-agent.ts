// The orchestration bench's load: an agent process of S slots that lease, heartbeat once and
// complete each trial at once, over the real gRPC channel an agent uses. It runs in its own
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

/** One trial's whole life on the agent side: one heartbeat with its epoch, then the result. */
async function runNoop(channel: AgentChannel, lease: TrialLease): Promise<void> {
  const ref = { leaseId: lease.leaseId, fencingToken: lease.fencingToken };
  await channel.heartbeat(ref, [{ epoch: 1, loss: 0.5, val_loss: 0.5, lr: lease.trial.config.learningRate }]);
  await channel.complete(ref, noopResult(lease));
}

async function run(args: NoopAgentArgs): Promise<{ readonly latenciesMs: readonly number[]; readonly cpuUs: number }> {
  const channel = createGrpcAgentChannel(args.address);
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
    const cpuBefore = process.cpuUsage();
    const latencies: number[] = [];
    let finished: () => void = () => undefined;
    const allDone = new Promise<void>((resolve) => (finished = resolve));
    const slot = async (): Promise<void> => {
      while (latencies.length < args.trials && !stop.signal.aborted) {
        const started = performance.now();
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
        // Members of a bundle report on their own and at once, as the agent's bundle members do.
        await Promise.all(
          leases.map(async (lease) => {
            await runNoop(channel, lease);
            latencies.push(performance.now() - started);
          }),
        );
        if (latencies.length >= args.trials) finished();
      }
    };
    const slots = Promise.all(Array.from({ length: args.slots }, slot));
    // The last result ends the run: slots still long-polling an empty queue are not waited for.
    await Promise.race([allDone, slots]);
    const cpu = process.cpuUsage(cpuBefore);
    stop.abort();
    await slots;
    return { latenciesMs: latencies, cpuUs: cpu.user + cpu.system };
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
