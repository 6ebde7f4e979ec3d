// The sweep's scale-out from 1 to 2 slots with the agent already running, as users who scale
// agents run it: a long-lived coordinator and `plateau agent --slots N`, sweeps submitted to
// them. Timed: submit → the coordinator records the sweep finished. Not timed: CLI and worker
// start-up, lazy imports, JIT and loading the dataset (a warm-up sweep on the same data, in every
// slot, runs first), and results files. The whole-command figure (bench/scale-out.ts) keeps
// about 1 s of such fixed cost that slots cannot shrink; this one is what a second slot does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { startCoordinatorServer, type RunningCoordinator } from '../coordinator/grpc-server.js';
import { loadSweepSpecFile } from '../src/spec/load.js';
import type { SweepSpec } from '../src/spec/sweep-spec.js';
import { plateauBin } from './command.js';
import { medianMachineParallelism, timeMachineParallelismRound, type MachineParallelism } from './machine-parallelism.js';
import { movedPart, slotMemberEpochs, sweepBatchesPerEpoch, type MovedPart } from './scale-out.js';
import { figure, median } from './stats.js';

/** Epochs of the warm-up sweep: enough for the kernels' JIT and a learning-rate cut or two. */
const WARM_UP_EPOCHS = 5;
/** Warm-up sweeps tried before giving up on every slot having trained one bundle. */
const WARM_UP_TRIES = 3;

export interface WarmScaleOutSpec {
  readonly label: string;
  readonly specFile: string;
}

/**
 * The warm-up sweep for `spec`: its workload (same dataset, same network: the workers load and
 * cache the data, the kernels compile for these shapes) with a few epochs, one seed, under a
 * name of its own so it is a sweep of its own.
 */
export function warmUpSpec(spec: SweepSpec, attempt: number): SweepSpec {
  return { ...spec, name: `${spec.name}-warm-up-${attempt}`, workload: { ...spec.workload, epochs: Math.min(WARM_UP_EPOCHS, spec.workload.epochs) }, repeats: 1 };
}

const bundleStartedSchema = z.object({ event: z.literal('bundle.started'), slot: z.number(), sweep: z.string(), trials: z.array(z.string()) });

/** What the agent's JSON log tells about one sweep: the bundles dealt, and parts moved between slots after. */
export interface AgentLogFacts {
  readonly bundles: readonly { readonly slot: number; readonly trials: readonly string[] }[];
  /** Parts of bundles that moved between slots in the window. */
  readonly parts: readonly MovedPart[];
}

/**
 * Reads the agent's JSON log lines for sweep `sweepId` (bundles carry their sweep; moved parts
 * are counted for the whole window), whose trials train `batchesPerEpoch` batches an epoch.
 */
export function agentLogFacts(lines: readonly string[], sweepId: string, batchesPerEpoch: number): AgentLogFacts {
  const bundles: { slot: number; trials: string[] }[] = [];
  const parts: MovedPart[] = [];
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const bundle = bundleStartedSchema.safeParse(parsed);
    const part = movedPart(parsed, batchesPerEpoch);
    if (bundle.success && bundle.data.sweep === sweepId) bundles.push({ slot: bundle.data.slot, trials: bundle.data.trials });
    else if (part !== undefined) parts.push(part);
  }
  return { bundles, parts };
}

/** A `plateau agent` child process and its log lines so far. */
interface AgentProcess {
  readonly child: ChildProcess;
  readonly logLines: string[];
  /** Rejects when the agent exits: every wait races it, so a dead agent never hangs the bench. */
  readonly exited: Promise<never>;
}

function startAgent(address: string, slots: number): AgentProcess {
  const child = spawn(
    process.execPath,
    [plateauBin, '--log-format', 'json', '--log-level', 'info', 'agent', '--coordinator', address, '--slots', String(slots), '--metrics-port', 'off'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logLines: string[] = [];
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    logLines.push(...lines);
  });
  child.stdout?.resume();
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`plateau agent --slots ${slots} exited (${code ?? signal ?? 'unknown'}): ${logLines.slice(-5).join('\n')}`)));
  });
  // Only read when raced; the rejection is still "handled" for processes that exit on purpose.
  exited.catch(() => undefined);
  return { child, logLines, exited };
}

