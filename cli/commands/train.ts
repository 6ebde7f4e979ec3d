// `plateau train trial.yaml`: one grid point of a sweep spec, trained in the foreground with a
// line per epoch and Keras's reduction lines on stdout, then a summary. For trying a workload
// or a schedule before sweeping it, and for rerunning one trial of a sweep: by default it trains
// on the engine `plateau run` trains that trial on (the fused runner: the wasm kernels on wasm),
// so its history is the sweep's bit for bit; `--engine fit` trains through tfjs's model.fit.
import type { Command } from 'commander';
import type { LogFields, Logger } from '../../src/log/logger.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { expandGrid } from '../../src/spec/grid.js';
import { SpecError } from '../../src/spec/spec-error.js';
import { BackendUnavailableError, isBackendRequest } from '../../src/train/backend-request.js';
import { formatEpochLine, formatTrialHeader, formatTrialSummary } from '../../src/train/trial-report.js';
import type { EpochRecord, TrialResult, TrialSpec } from '../../src/trial/types.js';
import { ExitCode } from '../exit-codes.js';
import { nextStopSignal, programLogger } from '../program-logger.js';

/** `run`: the engine `plateau run` trains the trial on (default); `fit`: tfjs-layers' model.fit. */
export const TRAIN_ENGINES = ['run', 'fit'] as const;
export type TrainEngine = (typeof TRAIN_ENGINES)[number];

interface TrainCommandOptions {
  readonly backend: string;
  readonly engine: string;
  readonly index?: string;
  readonly json?: boolean;
}

/** A command line that cannot run: which option, what it was, what was expected. */
export class TrainOptionError extends Error {
  override readonly name = 'TrainOptionError';
  constructor(
    readonly option: string,
    readonly found: string,
    readonly expected: string,
  ) {
    super(`${option}: ${found} — ${expected}`);
  }
}

/** The trial to train: grid point `index`, which must be given when the grid has more than one. */
export function pickTrial(trials: readonly TrialSpec[], index: string | undefined): { readonly trial: TrialSpec; readonly index: number } {
  if (index === undefined) {
    const only = trials[0];
    if (trials.length !== 1 || only === undefined) {
      throw new TrainOptionError('--index', 'missing', `the grid has ${trials.length} trials; choose one with --index 0..${trials.length - 1}`);
    }
    return { trial: only, index: 0 };
  }
  const value = Number(index);
  const trial = /^\d+$/.test(index.trim()) ? trials[value] : undefined;
  if (trial === undefined) throw new TrainOptionError('--index', JSON.stringify(index), `expected a whole number from 0 to ${trials.length - 1}`);
  return { trial, index: value };
}

/** Sends the reduction event to stdout as Keras's line; everything else to the program's logger. */
function reductionPrinter(logger: Logger, reductionEvent: string, print: (line: string) => void): Logger {
  const route = (fields: LogFields): Logger => reductionPrinter(logger.child(fields), reductionEvent, print);
  return {
    debug: (event, fields) => logger.debug(event, fields),
    info: (event, fields) => {
      const line = fields?.['line'];
      if (event === reductionEvent && typeof line === 'string') print(line);
      else logger.info(event, fields);
    },
    warn: (event, fields) => logger.warn(event, fields),
    error: (event, fields) => logger.error(event, fields),
    child: route,
  };
}

/** Which engine trains the trial, in words, for the line under the header. */
function engineText(fused: boolean, onKernels: boolean, chosen: TrainEngine, backend: string): string {
  if (fused) return `${onKernels ? 'the wasm kernels' : `the fused runner on tfjs ops, ${backend}`}, as plateau run trains this trial (--engine fit for tfjs model.fit)`;
  return chosen === 'fit' ? `tfjs model.fit on ${backend} (--engine fit)` : `tfjs model.fit on ${backend}, as plateau run trains this trial`;
}

function exitCodeFor(result: TrialResult): number {
  switch (result.outcome.status) {
    case 'succeeded':
      return ExitCode.ok;
    case 'cancelled':
      return ExitCode.interrupted;
    default:
      return ExitCode.sweepFailed;
  }
}

