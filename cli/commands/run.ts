// `plateau run sweep.yaml`: the whole product on one machine. A coordinator on loopback
// with its SQLite store under --out, an agent with N worker processes talking to it over
// real gRPC, a live progress line, then the ranking and the winner as paste-ready code.
import { ArtifactStore } from '../../coordinator/artifact-store.js';
import { StoreBlobs } from '../../agent/store-blobs.js';
import { WorkloadFiles } from '../../agent/workload-files.js';
import { stageSpec, StageError } from '../../src/artifacts/stage.js';
import { createGrpcArtifactClient } from '../../src/rpc/grpc-artifact-client.js';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Agent } from '../../agent/agent.js';
import { parseBackendRequest, type BackendRequest } from '../../agent/worker-protocol.js';
import { startCoordinatorServer, type RunningCoordinator } from '../../coordinator/grpc-server.js';
import { StoreOpenError, StoreSchemaError } from '../../coordinator/sweep-store.js';
import type { Logger } from '../../src/log/logger.js';
import { buildResultsDocument, type ResultsDocument } from '../../src/results/results-document.js';
import { writeResultsFiles, type ResultsFilePaths } from '../../src/results/write-results.js';
import type { AgentChannel } from '../../src/rpc/agent-channel.js';
import { createGrpcAgentChannel } from '../../src/rpc/grpc-agent-channel.js';
import { finishedCount, type SweepProgress } from '../../src/rpc/sweep-progress.js';
import { expandGrid } from '../../src/spec/grid.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { fusionBlocker } from '../../src/train/fused/fusion-key.js';
import { SpecError } from '../../src/spec/spec-error.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import { describeSweepError } from '../../src/trial/workload-error.js';
import { displayPath, resultsFolderName } from '../client-command.js';
import { ExitCode } from '../exit-codes.js';
import { MetricsServerBindError } from '../../src/metrics/metrics-server.js';
import { EmbeddedTelemetry } from '../embedded-telemetry.js';
import { MAX_EPOCHS, MAX_FUSE, MAX_FUSE_MEMORY_MB, MAX_SLOTS, MAX_TABLE_ROWS, OptionValueError, parseInteger } from '../option-values.js';
import { resolveMetricsEndpoint, type MetricsCommandOptions, type MetricsEndpoint } from '../metrics-options.js';
import { pasteableCommand } from '../pasteable-command.js';
import { nextStopSignal, programLogger } from '../program-logger.js';
import type { TrialSpec } from '../../src/trial/types.js';
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

function progressState(progress: SweepProgress, startedAtMs: number, nowMs: number): ProgressState {
  const { counts, totalTrials, best } = progress.summary;
  return {
    total: totalTrials,
    done: finishedCount(counts),
    running: counts.running,
    failed: counts.failed,
    diverged: counts.diverged,
    stopped: counts.pruned,
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
  const agents = parseInteger(options.agents, '--agents', { max: MAX_SLOTS, what: 'of agent slots' });
  const top = parseInteger(options.top, '--top', { max: MAX_TABLE_ROWS, what: 'of rows' });
  const backend = parseBackendRequest(options.backend);
  if (backend === null) throw new OptionValueError('--backend', options.backend, 'auto, tensorflow-gpu, tensorflow, wasm or cpu');
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
    checkpointEvery: options.checkpointEvery === undefined ? undefined : parseInteger(options.checkpointEvery, '--checkpoint-every', { max: MAX_EPOCHS, what: 'of epochs' }),
    fuse: options.fuse === undefined ? undefined : parseInteger(options.fuse, '--fuse', { max: MAX_FUSE, what: 'of trials' }),
    fuseMemoryMb: options.fuseMemory === undefined ? undefined : parseInteger(options.fuseMemory, '--fuse-memory', { max: MAX_FUSE_MEMORY_MB, what: 'of MiB' }),
  };
}

/** Absolute paths and the program's own path: it works pasted into any folder. */
function resumeCommand(run: RunPlan): string {
  const dataDir = run.dataDir === join(run.outDir, 'store') ? [] : ['--data-dir', run.dataDir];
  const backend = run.backend === 'auto' ? [] : ['--backend', run.backend];
  return pasteableCommand(['run', resolve(run.specFile), '--out', run.outDir, ...dataDir, '--agents', String(run.agents), ...backend]);
}

