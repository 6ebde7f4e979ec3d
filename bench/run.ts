// `npm run bench`: every figure measured side by side in one run on this machine, written
// to BENCHMARKS.md with the machine, backend and versions. Ratios are taken within the run.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FUSE } from '../agent/agent-options.js';
import { plateauBin, runCommand } from './command.js';
import type { NoopPollMode, NoopTransport } from './noop-agent-protocol.js';
import { timeLargeQueue, timeOrchestration, type OrchestrationTiming } from './orchestration.js';
import { comparePeer, peerSection, SWEEP27_SPEC } from './peer.js';
import { prunersSection, runPrunerPeer } from './pruners.js';
import { earlyStopSection, measureEarlyStop } from './early-stop.js';
import { cnnSweepSections } from './cnn-sweep.js';
import { regularizedSweepSections } from './regularized-sweep.js';
import { scaleOutSection, SWEEP27_X4_SPEC, timeScaleOut } from './scale-out.js';
import { timeWarmScaleOut, warmScaleOutSection } from './warm-scale-out.js';
import { artifactsSection, timeArtifacts } from './artifacts.js';
import { fenceSection, spliceSection } from './benchmarks-document.js';
import { epochFlops, kernelGemmPeak, tfjsMatmulPeak, type LayerShapes } from './flops.js';
import { exactnessSection, measureSpecExactness } from './exactness.js';
import { timeFusedEngines } from './fused.js';
import { timeKernelReferenceTrial, timeReferenceTrial, type ReferenceTrialTiming } from './reference-trial.js';
import { median } from './stats.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Sections that can run on their own (`--only`): the rest run only in the full bench. */
const ONLY_SECTIONS = ['scale-out', 'mlp-dropout-bn', 'cnn', 'heating-load', 'exactness', 'artifacts', 'pruners', 'early-stop'] as const;
type OnlySection = (typeof ONLY_SECTIONS)[number];

interface Options {
  readonly runs: number;
  readonly out: string;
  /** One section alone; null: every section (the default). */
  readonly only: OnlySection | null;
  /** Size of the file the artifacts section moves (`--artifact-mib`); 1 GiB by default. */
  readonly artifactMib: number;
}

/** A bad command-line argument: reported as one line with exit code 2, as the CLI reports bad input. */
class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