async function stopAgent(agent: AgentProcess): Promise<void> {
  if (agent.child.exitCode !== null || agent.child.signalCode !== null) return;
  const exit = new Promise<void>((resolve) => agent.child.once('exit', () => resolve()));
  agent.child.kill('SIGTERM');
  // It is idle, so it drains at once; one that does not must not outlive the bench.
  const kill = setTimeout(() => agent.child.kill('SIGKILL'), 10_000);
  await exit;
  clearTimeout(kill);
}

/** Resolves once `ready()` holds, checking every few ms; rejects after `timeoutMs` or when the agent exits. */
async function waitUntil(ready: () => boolean, agent: AgentProcess, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!ready()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 5)), agent.exited]);
  }
}

/** Every slot waits in a poll and no lease is held: the agent is idle and asking for work. */
function agentIdle(server: RunningCoordinator, slots: number): boolean {
  const stats = server.coordinator.stats();
  return stats.pendingPolls >= slots && stats.leasesHeld === 0 && stats.queued === 0;
}

/** Submits `spec` and resolves with the seconds until the coordinator recorded it finished, and its id. */
async function runSweep(server: RunningCoordinator, agent: AgentProcess, spec: SweepSpec): Promise<{ readonly sweepId: string; readonly seconds: number }> {
  let finishedAt = 0;
  let state = '';
  let id = '';
  const finished = new Promise<void>((resolve) => {
    const unsubscribe = server.coordinator.events.on('sweep-finished', (event) => {
      if (event.sweepId !== id) return;
      finishedAt = performance.now();
      state = event.state;
      unsubscribe();
      resolve();
    });
  });
  const started = performance.now();
  // submitSweep is synchronous: no event of this sweep can fire before `id` is set.
  const submitted = await server.coordinator.submitSweep(spec, '');
  id = submitted.sweepId;
  if (submitted.resumed) throw new Error(`sweep ${spec.name} was already in this store: a timed sweep must be new`);
  await Promise.race([finished, agent.exited]);
  if (state !== 'succeeded') throw new Error(`sweep ${spec.name} ended ${state}`);
  return { sweepId: id, seconds: (finishedAt - started) / 1000 };
}

/** One timed sweep on a warm agent. */
export interface WarmSweepRun {
  readonly seconds: number;
  /** Physical member-epochs each slot trained: the bundles as dealt, then the parts that moved. */
  readonly slotWork: readonly number[];
  readonly partsTaken: number;
}

/** A coordinator in this process (SQLite store, gRPC on 127.0.0.1) and one warm `plateau agent --slots N` child. */
interface WarmAgent {
  readonly slots: number;
  readonly server: RunningCoordinator;
  readonly agent: AgentProcess;
  readonly dataDir: string;
}

/** Starts the coordinator and agent, then runs warm-up sweeps until every slot has trained a bundle. */
async function startWarmAgent(slots: number, warmUp: SweepSpec): Promise<WarmAgent> {
  const dataDir = mkdtempSync(join(tmpdir(), 'plateau-bench-warm-'));
  const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir });
  const agent = startAgent(server.address, slots);
  const warm: WarmAgent = { slots, server, agent, dataDir };
  try {
    await idle(warm, `the ${slots}-slot agent to start and poll`);
    for (let attempt = 1; ; attempt++) {
      const from = agent.logLines.length;
      const { sweepId } = await runSweep(server, agent, warmUpSpec(warmUp, attempt));
      await idle(warm, 'the agent to be idle after its warm-up');
      const warmed = new Set(agentLogFacts(agent.logLines.slice(from), sweepId, await sweepBatchesPerEpoch(warmUp)).bundles.map((bundle) => bundle.slot));
      if (warmed.size >= slots) break;
      if (attempt >= WARM_UP_TRIES) throw new Error(`after ${attempt} warm-up sweeps only slots ${[...warmed].join(', ')} of ${slots} had trained a bundle`);
    }
    return warm;
  } catch (error) {
    await stopWarmAgent(warm);
    throw error;
  }
}

function idle(warm: WarmAgent, what: string): Promise<void> {
  return waitUntil(() => agentIdle(warm.server, warm.slots), warm.agent, 60_000, what);
}

async function stopWarmAgent(warm: WarmAgent): Promise<void> {
  await stopAgent(warm.agent);
  await warm.server.close();
  rmSync(warm.dataDir, { recursive: true, force: true });
}

