// Orchestration cost without training: a real coordinator (SQLite store, gRPC on loopback)
// and S slots that poll and complete immediately ("no-op trials"). The slots run in a separate
// agent process (bench/noop-agent.ts), as real agents do. Reports trials/s, the dispatch
// latency (poll issued → lease in hand) and the cycle (poll issued → result acknowledged).
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoordinatorServer } from '../coordinator/grpc-server.js';
import { findPackageRoot } from '../src/package-root.js';
import { plateauBin } from './command.js';
import type { SweepSpec } from '../src/spec/sweep-spec.js';
import { gridSize } from '../src/spec/grid.js';
import { createGrpcSweepClient } from '../src/rpc/grpc-sweep-client.js';
import { formatNoopAgentArgs, parseNoopAgentMessage, type NoopAgentArgs, type NoopAgentMessage, type NoopPollMode, type NoopTransport } from './noop-agent-protocol.js';
import { quantile } from './stats.js';

/** A grid of n no-op trials (n = 10 × 10 × k): the spec is never trained. */
export function noopSpec(name: string, trials: number): SweepSpec {
  const patienceValues = Math.max(1, Math.ceil(trials / 100));
  const range = (count: number, from: number, step: number): number[] => Array.from({ length: count }, (_, i) => from + i * step);
  return {
    name,
    workload: {
      dataset: { kind: 'synthetic-regression', samples: 64, features: 2, noise: 0.1, seed: 1, validationSplit: 0.25 },
      model: { kind: 'layers', layers: [{ kind: 'dense', units: 1, activation: 'linear' }] },
      loss: 'meanSquaredError',
      metrics: [],
      optimizer: 'sgd',
      batchSize: 16,
      epochs: 1,
      seed: 1,
    },
    plateau: { monitor: 'val_loss', mode: 'auto', minDelta: 1e-4, cooldown: 0, minLr: 0 },
    grid: { learningRate: range(10, 0.001, 0.001), factor: range(10, 0.05, 0.05), patience: range(patienceValues, 0, 1) },
    repeats: 1,
    objective: { metric: 'val_loss', goal: 'minimize', use: 'final' },
    maxAttempts: 3,
  };
}

export interface OrchestrationTiming {
  readonly slots: number;
  readonly trials: number;
  /** How the slots polled: one trial per poll, or bundles (`maxBundle`) as a fusing agent does. */
  readonly mode: NoopPollMode;
  readonly transport: NoopTransport;
  readonly trialsPerSecond: number;
  /** Dispatch latency: a slot's poll issued → its lease in hand (work was queued). */
  readonly dispatchP50Ms: number;
  readonly dispatchP99Ms: number;
  /** A trial's whole cycle: poll issued → result acknowledged (durable). */
  readonly cycleP50Ms: number;
  readonly cycleP99Ms: number;
  /** CPU time (user + system) the coordinator's process spent per trial, in µs: its cost, whatever else the machine runs. */
  readonly coordinatorCpuUsPerTrial: number;
  /** The same for the agent process (its gRPC client and slots). */
  readonly agentCpuUsPerTrial: number;
}

/** The built no-op agent (child processes run built JS, also when this module runs from sources). */
function noopAgentPath(): string {
  return join(findPackageRoot(import.meta.url), 'dist', 'bench', 'noop-agent.js');
}