function parseOptions(argv: readonly string[]): Options {
  let runsText = '3';
  let out = join(root, 'BENCHMARKS.md');
  let only: OnlySection | null = null;
  let artifactMibText = '1024';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runsText = argv[++i] ?? 'nothing';
    else if (argv[i] === '--artifact-mib') artifactMibText = argv[++i] ?? 'nothing';
    else if (argv[i] === '--out') out = String(argv[++i]);
    else if (argv[i] === '--only') {
      const section = String(argv[++i]);
      const known = ONLY_SECTIONS.find((name) => name === section);
      if (known === undefined) throw new BenchUsageError(`--only: one of ${ONLY_SECTIONS.join(', ')}, not ${section}`);
      only = known;
    } else throw new BenchUsageError(`unknown argument ${String(argv[i])} — expected --runs N, --out FILE, --only SECTION or --artifact-mib N`);
  }
  const runs = Number(runsText);
  if (!Number.isInteger(runs) || runs < 1) throw new BenchUsageError(`--runs: a positive integer, not ${runsText}`);
  const artifactMib = Number(artifactMibText);
  if (!Number.isInteger(artifactMib) || artifactMib < 1) throw new BenchUsageError(`--artifact-mib: a positive integer, not ${artifactMibText}`);
  return { runs, out, only, artifactMib };
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/** Wall seconds of `plateau run` on a spec with a fresh store, as a user would run it. */
async function timeEmbeddedRun(spec: string, agents: number, extraArgs: readonly string[] = []): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), 'plateau-bench-run-'));
  try {
    const finished = await runCommand(process.execPath, [plateauBin, 'run', spec, '--agents', String(agents), '--out', out, '--json', ...extraArgs]);
    if (finished.code !== 0) {
      log(`plateau run exited ${String(finished.code)}: ${finished.stderr.slice(-2000)}`);
      throw new Error(`plateau run ${spec} --agents ${agents} failed`);
    }
    return finished.seconds;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function packageVersion(name: string): string {
  try {
    const text = readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8');
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string' ? parsed.version : 'unknown';
  } catch {
    return 'not installed';
  }
}

const fmt = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/**
 * Scale-out from 1 to 2 slots: the whole `plateau run` (bench/scale-out.ts), then sweeps on an
 * agent already running with the machine's 2-process figure in the same rounds (bench/warm-scale-out.ts).
 */
async function scaleOutSections(runs: number): Promise<string[]> {
  log('bench/specs/sweep27.yaml and sweep27x4.yaml with --agents 1 and 2: wall time and work per slot');
  const scaleOut = [await timeScaleOut('sweep27 (27 trials, one seed)', SWEEP27_SPEC, runs), await timeScaleOut('sweep27x4 (108 trials, four seeds)', SWEEP27_X4_SPEC, runs)];
  log('the same sweeps on an agent already running, 1 and 2 slots, with two kernel-bound processes at once against one in the same rounds');
  const warm = await timeWarmScaleOut(
    [
      { label: 'sweep27 (27 trials, one seed)', specFile: SWEEP27_SPEC },
      { label: 'sweep27x4 (108 trials, four seeds)', specFile: SWEEP27_X4_SPEC },
    ],
    runs,
    { onProgress: log },
  );
  return [...scaleOutSection(scaleOut, runs), ...warmScaleOutSection(warm)];
}

/** Issue 17's "before": the same command when a dropout layer sent every trial to model.fit (measured in an earlier session, busy machine). */
const HEATING_LOAD_BEFORE_SECONDS = 671;

/** The whole `plateau run examples/heating-load.yaml --agents 2` (72 trials × 40 epochs, one dropout layer), median of `runs`. */
async function heatingLoadSection(runs: number): Promise<string[]> {
  const spec = join(root, 'examples', 'heating-load.yaml');
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    times.push(await timeEmbeddedRun(spec, 2));
    log(`run ${run + 1}/${runs}: plateau run examples/heating-load.yaml --agents 2: ${fmt(times[times.length - 1] ?? Number.NaN, 1)} s`);
  }
  const now = median(times);
  return [
    '## examples/heating-load.yaml, whole command (issue 17)',
    '',
    `\`plateau run examples/heating-load.yaml --agents 2\` (72 trials × 40 epochs, one dropout layer, now on the fused kernels): **${fmt(now, 1)} s**,`,
    `median of ${runs} (${times.map((t) => fmt(t, 1)).join(', ')} s). Before (every trial through model.fit; an earlier session on a busy machine, not this run): ${HEATING_LOAD_BEFORE_SECONDS} s,`,
    `so about ${fmt(HEATING_LOAD_BEFORE_SECONDS / now, 0)}× (the two figures come from different machine loads).`,
    '',
  ];
}