/** One timed sweep of `spec` (under `name`) on a warm agent, which is idle again when this resolves. */
async function timeSweep(warm: WarmAgent, spec: SweepSpec, name: string): Promise<WarmSweepRun> {
  const from = warm.agent.logLines.length;
  const { sweepId, seconds } = await runSweep(warm.server, warm.agent, { ...spec, name });
  // Idle again: every log line of this sweep is in, and the next one starts from the same state.
  await idle(warm, `the agent to be idle after ${name}`);
  const facts = agentLogFacts(warm.agent.logLines.slice(from), sweepId, await sweepBatchesPerEpoch(spec));
  const trials = warm.server.coordinator.snapshot(sweepId).trials.map((trial) => ({ id: trial.spec.id, lrs: (trial.result?.history ?? []).map((epoch) => epoch.lr) }));
  return { seconds, slotWork: slotMemberEpochs(trials, facts.bundles, facts.parts), partsTaken: facts.parts.length };
}

/** The run of median time among `runs`. */
function medianRun(runs: readonly WarmSweepRun[]): WarmSweepRun {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (middle === undefined) throw new Error('no timed run');
  return middle;
}

export interface WarmScaleOutRound {
  readonly machine: MachineParallelism | null;
  /** Per spec, in the order given. */
  readonly oneSlot: readonly WarmSweepRun[];
  readonly twoSlots: readonly WarmSweepRun[];
}

export interface WarmScaleOutFigures {
  readonly labels: readonly string[];
  readonly rounds: readonly WarmScaleOutRound[];
  /** Timed runs of each spec per agent in a round. */
  readonly perRound: number;
  /** Medians over the rounds; null when the machine figure was not measured. */
  readonly machine: MachineParallelism | null;
}

/**
 * `runs` rounds, each: the machine's 2-process figure (unless `measureMachine` is false), then a
 * warm 1-slot agent and a warm 2-slot agent side by side (an idle agent only waits in its poll),
 * and every spec timed `perRound` times on each, alternating 1 slot and 2 slots. The machine's
 * ability to run two processes at full speed drifts over seconds to minutes on a shared machine:
 * alternating puts each 2-slot sweep next to a 1-slot one, and the machine figure next to both.
 */
export async function timeWarmScaleOut(
  specs: readonly WarmScaleOutSpec[],
  runs: number,
  options: { readonly measureMachine?: boolean; readonly perRound?: number; readonly onProgress?: (line: string) => void } = {},
): Promise<WarmScaleOutFigures> {
  const loaded = specs.map((spec) => loadSweepSpecFile(spec.specFile));
  const first = loaded[0];
  if (first === undefined) return { labels: [], rounds: [], perRound: 0, machine: null };
  const perRound = options.perRound ?? 2;
  const rounds: WarmScaleOutRound[] = [];
  for (let round = 1; round <= runs; round++) {
    const roundStarted = performance.now();
    const machine = options.measureMachine === false ? null : await timeMachineParallelismRound();
    const one = await startWarmAgent(1, first);
    let two: WarmAgent | undefined;
    try {
      two = await startWarmAgent(2, first);
      const oneSlot: WarmSweepRun[] = [];
      const twoSlots: WarmSweepRun[] = [];
      for (const spec of loaded) {
        const onOne: WarmSweepRun[] = [];
        const onTwo: WarmSweepRun[] = [];
        for (let repeat = 1; repeat <= perRound; repeat++) {
          const name = `${spec.name}-round-${round}-${repeat}`;
          onOne.push(await timeSweep(one, spec, name));
          onTwo.push(await timeSweep(two, spec, name));
        }
        oneSlot.push(medianRun(onOne));
        twoSlots.push(medianRun(onTwo));
      }
      rounds.push({ machine, oneSlot, twoSlots });
      options.onProgress?.(
        `warm round ${round}/${runs}: ${specs.map((spec, index) => `${spec.label.split(' ')[0] ?? ''} ${figure(oneSlot[index]?.seconds ?? Number.NaN)} → ${figure(twoSlots[index]?.seconds ?? Number.NaN)} s`).join(', ')}${machine === null ? '' : `; machine ${figure(machine.speedUp)}×`} (round took ${figure((performance.now() - roundStarted) / 1000, 0)} s)`,
      );
    } finally {
      await stopWarmAgent(one);
      if (two !== undefined) await stopWarmAgent(two);
    }
  }
  const measured = rounds.flatMap((round) => (round.machine === null ? [] : [round.machine]));
  return { labels: specs.map((spec) => spec.label), rounds, perRound, machine: measured.length === 0 ? null : medianMachineParallelism(measured) };
}