function printResults(doc: ResultsDocument, run: RunPlan, paths: ResultsFilePaths): void {
  if (run.json) {
    process.stdout.write(`${JSON.stringify({ sweepId: doc.sweep.id, results: paths, ranking: doc.ranking.slice(0, run.top), best: doc.best, ...(doc.sweep.error === undefined ? {} : { error: doc.sweep.error }) })}\n`);
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
    // The agent reads blobs where this process's coordinator stores them: no copy, no download.
    const blobDir = new ArtifactStore(run.dataDir);
    const files = new WorkloadFiles(new StoreBlobs((sha256) => blobDir.blobPath(sha256)), []);
    agent = new Agent({ channel, slots: run.agents, backend: run.backend, logger, files, ...checkpoint, ...fuse });
    const agentStarting = agent.start();
    // Awaited below, after the server: a server that cannot start is the error to report.
    agentStarting.catch(() => undefined);
    server = await serverStarting;
    telemetry?.attachCoordinator(server);
    if (telemetry !== null) process.stderr.write(`Metrics: ${telemetry.url}\n`);
    const coordinator = server.coordinator;
    // Staged as `plateau submit` stages, over loopback into this store's blobs: one code path.
    const artifacts = createGrpcArtifactClient(server.address);
    let staged: SweepSpec;
    try {
      staged = (await stageSpec(run.spec, artifacts, { signal: stopping.signal })).spec;
    } finally {
      artifacts.close();
    }
    const submitted = await coordinator.submitSweep(staged, run.source);
    process.stderr.write(
      `${submitted.resumed ? 'Resuming' : 'Running'} sweep "${run.spec.name}" (${submitted.sweepId}): ${submitted.totalTrials} trials on ${run.agents} local agent slot${run.agents === 1 ? '' : 's'}; store ${displayPath(run.dataDir)}\n`,
    );
    // The sweep's trials share their model, loss and metrics: one line says why they cannot fuse.
    const firstTrial = expandGrid(run.spec)[0];
    const notFusable = firstTrial === undefined ? undefined : await sweepNotFusableReason(firstTrial);
    if (notFusable !== undefined) process.stderr.write(`Not fused: ${notFusable}; each trial trains alone through tfjs model.fit\n`);
    telemetry?.attachAgent(agent);
    try {
      await agentStarting;
    } catch (error) {
      // A Ctrl-C that stopped the agent while its workers loaded: the run ends as interrupted below.
      if (!stopping.signal.aborted) throw error;
    }
    let latest: SweepProgress | undefined;
    // The ticker keeps elapsed time and ETA moving between coordinator events.
    ticker = setInterval(() => {
      if (latest !== undefined) progressLine.update(progressState(latest, startedAtMs, Date.now()));
    }, 1_000);
    // The watch is throttled (a pause after each change): the sweep's end must not wait out that pause.
    const watching = new AbortController();
    const stopWatching = (): void => watching.abort('finished');
    stopping.signal.addEventListener('abort', stopWatching, { once: true });
    // A Ctrl-C during start-up came before the listener: the run stops here, not at the sweep's end.
    if (stopping.signal.aborted) stopWatching();
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
    // A workload error ends the run at its first failed attempt: its one line is the last word.
    if (summary.error !== null) process.stderr.write(`Sweep failed: ${describeSweepError(summary.error)}\n`);
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

/**
 * Why a sweep's trials (here its first) cannot train fused. A model.json's layers are read and
 * translated (tfjs loads for it; a layer list needs no tfjs).
 */
async function sweepNotFusableReason(trial: TrialSpec): Promise<string | undefined> {
  if (trial.workload.model.kind === 'layers') return fusionBlocker(trial);
  const { notFusableReason } = await import('../../src/train/fused/fused-runner.js');
  return notFusableReason(trial);
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
        if (error instanceof OptionValueError) {
          process.stderr.write(`${error.message}\n`);
          process.exitCode = ExitCode.badInput;
          return;
        }
        throw error;
      }
      try {
        process.exitCode = await runSweep(run, logger);
      } catch (error) {
        if (error instanceof StageError) {
          process.stderr.write(`${specFile}: ${error.message}\n`);
          process.exitCode = ExitCode.badInput;
          return;
        }
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
