// `plateau run sweep.yaml`: the whole product on one machine. A coordinator on loopback
// with its SQLite store under --out, an agent with N worker processes talking to it over
// real gRPC, a live progress line, then the ranking and the winner as paste-ready code.
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { Agent } from '../../../agent/agent.js';
import { parseBackendRequest, type BackendRequest } from '../../../agent/worker-protocol.js';
import { startCoordinatorServer, type RunningCoordinator } from '../../../coordinator/grpc-server.js';
import { StoreOpenError, StoreSchemaError } from '../../../coordinator/sweep-store.js';
import type { Logger } from '../../log/logger.js';
import { buildResultsDocument, type ResultsDocument } from '../../results/results-document.js';
import { writeResultsFiles, type ResultsFilePaths } from '../../results/write-results.js';
import type { AgentChannel } from '../../rpc/agent-channel.js';
import { createGrpcAgentChannel } from '../../rpc/grpc-agent-channel.js';
import { finishedCount, type SweepProgress } from '../../rpc/sweep-progress.js';
import { loadSweepSpecFile } from '../../spec/load.js';
import { SpecError } from '../../spec/spec-error.js';
import type { SweepSpec } from '../../spec/sweep-spec.js';
import { displayPath, resultsFolderName } from '../client-command.js';
import { ExitCode } from '../exit-codes.js';
import { MetricsServerBindError } from '../../metrics/metrics-server.js';
import { EmbeddedTelemetry } from '../embedded-telemetry.js';
import { MetricsOptionError, resolveMetricsEndpoint, type MetricsCommandOptions, type MetricsEndpoint } from '../metrics-options.js';
import { nextStopSignal, programLogger } from '../program-logger.js';
import { ProgressLine, type ProgressState } from '../render/progress-bar.js';
import { renderRankingTable } from '../render/ranking-table.js';

interface RunCommandOptions extends MetricsCommandOptions {
  readonly agents: string;
  readonly out?: string;
  readonly dataDir?: string;
  readonly backend: string;
  readonly allowLarge?: boolean;
  readonly allowPaths?: boolean;
  readonly json?: boolean;
  readonly top: string;
  readonly leaseTimeout?: string;
  readonly checkpointEvery?: string;
  readonly fuse?: string;
  readonly fuseMemory?: string;
}

export class RunOptionError extends Error {
  override readonly name = 'RunOptionError';
  constructor(
    readonly option: string,
    readonly found: string,
    readonly expected: string,
  ) {
    super(`${option}: "${found}" — expected ${expected}`);
  }
}

function positiveInteger(option: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1) throw new RunOptionError(option, text, 'a positive integer');
  return value;
}

function progressState(progress: SweepProgress, startedAtMs: number, nowMs: number): ProgressState {
  const { counts, totalTrials, best } = progress.summary;
  return {
    total: totalTrials,
    done: finishedCount(counts),
    running: counts.running,
    failed: counts.failed,
    diverged: counts.diverged,
    startedAtMs,
    nowMs,
    best,
  };
}

interface RunPlan {
  readonly specFile: string;
  readonly spec: SweepSpec;
  readonly source: string;
  readonly outDir: string;
  readonly dataDir: string;
  readonly agents: number;
  readonly backend: BackendRequest;
  readonly top: number;
  readonly json: boolean;
  readonly metrics: MetricsEndpoint | null;
  /** Save trials' training state every N epochs under <out>/checkpoints (resumed after an interrupt). */
  readonly checkpointEvery: number | undefined;
  /** Most trials one slot trains at once as a fused bundle; undefined: the agent's default. */
  readonly fuse: number | undefined;
  /** Memory (MiB) one slot's fused bundle may hold; undefined: the trainer's default. */
  readonly fuseMemoryMb: number | undefined;
}

function plan(specFile: string, options: RunCommandOptions): RunPlan {
  const agents = positiveInteger('--agents', options.agents);
  const top = positiveInteger('--top', options.top);
  const backend = parseBackendRequest(options.backend);
  if (backend === null) throw new RunOptionError('--backend', options.backend, 'auto, tensorflow-gpu, tensorflow, wasm or cpu');
  const spec = loadSweepSpecFile(specFile, { allowLarge: options.allowLarge === true, allowPaths: options.allowPaths === true });
  const outDir = resolve(options.out ?? join('runs', resultsFolderName(spec.name)));
  return {
    specFile,
    spec,
    source: readFileSync(specFile, 'utf8'),
    outDir,
    dataDir: resolve(options.dataDir ?? join(outDir, 'store')),
    agents,
    backend,
    top,
    json: options.json === true,
    metrics: resolveMetricsEndpoint(undefined, options),
    checkpointEvery: options.checkpointEvery === undefined ? undefined : positiveInteger('--checkpoint-every', options.checkpointEvery),
    fuse: options.fuse === undefined ? undefined : positiveInteger('--fuse', options.fuse),
    fuseMemoryMb: options.fuseMemory === undefined ? undefined : positiveInteger('--fuse-memory', options.fuseMemory),
  };
}