/** Engines against each other over whole sweeps (bench/exactness.ts): one run each, exactness is not timing. */
async function exactnessSections(): Promise<string[]> {
  const specs = [
    { label: 'examples/quick.yaml', file: join(root, 'examples', 'quick.yaml') },
    { label: 'bench/specs/sweep27.yaml', file: SWEEP27_SPEC },
    { label: 'examples/heating-load.yaml', file: join(root, 'examples', 'heating-load.yaml') },
  ];
  log(`exactness: ${specs.map((spec) => spec.label).join(', ')}, each trained four ways`);
  const measured = [];
  for (const spec of specs) {
    const figures = await measureSpecExactness(spec.file, spec.label, log);
    log(`exactness figures: ${JSON.stringify(figures)}`);
    measured.push(figures);
  }
  return exactnessSection(measured);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const sections: string[] = [];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  sections.push(
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Every ratio below is taken between figures measured in this same run;`,
    `each figure is the median of ${options.runs} runs (interleaved where two things are compared).`,
    'A section re-measured alone later (`npm run bench -- --only NAME`) says when, how often and on what machine in its first line.',
    '',
    `Machine: ${cpus().length} × ${cpu}, ${fmt(totalmem() / 2 ** 30, 0)} GiB; Node ${process.version};`,
    `tfjs ${packageVersion('@tensorflow/tfjs-core')} (wasm backend ${packageVersion('@tensorflow/tfjs-backend-wasm')}); better-sqlite3 ${packageVersion('better-sqlite3')}; @grpc/grpc-js ${packageVersion('@grpc/grpc-js')}.`,
    '',
  );
  if (options.only !== null) {
    const only = {
      'scale-out': () => scaleOutSections(options.runs),
      'mlp-dropout-bn': () => regularizedSweepSections(options.runs, log),
      cnn: () => cnnSweepSections(options.runs, log),
      exactness: () => exactnessSections(),
      artifacts: async () => artifactsSection(await timeArtifacts(options.artifactMib, log)),
      // The early-stopping peer (issue 18): Optuna's pruners on bench/specs/grid160.yaml.
      pruners: async () => prunersSection(await runPrunerPeer()),
      // Ours on the same grid: no early stopping, median, asha, asha at gentler rungs (bench/early-stop.ts).
      'early-stop': async () => earlyStopSection(await measureEarlyStop({ agents: 2, runs: options.runs, onProgress: log }), 2),
      'heating-load': () => heatingLoadSection(options.runs),
    };
    // One section re-measured in place: the rest of the file keeps its figures (each section says when).
    const provenance = `_Measured on ${new Date().toISOString().slice(0, 10)} (${cpus().length} × ${cpu}), median of ${options.runs} run${options.runs === 1 ? '' : 's'}, by \`npm run bench -- --only ${options.only}\`._`;
    const fenced = fenceSection(options.only, await only[options.only](), provenance);
    const before = existsSync(options.out) ? readFileSync(options.out, 'utf8') : `${sections.join('\n')}\n`;
    writeFileSync(options.out, spliceSection(before, options.only, fenced));
    log(`wrote section ${options.only} of ${options.out}`);
    return;
  }

  // ── Training: the reference trial per engine, against each engine's matmul peak ──
  log('reference trial on wasm, cpu and the fused kernels; matmul peaks');
  const engines = ['wasm', 'cpu', 'kernel'] as const;
  const perEngine = new Map<string, ReferenceTrialTiming[]>();
  for (let run = 0; run < options.runs; run++) {
    for (const engine of engines) {
      const timing = engine === 'kernel' ? await timeKernelReferenceTrial(12) : await timeReferenceTrial(engine, 4);
      perEngine.set(engine, [...(perEngine.get(engine) ?? []), timing]);
    }
  }
  const eps = (engine: string): number => median((perEngine.get(engine) ?? []).map((t) => t.epochsPerSecond));
  const referenceLayers: LayerShapes = [
    [16, 64],
    [64, 64],
    [64, 1],
  ];
  const referenceEpochFlops = epochFlops(referenceLayers, 8192, 2048);
  const peaks = { wasm: await tfjsMatmulPeak('wasm'), cpu: await tfjsMatmulPeak('cpu'), kernel: kernelGemmPeak(64, 64, 64) };
  const kernelLarge = kernelGemmPeak(256, 256, 256);
  const gflops = (engine: (typeof engines)[number]): number => (eps(engine) * referenceEpochFlops) / 1e9;
  const engineLabel = { wasm: 'tfjs wasm (model.fit, via runTrial)', cpu: 'tfjs cpu (model.fit, via runTrial)', kernel: 'fused wasm kernels, bundle of one' };
  sections.push(
    '## Training: the reference trial',
    '',
    'MLP 16-64-64-1 (relu), adam, batch 64, 8,192 training + 2,048 validation rows, exact ReduceLROnPlateau, seeded shuffling.',
    'The first epoch (model build, warm-up) is not timed. GFLOP/s counts the matrix products only',
    `(${fmt(referenceEpochFlops / 1e6, 0)} MFLOP per epoch); the peak is the best matmul the same engine does on this machine.`,
    '',
    '| engine | epochs/s | samples/s | GFLOP/s | matmul peak (GFLOP/s, shape) | of peak |',
    '|---|---:|---:|---:|---:|---:|',
    ...engines.map((engine) => {
      const peak = peaks[engine];
      return `| ${engineLabel[engine]} | ${fmt(eps(engine))} | ${fmt(eps(engine) * 8192, 0)} | ${fmt(gflops(engine))} | ${fmt(peak.gflops)} (${peak.shape}) | ${fmt((100 * gflops(engine)) / peak.gflops, 0)}% |`;
    }),
    '',
    `tfjs wasm is **${fmt(eps('wasm') / eps('cpu'))}×** tfjs cpu; the fused kernels train one trial **${fmt(eps('kernel') / eps('wasm'))}×** as fast as tfjs wasm.`,
    `The kernels' gemm reaches ${fmt(kernelLarge.gflops)} GFLOP/s on ${kernelLarge.shape} (no cache blocking: the networks swept here are small).`,
    '',
  );

  // ── Fused: one bundle of the 27-config grid, tfjs ops vs the wasm kernels ──
  log('27-config bundle on wasm: tfjs ops vs the fused kernels');
  const fused = await timeFusedEngines(27, 30, options.runs);
  const kernelGflops = (fused.trainedMemberEpochs * referenceEpochFlops) / fused.kernelSeconds / 1e9;
  sections.push(
    '## Fused: the 27-config grid as one bundle, in one process',
    '',
    'bench/specs/sweep27.yaml\'s 27 configurations (30 epochs each) trained by runFusedTrials on the wasm backend, by tfjs ops and by the',
    'wasm kernels, interleaved. Trials that have trained at the same learning rates so far are bit-identical, so they train as one',
    'until their schedules part (prefix sharing, both engines).',
    '',
    '| engine | wall (s) | member-epochs asked | member-epochs trained | GFLOP/s | max rel. diff vs the tfjs-ops bundle | schedules agree |',
    '|---|---:|---:|---:|---:|---:|---|',
    `| tfjs ops | ${fmt(fused.tfjsSeconds)} | ${fused.memberEpochs} | ${fused.trainedMemberEpochs} | ${fmt((fused.trainedMemberEpochs * referenceEpochFlops) / fused.tfjsSeconds / 1e9)} | — | — |`,
    `| wasm kernels | ${fmt(fused.kernelSeconds)} | ${fused.memberEpochs} | ${fused.trainedMemberEpochs} | ${fmt(kernelGflops)} | ${fused.maxRelativeDifference.toExponential(1)} | ${fused.schedulesAgree ? 'yes' : 'no'} |`,
    '',
    `The kernels are **${fmt(fused.tfjsSeconds / fused.kernelSeconds)}×** tfjs ops on this bundle (${fmt((100 * kernelGflops) / peaks.kernel.gflops, 0)}% of their gemm peak on 64×64×64);`,
    `prefix sharing trains ${fused.trainedMemberEpochs} of the ${fused.memberEpochs} member-epochs (${fmt(fused.memberEpochs / fused.trainedMemberEpochs)}× less work).`,
    'The difference column compares the kernels with the tfjs-ops bundle on the same backend, not with `model.fit`: against',
    '`model.fit`, over whole sweeps, see "Exactness: engines over whole sweeps".',
    '',
  );

  // ── Exactness: the engines against each other over whole sweeps (bench/exactness.ts) ──
  sections.push(...fenceSection('exactness', await exactnessSections()));

  // ── Sweep: scale-out of the embedded run ─────────────────────────────────
  // Fused (the default) and one trial per lease (--fuse 1): fusion packs the whole quick grid into
  // one bundle per slot, so the per-trial orchestration and its scale-out show in the second pair.
  const quick = join(root, 'examples', 'quick.yaml');
  log('examples/quick.yaml with --agents 1 and 2, fused and --fuse 1');
  const modes = [
    { label: 'fused (default)', args: [] as string[] },
    { label: 'one trial per lease (`--fuse 1`)', args: ['--fuse', '1'] },
  ];
  const walls = modes.map(() => ({ one: [] as number[], two: [] as number[] }));
  for (let run = 0; run < options.runs; run++) {
    for (const [index, mode] of modes.entries()) {
      walls[index]?.one.push(await timeEmbeddedRun(quick, 1, mode.args));
      walls[index]?.two.push(await timeEmbeddedRun(quick, 2, mode.args));
    }
  }
  sections.push(
    '## Sweep: scale-out of `plateau run examples/quick.yaml`',
    '',
    'Whole command wall time (process start, coordinator, store, worker start-up, 12 trials × 20 epochs, results files).',
    '',
    '| mode | 1 slot (s) | 2 slots (s) | speed-up 1 → 2 | scale-out efficiency |',
    '|---|---:|---:|---:|---:|',
    ...modes.map((mode, index) => {
      const t1 = median(walls[index]?.one ?? []);
      const t2 = median(walls[index]?.two ?? []);
      return `| ${mode.label} | ${fmt(t1)} | ${fmt(t2)} | ${fmt(t1 / t2)}× | ${fmt((100 * t1) / t2 / 2, 0)}% |`;
    }),
    '',
    `Fused vs one trial per lease, 2 slots: **${fmt(median(walls[1]?.two ?? []) / median(walls[0]?.two ?? []))}×** faster.`,
    '',
  );

  // ── Sweep: against the Optuna + PyTorch peer (bench/peer.ts) ──────────────
  log('bench/specs/sweep27.yaml against the Optuna + PyTorch peer, 1 and 2 slots / workers');
  try {
    sections.push(...peerSection(await comparePeer({ runs: options.runs, onProgress: log })));
  } catch (error) {
    // The other figures still stand without the peer (e.g. Debian's python3-torch not installed).
    log(`peer baseline failed: ${String(error)}`);
    sections.push('## Sweep: against the Optuna + PyTorch peer', '', `Not measured: ${String(error).slice(0, 500)}`, '');
  }

  // ── Early stopping: Optuna's pruners on the 160-trial grid (bench/pruners.ts) ──
  log('bench/specs/grid160.yaml by Optuna with no pruner, MedianPruner and SuccessiveHalvingPruner');
  try {
    sections.push(...fenceSection('pruners', prunersSection(await runPrunerPeer())));
  } catch (error) {
    log(`pruner peer failed: ${String(error)}`);
    sections.push('## Early stopping: Optuna pruners on the 160-trial grid', '', `Not measured: ${String(error).slice(0, 500)}`, '');
  }
  // ── Early stopping: ours on the same grid, no rule vs median vs asha (two settings) (bench/early-stop.ts) ──
  log('bench/specs/grid160.yaml by plateau run without early stopping, with median and with asha');
  sections.push(...fenceSection('early-stop', earlyStopSection(await measureEarlyStop({ agents: 2, runs: options.runs, onProgress: log }), 2)));

  // ── Sweep: MLP with dropout and batch norm against the peer (bench/regularized-sweep.ts) ──
  sections.push(...fenceSection('mlp-dropout-bn', await regularizedSweepSections(options.runs, log)));
  // ── Sweep: small CNN against the peer (bench/cnn-sweep.ts) ──
  sections.push(...fenceSection('cnn', await cnnSweepSections(options.runs, log)));
  log('examples/heating-load.yaml, whole command, 2 slots');
  sections.push(...fenceSection('heating-load', await heatingLoadSection(options.runs)));

  // ── Sweep: scale-out from 1 to 2 slots, with the ceiling prefix sharing leaves (bench/scale-out.ts) ──
  sections.push(...fenceSection('scale-out', await scaleOutSections(options.runs)));

  // ── Orchestration: no-op trials ──────────────────────────────────────────
  // One trial per poll (the protocol's unit cost) on the agent's session stream, then bundles as
  // a fusing agent asks for them, then one trial per poll over unary calls (the transport before).
  log('no-op trials through the coordinator');
  const slotCounts = [1, 4, 8, 16];
  const pollModes: readonly { readonly mode: NoopPollMode; readonly transport: NoopTransport; readonly label: string }[] = [
    { mode: { kind: 'single' }, transport: 'session', label: 'one trial per poll, AgentSession stream' },
    { mode: { kind: 'bundle', maxBundle: DEFAULT_FUSE }, transport: 'session', label: `bundles of up to ${DEFAULT_FUSE}, AgentSession stream (as the agent polls by default)` },
    { mode: { kind: 'single' }, transport: 'unary', label: 'one trial per poll, unary calls' },
  ];
  const orchestration = new Map<string, OrchestrationTiming[]>();
  const orchestrationKey = (mode: NoopPollMode, transport: NoopTransport, slots: number): string => `${mode.kind}/${transport}/${slots}`;
  for (let run = 0; run < options.runs; run++) {
    for (const { mode, transport } of pollModes) {
      for (const slots of slotCounts) {
        const key = orchestrationKey(mode, transport, slots);
        orchestration.set(key, [...(orchestration.get(key) ?? []), await timeOrchestration(slots, 1000, mode, { transport })]);
      }
    }
  }
  sections.push(
    '## Orchestration: no-op trials',
    '',
    'A real coordinator (SQLite store, gRPC over loopback) in the bench process, and one agent process of S slots',
    "(bench/noop-agent.ts, over the agent's gRPC channel) that lease and complete each trial at once. No heartbeat: the",
    "agent's policy sends none for a trial shorter than its 1 s epoch flush (the epochs travel with the result). Each",
    'run first completes 1,000 warm-up trials (not measured: JIT, connections), then measures at least 1,000 more.',
    'Dispatch: poll issued → lease in hand. Cycle: poll issued → result acknowledged (on disk). CPU: each process\'s CPU',
    'time per trial (user + system, all threads). With bundles every member still completes on its own, all at once.',
    '',
    '| polling | slots | trials | trials/s | dispatch p50 (ms) | dispatch p99 (ms) | cycle p50 (ms) | cycle p99 (ms) | coordinator CPU/trial (µs) | agent CPU/trial (µs) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...pollModes.flatMap(({ mode, transport, label }) =>
      slotCounts.map((slots) => {
        const timings = orchestration.get(orchestrationKey(mode, transport, slots)) ?? [];
        const med = (pick: (t: OrchestrationTiming) => number, digits = 2): string => fmt(median(timings.map(pick)), digits);
        return `| ${label} | ${slots} | ${timings[0]?.trials ?? 0} | ${med((t) => t.trialsPerSecond, 0)} | ${med((t) => t.dispatchP50Ms)} | ${med((t) => t.dispatchP99Ms)} | ${med((t) => t.cycleP50Ms)} | ${med((t) => t.cycleP99Ms)} | ${med((t) => t.coordinatorCpuUsPerTrial, 0)} | ${med((t) => t.agentCpuUsPerTrial, 0)} |`;
      }),
    ),
    '',
  );

  log('100,000 queued trials');
  const queue = await timeLargeQueue(100_000);
  sections.push(
    '## Coordinator with 100,000 queued trials',
    '',
    'A real `plateau coordinator` process (SQLite store in a temp folder); one sweep of 100,000 trials submitted over gRPC. RSS read',
    'from /proc right after the submit is acknowledged (all trials stored and queued).',
    '',
    '| trials | submit (s) | coordinator RSS (MB) | RSS growth from the submit (MB) |',
    '|---:|---:|---:|---:|',
    `| ${queue.trials} | ${fmt(queue.submitSeconds)} | ${fmt(queue.rssMb, 0)} | ${fmt(queue.rssGrowthMb, 0)} |`,
    '',
  );

  log(`artifacts: a ${options.artifactMib} MiB file up and down over loopback, then time to first trial with a cold and a warm cache`);
  sections.push(...fenceSection('artifacts', artifactsSection(await timeArtifacts(options.artifactMib, log))));

  writeFileSync(options.out, `${sections.join('\n')}\n`);
  log(`wrote ${options.out}`);
}

try {
  await main();
} catch (error) {
  if (!(error instanceof BenchUsageError)) throw error;
  process.stderr.write(`bench: ${error.message}\n`);
  process.exitCode = 2;
}