export function warmScaleOutSection(figures: WarmScaleOutFigures): string[] {
  const runs = figures.rounds.length;
  const seconds = (pick: (round: WarmScaleOutRound) => readonly WarmSweepRun[], index: number): number[] => figures.rounds.map((round) => pick(round)[index]?.seconds ?? Number.NaN);
  const machine = figures.machine;
  return [
    '## Sweep: scale-out from 1 to 2 slots with the agent already running',
    '',
    'A coordinator (SQLite store, gRPC on 127.0.0.1) in the bench process and a `plateau agent --slots N` process, as users run',
    'them for many sweeps. Timed: the sweep submitted → the coordinator records it finished (all results stored). Not timed: process',
    'and worker start-up, imports, JIT and loading the dataset (a 5-epoch warm-up sweep on the same data trained in every slot first),',
    `and no results files. A warm 1-slot agent and a warm 2-slot agent wait side by side (an idle agent only waits in its poll); each`,
    `round times every sweep ${figures.perRound} times on each, alternating 1 slot and 2 slots, and keeps the median; the table is the median of`,
    `${runs} rounds. Work: physical member-epochs each slot trained (its bundles, less and plus the parts that moved between slots);`,
    'ceiling: 1-slot work ÷ the busiest slot\'s.',
    '',
    '| sweep | 1 slot (s) | 2 slots (s) | speed-up 1 → 2 | scale-out efficiency | work per slot, 2 slots | parts moved between slots | ceiling |',
    '|---|---:|---:|---:|---:|---|---:|---:|',
    ...figures.labels.map((label, index) => {
      const t1 = median(seconds((round) => round.oneSlot, index));
      const t2 = median(seconds((round) => round.twoSlots, index));
      const two = figures.rounds.map((round) => round.twoSlots[index]).filter((run): run is WarmSweepRun => run !== undefined);
      const busiest = (run: WarmSweepRun): number => Math.max(0, ...run.slotWork);
      const typical = [...two].sort((a, b) => busiest(a) - busiest(b))[Math.floor(two.length / 2)];
      const total = typical === undefined ? Number.NaN : typical.slotWork.reduce((sum, work) => sum + work, 0);
      const ceiling = typical === undefined ? Number.NaN : total / busiest(typical);
      return `| ${label} | ${figure(t1)} | ${figure(t2)} | **${figure(t1 / t2)}×** | ${figure((100 * t1) / t2 / 2, 0)}% | ${typical?.slotWork.map((work) => figure(work, 1)).join(' + ') ?? '—'} | ${median(two.map((run) => run.partsTaken))} | ${figure(ceiling)}× |`;
    }),
    '',
    ...(machine === null
      ? []
      : [
          `The machine's own ceiling, measured in the same rounds: one process trains the 27-config bundle on the wasm kernels in ${figure(machine.aloneSeconds)} s`,
          `alone; two processes, one bundle each, at once take ${figure(machine.togetherSeconds)} s (the slower of the two), so two kernel-bound slots get`,
          `**${figure(machine.speedUp)}×** the work of one out of this machine, whatever the split (bench/machine-parallelism.ts, median of ${runs}).`,
          ...(machine.perCpuSeconds === null
            ? []
            : [
                `The same process alone, pinned to one CPU (taskset): ${machine.perCpuSeconds.map((seconds, cpu) => `CPU ${cpu} ${figure(seconds)} s`).join(', ')}. A 2-slot run always has a`,
                'slot on each, a 1-slot run trains wherever the scheduler puts it; work stealing evens out CPUs of unequal speed.',
              ]),
          'Per round:',
          '',
          `| round | machine, 2 processes ÷ 1 | alone on CPU 0 / CPU 1 (s) | ${figures.labels.map((label) => `${label.split(' ')[0] ?? label}: 1 → 2 slots (s)`).join(' | ')} |`,
          `|---:|---:|---:|${figures.labels.map(() => '---:').join('|')}|`,
          ...figures.rounds.map((round, r) => {
            const cells = figures.labels.map((_, index) => {
              const t1 = round.oneSlot[index]?.seconds ?? Number.NaN;
              const t2 = round.twoSlots[index]?.seconds ?? Number.NaN;
              return `${figure(t1)} → ${figure(t2)} (${figure(t1 / t2)}×)`;
            });
            const perCpu = round.machine?.perCpuSeconds ?? null;
            return `| ${r + 1} | ${round.machine === null ? '—' : `${figure(round.machine.speedUp)}×`} | ${perCpu === null ? '—' : perCpu.map((seconds) => figure(seconds)).join(' / ')} | ${cells.join(' | ')} |`;
          }),
          '',
        ]),
  ];
}
