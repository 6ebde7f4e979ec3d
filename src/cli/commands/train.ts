// `plateau train trial.yaml`: one grid point of a sweep spec, trained in the foreground with a
// line per epoch and Keras's reduction lines on stdout, then a summary. For trying a workload
// or a schedule before sweeping it.
import type { Command } from 'commander';
import type { LogFields, Logger } from '../../log/logger.js';
import { loadSweepSpecFile } from '../../spec/load.js';
import { expandGrid } from '../../spec/grid.js';
import { SpecError } from '../../spec/spec-error.js';
import { BackendUnavailableError, isBackendRequest } from '../../train/backend-request.js';
import { formatEpochLine, formatTrialHeader, formatTrialSummary } from '../../train/trial-report.js';
import type { TrialResult, TrialSpec } from '../../trial/types.js';
import { ExitCode } from '../exit-codes.js';
import { nextStopSignal, programLogger } from '../program-logger.js';

interface TrainCommandOptions {
  readonly backend: string;
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
  const trials = expandGrid(loadSweepSpecFile(specFile));
  const { trial, index } = pickTrial(trials, options.index);
  // tfjs loads here, not when the CLI starts: every other command starts without it.
  const [{ selectBackend }, { LR_REDUCED_EVENT, runTrial }] = await Promise.all([import('../../train/backend.js'), import('../../train/trial-runner.js')]);
  const selection = await selectBackend(options.backend, logger);
  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  if (options.json !== true) print(formatTrialHeader(trial, index, trials.length));

  const stopping = new AbortController();
  const interrupted = nextStopSignal(stopping.signal).then((signal) => {
    if (signal !== null) stopping.abort('interrupted');
  });
  let epochStarted = performance.now();
  let result: TrialResult;
  try {
    result = await runTrial(trial, {
      backend: selection.name,
      signal: stopping.signal,
      logger: options.json === true ? logger : reductionPrinter(logger, LR_REDUCED_EVENT, print),
      onEpoch: (record) => {
        const now = performance.now();
        if (options.json !== true) print(formatEpochLine(record, trial.workload.epochs, (now - epochStarted) / 1000));
        epochStarted = now;
      },
    });
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
    .option('--index <n>', 'which grid point (0-based; learningRate varies slowest, then factor, then patience); required when the grid has more than one')
    .option('--json', 'print the TrialResult as JSON on stdout instead of the epoch lines')
    .addHelpText('after', '\nExample:\n  $ plateau train examples/quick.yaml --index 4 --backend wasm\n')
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