async function train(specFile: string, options: TrainCommandOptions, logger: Logger): Promise<number> {
  if (!isBackendRequest(options.backend)) {
    throw new TrainOptionError('--backend', JSON.stringify(options.backend), 'expected auto, tensorflow-gpu, tensorflow, wasm or cpu');
  }
  const engine = TRAIN_ENGINES.find((name) => name === options.engine);
  if (engine === undefined) throw new TrainOptionError('--engine', JSON.stringify(options.engine), `expected ${TRAIN_ENGINES.join(' or ')}`);
  const trials = expandGrid(loadSweepSpecFile(specFile));
  const { trial, index } = pickTrial(trials, options.index);
  // tfjs loads here, not when the CLI starts: every other command starts without it.
  const [{ selectBackend }, { LR_REDUCED_EVENT, runTrial }, { notFusableReason, runFusedTrials, trainsOnKernels }] = await Promise.all([
    import('../../src/train/backend.js'),
    import('../../src/train/trial-runner.js'),
    import('../../src/train/fused/fused-runner.js'),
  ]);
  const selection = await selectBackend(options.backend, logger);
  // As the agent's worker trains it: a dense network in the fused runner (as a bundle of one;
  // members of a bundle report what they would alone, bit for bit), anything else through model.fit.
  // A model.json is read here to see whether its layers fuse.
  const fused = engine === 'run' && (await notFusableReason(trial)) === undefined;
  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  if (options.json !== true) {
    print(formatTrialHeader(trial, index, trials.length));
    print(`Engine: ${engineText(fused, await trainsOnKernels(trial, selection.name), engine, selection.name)}`);
  }

  const stopping = new AbortController();
  const interrupted = nextStopSignal(stopping.signal).then((signal) => {
    if (signal !== null) stopping.abort('interrupted');
  });
  let epochStarted = performance.now();
  let result: TrialResult;
  const onEpoch = (record: EpochRecord): void => {
    const now = performance.now();
    if (options.json !== true) print(formatEpochLine(record, trial.workload.epochs, (now - epochStarted) / 1000));
    epochStarted = now;
  };
  const common = {
    backend: selection.name,
    signal: stopping.signal,
    logger: options.json === true ? logger : reductionPrinter(logger, LR_REDUCED_EVENT, print),
  };
  try {
    if (fused) {
      const [only] = await runFusedTrials([trial], { ...common, onEpoch: (_trialId, record) => onEpoch(record) });
      if (only === undefined) throw new Error(`the fused runner reported no result for ${trial.id}`);
      result = only;
    } else result = await runTrial(trial, { ...common, onEpoch });
  } finally {
    // Stops listening for Ctrl-C (an abort after the trial ended changes nothing).
    stopping.abort('shutdown');
    await interrupted;
  }
  if (options.json === true) print(JSON.stringify(result));
  else for (const line of ['', ...formatTrialSummary(result, trial)]) print(line);
  return exitCodeFor(result);
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train one grid point of a sweep spec in the foreground, a line per epoch')
    .argument('<spec>', 'sweep spec file (YAML) whose grid holds the trial')
    .option('--backend <backend>', 'auto | tensorflow-gpu | tensorflow | wasm | cpu', 'auto')
    .option('--index <n>', 'which grid point (0-based, as `plateau validate` lists them; learningRate varies slowest, then factor, then patience); required when the grid has more than one')
    .option('--engine <engine>', 'run: the engine plateau run trains this trial on, so the history is the sweep\'s bit for bit | fit: tfjs model.fit', 'run')
    .option('--json', 'print the TrialResult as JSON on stdout instead of the epoch lines')
    .addHelpText('after', '\nExamples:\n  $ plateau train examples/quick.yaml --index 4 --backend wasm\n  $ plateau train examples/quick.yaml --index 4 --engine fit\n')
    .action(async (specFile: string, options: TrainCommandOptions) => {
      const logger = programLogger(program);
      try {
        process.exitCode = await train(specFile, options, logger);
      } catch (error) {
        if (error instanceof SpecError) {
          process.stderr.write(`${error.format()}\n`);
          process.exitCode = ExitCode.badInput;
          return;
        }
        if (error instanceof TrainOptionError || error instanceof BackendUnavailableError) {
          process.stderr.write(`${error.message}\n`);
          process.exitCode = ExitCode.badInput;
          return;
        }
        throw error;
      }
    });
}