/** The no-op agent process: its messages in order, and its exit. */
function startNoopAgent(args: NoopAgentArgs, execArgv: readonly string[]): { readonly child: ChildProcess; next(): Promise<NoopAgentMessage> } {
  const child = fork(noopAgentPath(), formatNoopAgentArgs(args), { execArgv: [...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: NoopAgentMessage[] = [];
  const waiting: { resolve: (message: NoopAgentMessage) => void; reject: (error: Error) => void }[] = [];
  let ended: Error | undefined;
  child.on('message', (raw: unknown) => {
    let message: NoopAgentMessage;
    try {
      message = parseNoopAgentMessage(raw);
    } catch (error) {
      message = { kind: 'failed', message: String(error) };
    }
    const waiter = waiting.shift();
    if (waiter === undefined) inbox.push(message);
    else waiter.resolve(message);
  });
  child.on('exit', (code, signal) => {
    ended = new Error(`the no-op agent exited (${code ?? signal ?? 'unknown'}) before it reported`);
    for (const waiter of waiting.splice(0)) waiter.reject(ended);
  });
  return {
    child,
    next: () => {
      const queued = inbox.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      if (ended !== undefined) return Promise.reject(ended);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}

/**
 * One sweep of no-op trials through a coordinator in this process and one agent process of
 * `slots` slots, each polling and completing: `warmup` trials first (not measured: JIT and
 * connections warm up), then at least `trials` measured ones.
 */
export async function timeOrchestration(
  slots: number,
  trials: number,
  mode: NoopPollMode = { kind: 'single' },
  options: { readonly agentExecArgv?: readonly string[]; readonly transport?: NoopTransport; readonly warmup?: number } = {},
): Promise<OrchestrationTiming> {
  const transport = options.transport ?? 'session';
  const warmup = options.warmup ?? 1000;
  const dataDir = mkdtempSync(join(tmpdir(), 'plateau-bench-'));
  const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir });
  const spec = noopSpec(`noop-${slots}-${mode.kind}`, warmup + trials);
  const measured = gridSize(spec) - warmup;
  // Not this process's flags by default (a profiler's, a loader's); `agentExecArgv` profiles the agent.
  const agent = startNoopAgent({ address: server.address, slots, warmup, trials: measured, mode, transport }, options.agentExecArgv ?? []);
  try {
    const ready = await agent.next();
    if (ready.kind !== 'ready') throw new Error(`the no-op agent said ${ready.kind === 'failed' ? ready.message : ready.kind} before ready`);
    await server.coordinator.submitSweep(spec, '');
    agent.child.send({ kind: 'go' });
    // The agent says when its warm-up trials are done: the coordinator's CPU is counted from then.
    const warm = await agent.next();
    const cpuBefore = process.cpuUsage();
    const done = warm.kind === 'warm' ? await agent.next() : warm;
    const cpu = process.cpuUsage(cpuBefore);
    if (done.kind !== 'done') throw new Error(`the no-op agent failed: ${done.kind === 'failed' ? done.message : done.kind}`);
    const dispatch = [...done.dispatchMs].sort((a, b) => a - b);
    const cycle = [...done.cycleMs].sort((a, b) => a - b);
    return {
      slots,
      trials: measured,
      mode,
      transport,
      trialsPerSecond: measured / done.seconds,
      dispatchP50Ms: quantile(dispatch, 0.5),
      dispatchP99Ms: quantile(dispatch, 0.99),
      cycleP50Ms: quantile(cycle, 0.5),
      cycleP99Ms: quantile(cycle, 0.99),
      coordinatorCpuUsPerTrial: (cpu.user + cpu.system) / measured,
      agentCpuUsPerTrial: done.cpuUs / measured,
    };
  } finally {
    if (agent.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        agent.child.once('exit', () => resolve());
        // Normally it has reported and is exiting on its own; a failed run must not leave it behind.
        setTimeout(() => agent.child.kill('SIGKILL'), 5_000).unref();
      });
    }
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface QueueScaleTiming {
  readonly trials: number;
  readonly submitSeconds: number;
  readonly rssMb: number;
  readonly rssGrowthMb: number;
}

/** Resident memory of process `pid` in bytes, from /proc (Linux) or `ps` elsewhere. */
function residentBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (match?.[1] !== undefined) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: ask ps.
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
}

/**
 * A real `plateau coordinator` process (its own store, gRPC on loopback): its RSS once started,
 * then the time to submit one sweep of `trials` trials over gRPC and its RSS with all of them queued.
 */
export async function timeLargeQueue(trials: number): Promise<QueueScaleTiming> {
  const dataDir = mkdtempSync(join(tmpdir(), 'plateau-bench-'));
  const coordinator = spawn(process.execPath, [plateauBin, 'coordinator', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      coordinator.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /coordinator listening on (\S+)/.exec(out);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      coordinator.once('exit', (code) => reject(new Error(`plateau coordinator exited ${String(code)} before listening`)));
    });
    const pid = coordinator.pid ?? 0;
    const before = residentBytes(pid);
    const client = createGrpcSweepClient(address);
    try {
      const spec = noopSpec('queue-scale', trials);
      const started = performance.now();
      await client.submit(spec, '');
      const submitSeconds = (performance.now() - started) / 1000;
      const rss = residentBytes(pid);
      return { trials: gridSize(spec), submitSeconds, rssMb: rss / 2 ** 20, rssGrowthMb: (rss - before) / 2 ** 20 };
    } finally {
      client.close();
    }
  } finally {
    coordinator.kill('SIGTERM');
    await once(coordinator, 'exit');
    rmSync(dataDir, { recursive: true, force: true });
  }
}
