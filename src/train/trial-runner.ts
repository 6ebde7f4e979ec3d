// Trains one TrialSpec and reports a TrialResult. Never rejects for a training problem: a
// failure becomes `failed`, a NaN/Inf loss `diverged`, an aborted signal `cancelled`. Every
// tensor made for the trial (model, optimizer slots, validation data, batches) is freed before
// it returns, so a worker can run trial after trial in one process.
import { dispose, tensor2d, type Optimizer, type Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { silentLogger, type Logger } from '../log/logger.js';
import { reduceLROnPlateau } from '../plateau/callback.js';
import type { BackendName, EpochRecord, TrialErrorInfo, TrialOutcome, TrialResult, TrialSpec } from '../trial/types.js';
import { selectBackend } from './backend.js';
import { loadDataset } from './datasets/load-dataset.js';
import { buildModel, compileModel } from './model-builder.js';
import { trialObjective } from './objective.js';
import { SeededRandom, deriveSeed, SeedStream } from './seeded-random.js';
import { shuffledBatches } from './shuffled-batches.js';
import { TrialProgressCallback, cancelReason } from './trial-progress.js';
import { TrialSpecError } from './trial-spec-error.js';

export { LR_REDUCED_EVENT } from './trial-progress.js';

export interface RunTrialOptions {
  readonly backend: BackendName;
  readonly signal?: AbortSignal;
  readonly onEpoch?: (record: EpochRecord) => void;
  readonly logger?: Logger;
}

/** What training produced before it ended, however it ended. */
interface TrainingRecord {
  history: readonly EpochRecord[];
  lrReductions: readonly number[];
}

export function errorInfo(error: unknown): TrialErrorInfo {
  if (error instanceof Error) {
    // tfjs's own errors keep the name 'Error'; the class name says more.
    const kind = error.name === 'Error' && error.constructor.name !== 'Error' ? error.constructor.name : error.name;
    return { kind, message: error.message };
  }
  return { kind: 'UnknownError', message: String(error) };
}

function checkTrainable(spec: TrialSpec): void {
  const { batchSize, learningRate } = spec.config;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TrialSpecError('config.batchSize', batchSize, 'expected a whole number, 1 or more');
  if (!Number.isInteger(spec.workload.epochs) || spec.workload.epochs < 1) {
    throw new TrialSpecError('workload.epochs', spec.workload.epochs, 'expected a whole number, 1 or more');
  }
  if (!(Number.isFinite(learningRate) && learningRate > 0)) {
    throw new TrialSpecError('config.learningRate', learningRate, 'expected a finite number above 0');
  }
}

async function train(spec: TrialSpec, options: RunTrialOptions, logger: Logger, record: TrainingRecord): Promise<TrialOutcome> {
  checkTrainable(spec);
  await selectBackend(options.backend, logger);
  const data = await loadDataset(spec.workload.dataset);
  if (options.signal?.aborted === true) return { status: 'cancelled', reason: cancelReason(options.signal) };

  const { config, plateau: plateauBase, workload } = spec;
  let model: LayersModel | undefined;
  let optimizer: Optimizer | undefined;
  const validation: Tensor[] = [];
  try {
    model = await buildModel(workload, data, spec.seed);
    optimizer = compileModel(model, workload, config.learningRate);
    const xVal = tensor2d(data.validation.x, [data.validation.count, data.featureCount]);
    validation.push(xVal);
    const yVal = tensor2d(data.validation.y, [data.validation.count, data.targetCount]);
    validation.push(yVal);

    const plateau = reduceLROnPlateau({
      monitor: plateauBase.monitor,
      mode: plateauBase.mode,
      factor: config.factor,
      patience: config.patience,
      minDelta: config.minDelta,
      cooldown: config.cooldown,
      minLr: config.minLr,
      verbose: 0, // the progress callback logs each reduction through the Logger
    });
    const progress = new TrialProgressCallback({
      optimizer,
      plateau,
      signal: options.signal,
      onEpoch: options.onEpoch,
      logger,
    });
    record.history = progress.history;
    record.lrReductions = progress.lrReductions;

    const batches = shuffledBatches(
      data.train,
      data.featureCount,
      data.targetCount,
      config.batchSize,
      new SeededRandom(deriveSeed(spec.seed, SeedStream.shuffle)),
    );
    // Callback order matters: the plateau callback reduces the LR at epoch end, then the
    // progress callback records the epoch and sees that reduction.
    await model.fitDataset(batches, {
      epochs: workload.epochs,
      validationData: [xVal, yVal],
      // Keras's fit(validation_data=…) evaluates in batches of batch_size too.
      validationBatchSize: config.batchSize,
      callbacks: [plateau, progress],
      verbose: 0,
    });

    const stop = progress.earlyStop;
    if (stop === undefined) return { status: 'succeeded' };
    if (stop.kind === 'diverged') return { status: 'diverged', atEpoch: stop.atEpoch };
    return { status: 'cancelled', reason: stop.reason };
  } finally {
    dispose(validation);
    // LayersModel.dispose() frees the weights but not the optimizer's slot variables.
    model?.dispose();
    optimizer?.dispose();
  }
}

/**
 * Trains `spec` on `options.backend` (loaded and activated here if needed). `onEpoch` sees each
 * finished epoch; aborting `signal` (reason: a CancelReason) stops at the next batch or epoch
 * boundary. Same seed, same backend → the same history.
 */
export async function runTrial(spec: TrialSpec, options: RunTrialOptions): Promise<TrialResult> {
  const started = performance.now();
  const logger = (options.logger ?? silentLogger).child({ trial: spec.id });
  const record: TrainingRecord = { history: [], lrReductions: [] };
  let outcome: TrialOutcome;
  if (options.signal?.aborted === true) {
    outcome = { status: 'cancelled', reason: cancelReason(options.signal) };
  } else {
    try {
      outcome = await train(spec, options, logger, record);
    } catch (error) {
      outcome = { status: 'failed', error: errorInfo(error) };
      logger.warn('trial failed', { kind: outcome.error.kind, message: outcome.error.message });
    }
  }
  const history = [...record.history];
  return {
    trialId: spec.id,
    outcome,
    history,
    lrReductions: [...record.lrReductions],
    objective: trialObjective(history, spec.objective),
    wallSeconds: (performance.now() - started) / 1000,
    backend: options.backend,
    seed: spec.seed,
  };
}