function shellQuote(text: string): string {
  return /^[\w./:=@-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function resumeCommand(run: RunPlan): string {
  const out = relative(process.cwd(), run.outDir) || '.';
  // Relative on purpose: the command is meant to be pasted back into the same folder.
  return `plateau run ${shellQuote(run.specFile)} --out ${shellQuote(out)} --agents ${run.agents}`;
}

function printResults(doc: ResultsDocument, run: RunPlan, paths: ResultsFilePaths): void {
  if (run.json) {
    process.stdout.write(`${JSON.stringify({ sweepId: doc.sweep.id, results: paths, ranking: doc.ranking.slice(0, run.top), best: doc.best })}\n`);
    return;
  }
  const color = process.stdout.isTTY === true;
  const out: string[] = ['', renderRankingTable(doc, { top: run.top, color, ...(process.stdout.columns === undefined ? {} : { width: process.stdout.columns }) })];
  if (doc.best !== null) {
    out.push('', 'Best schedule — Keras (Python):', '', doc.best.snippets.keras, '', 'Best schedule — tfjs:', '', doc.best.snippets.tfjs);
  }
  out.push('', `Results: ${displayPath(paths.jsonPath)}, ${displayPath(paths.csvPath)}`, `Report:  ${displayPath(paths.reportPath)}`, '');
  process.stdout.write(out.join('\n'));
}

/** Runs the sweep to its end (or an interrupt) and returns the exit code. */
async function runSweep(run: RunPlan, logger: Logger): Promise<number> {
  const startedAtMs = Date.now();
  const stopping = new AbortController();
  const interrupted = nextStopSignal(stopping.signal).then((signal) => {
    if (signal !== null) stopping.abort('interrupted');
    return signal;
  });
  let server: RunningCoordinator | undefined;
  let telemetry: EmbeddedTelemetry | null = null;
  let agent: Agent | undefined;
  let channel: Promise<AgentChannel> | undefined;
  const progressLine = new ProgressLine(process.stderr);
  let ticker: NodeJS.Timeout | undefined;
  try {
    telemetry = run.metrics === null ? null : await EmbeddedTelemetry.start(run.metrics, run.dataDir, logger);
    const serverStarting = startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir: run.dataDir, logger, ...telemetry?.serverOptions });
    // The workers need no coordinator to load their backend: they start now, alongside it.
    const checkpoint = run.checkpointEvery === undefined ? {} : { checkpoint: { dir: join(run.outDir, 'checkpoints'), everyEpochs: run.checkpointEvery } };
    const fuse = { ...(run.fuse === undefined ? {} : { fuse: run.fuse }), ...(run.fuseMemoryMb === undefined ? {} : { fuseMemoryMb: run.fuseMemoryMb }) };
    channel = serverStarting.then((started) => createGrpcAgentChannel(started.address));
    agent = new Agent({ channel, slots: run.agents, backend: run.backend, logger, ...checkpoint, ...fuse });
    const agentStarting = agent.start();
    // Awaited below, after the server: a server that cannot start is the error to report.
    agentStarting.catch(() => undefined);
    server = await serverStarting;
    telemetry?.attachCoordinator(server);
    if (telemetry !== null) process.stderr.write(`Metrics: ${telemetry.url}\n`);
    const coordinator = server.coordinator;
    const submitted = await coordinator.submitSweep(run.spec, run.source);
    process.stderr.write(
      `${submitted.resumed ? 'Resuming' : 'Running'} sweep "${run.spec.name}" (${submitted.sweepId}): ${submitted.totalTrials} trials on ${run.agents} local agent slot${run.agents === 1 ? '' : 's'}; store ${displayPath(run.dataDir)}\n`,
    );
    telemetry?.attachAgent(agent);
    await agentStarting;
    let latest: SweepProgress | undefined;
    // The ticker keeps elapsed time and ETA moving between coordinator events.
    ticker = setInterval(() => {
      if (latest !== undefined) progressLine.update(progressState(latest, startedAtMs, Date.now()));
    }, 1_000);
    // The watch is throttled (a pause after each change): the sweep's end must not wait out that pause.
    const watching = new AbortController();
    const stopWatching = (): void => watching.abort('finished');
    stopping.signal.addEventListener('abort', stopWatching, { once: true });
    const offFinished = coordinator.events.on('sweep-finished', ({ sweepId }) => {
      if (sweepId === submitted.sweepId) stopWatching();
    });
    try {
      for await (const progress of coordinator.watch(submitted.sweepId, watching.signal)) {
        latest = progress;
        progressLine.update(progressState(progress, startedAtMs, Date.now()));
      }
    } finally {
      offFinished();
      stopping.signal.removeEventListener('abort', stopWatching);
    }
    clearInterval(ticker);
    if (!stopping.signal.aborted) latest = coordinator.progress(submitted.sweepId);
    if (latest !== undefined) progressLine.finish(progressState(latest, startedAtMs, Date.now()));
    if (stopping.signal.aborted) {
      // Trials still running are handed back to the store's queue; finished ones are kept.
      await agent.stop({ drainMs: 0 });
      const summary = coordinator.getSweep(submitted.sweepId);
      process.stderr.write(
        `\nInterrupted: ${finishedCount(summary.counts)} of ${summary.totalTrials} trials finished and are kept in ${displayPath(run.dataDir)}.\n` +
          `Resume with: ${resumeCommand(run)}\n`,
      );
      return ExitCode.interrupted;
    }
    // Every trial has its result: the files are written while the workers exit.
    const stopped = agent.stop({ drainMs: 0 });
    const doc = buildResultsDocument(coordinator.snapshot(submitted.sweepId));
    const [paths] = await Promise.all([writeResultsFiles(run.outDir, doc), stopped]);
    printResults(doc, run, paths);
    const summary = coordinator.getSweep(submitted.sweepId);
    return summary.state === 'failed' ? ExitCode.sweepFailed : ExitCode.ok;
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    stopping.abort('finished');
    await interrupted;
    await agent?.stop({ drainMs: 0 });
    // Ends the agent's session stream before the server waits on it (none when the server never started).
    await channel?.then((opened) => opened.close(), () => undefined);
    await server?.close();
    await telemetry?.close();
  }
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a whole sweep on this machine: coordinator, local agents, live progress, ranked results')
    .argument('<spec>', 'sweep spec file (YAML)')
    .option('--agents <n>', 'local agent slots (one worker process each)', '2')
    .option('--out <dir>', 'where results.json, results.csv and the store go (default: runs/<sweep name>)')
    .option('--data-dir <dir>', 'SQLite store directory (default: <out>/store); rerunning with the same store resumes')
    .option('--backend <backend>', 'auto | tensorflow-gpu | tensorflow | wasm | cpu', 'auto')
    .option('--allow-large', 'allow grids over the trial limit')
    .option('--allow-paths', "let the spec's CSV / model.json paths point outside its directory")
    .option('--top <n>', 'rows of the ranking table to print', '10')
    .option('--json', 'print a machine-readable summary on stdout instead of the table')
    .option('--checkpoint-every <epochs>', 'save trials every N epochs under <out>/checkpoints: an interrupted run resumes them mid-trial')
    .option('--fuse <k>', 'train up to K compatible trials at once per agent slot, as one fused model; 1 turns fusion off (default: 32, or 1 with --checkpoint-every)')
    .option('--fuse-memory <mb>', 'memory one slot\'s fused bundle may hold (estimated from the network); a bigger bundle trains in chunks (default: 1024)')
    .option('--metrics-port <port>', 'serve Prometheus /metrics and /healthz on this port while the sweep runs (0: any free port; default: off)')
    .option('--metrics-host <host>', 'address the metrics server listens on', '127.0.0.1')
    .addHelpText('after', '\nExample:\n  $ plateau run examples/quick.yaml --agents 2 --out runs/quick\n')
    .action(async (specFile: string, options: RunCommandOptions) => {
      const logger = programLogger(program, 'warn');
      let run: RunPlan;
      try {
        run = plan(specFile, options);
      } catch (error) {
        if (error instanceof SpecError) {
          process.stderr.write(`${error.format()}\n`);
          process.exitCode = ExitCode.badInput;
          return;
        }
        if (error instanceof RunOptionError || error instanceof MetricsOptionError) {
          process.stderr.write(`${error.message}\n`);
          process.exitCode = ExitCode.badInput;
          return;
        }
        throw error;
      }
      try {
        process.exitCode = await runSweep(run, logger);
      } catch (error) {
        if (error instanceof MetricsServerBindError) {
          process.stderr.write(`${error.message}\n`);
          process.exitCode = ExitCode.badInput;
          return;
        }
        if (!(error instanceof StoreOpenError || error instanceof StoreSchemaError)) throw error;
        process.stderr.write(`${error.message}\nMove the file aside (its sweeps are lost to this run) or pass another --data-dir.\n`);
        process.exitCode = ExitCode.badInput;
      }
    });
}
