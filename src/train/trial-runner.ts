// Trains one TrialSpec and reports a TrialResult. Never rejects for a training problem: a
// failure becomes `failed`, a NaN/Inf loss `diverged`, an aborted signal `cancelled`. Every
// tensor made for the trial (model, optimizer slots, validation data, batches) is freed before
// it returns, so a worker can run trial after trial in one process.
import { dispose, tensor2d, type Optimizer, type Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { silentLogger, type Logger } from '../log/logger.js';
import { reduceLROnPlateau } from '../plateau/callback.js';
import { applyLearningRate, readLearningRate } from '../plateau/optimizer-learning-rate.js';
import { trialSchedulerOptions } from '../plateau/scheduler-options.js';
import type { BackendName, EpochRecord, TrialErrorInfo, TrialOutcome, TrialResult, TrialSpec } from '../trial/types.js';
import { selectBackend } from './backend.js';
import type { FileResolver } from '../artifacts/file-resolver.js';
import { loadDataset } from './datasets/load-dataset.js';
import { CheckpointCallback } from './checkpoint-callback.js';
import { buildModel, compileModel } from './model-builder.js';
import { trialObjective } from './objective.js';
import { SeededDropout } from './seeded-dropout.js';
import { SeededRandom, deriveSeed, SeedStream } from './seeded-random.js';
import { shuffledBatches } from './shuffled-batches.js';
import { TrialProgressCallback, cancelReason } from './trial-progress.js';
import {
  loadTrialCheckpoint,
  readOptimizerScalars,
  removeTrialCheckpoint,
  restoreOptimizerScalars,
  saveTrialCheckpoint,
  type TrialCheckpointOptions,
} from './trial-checkpoint.js';
import { checkTrainable } from './trial-spec-error.js';
import { workloadErrorScope } from './workload-error-scope.js';

export { LR_REDUCED_EVENT } from './trial-progress.js';

export interface RunTrialOptions {
  readonly backend: BackendName;
  /** Where the workload's files are read (an agent's worker: only what its agent resolved). Default: the client's own files. */
  readonly files?: FileResolver;
  readonly signal?: AbortSignal;
  readonly onEpoch?: (record: EpochRecord) => void;
  readonly logger?: Logger;
  /**
   * Save the training state every K epochs under `dir`, and resume from the trial's last
   * checkpoint there (same spec only); removed once the trial ends with a result. Off when absent.
   */
  readonly checkpoint?: TrialCheckpointOptions;
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
    const scope = workloadErrorScope(error);
    return scope === undefined ? { kind, message: error.message } : { kind, message: error.message, scope };
  }
  return { kind: 'UnknownError', message: String(error) };
}

async function train(spec: TrialSpec, options: RunTrialOptions, logger: Logger, record: TrainingRecord): Promise<TrialOutcome> {
  checkTrainable(spec);
  await selectBackend(options.backend, logger);
  const data = await loadDataset(spec.workload.dataset, options.files);
  if (options.signal?.aborted === true) return { status: 'cancelled', reason: cancelReason(options.signal) };

  const { config, plateau: plateauBase, workload } = spec;
  let model: LayersModel | undefined;
  let optimizer: Optimizer | undefined;
  const validation: Tensor[] = [];
  try {
    model = await buildModel(workload, data, spec.seed, options.files);
    optimizer = compileModel(model, workload, config.learningRate);
    const xVal = tensor2d(data.validation.x, [data.validation.count, data.featureCount]);
    validation.push(xVal);
    const yVal = tensor2d(data.validation.y, [data.validation.count, data.targetCount]);
    validation.push(yVal);
    const dropouts = model.layers.filter((layer): layer is SeededDropout => layer instanceof SeededDropout);
    const resume = options.checkpoint === undefined ? null : await loadTrialCheckpoint(options.checkpoint.dir, spec);
    if (resume !== null) {
      model.setWeights(resume.modelWeights);
      await optimizer.setWeights(resume.optimizerWeights);
      restoreOptimizerScalars(optimizer, resume.optimizerScalars);
      dispose([...resume.modelWeights, ...resume.optimizerWeights.map((named) => named.tensor)]);
      applyLearningRate(optimizer, resume.lr);
      dropouts.forEach((layer, i) => layer.resumeTrainingCalls(resume.dropoutCalls[i] ?? 0));
      logger.info('training.resumed-from-checkpoint', { epoch: resume.epoch });
    }

    const plateau = reduceLROnPlateau({
      ...trialSchedulerOptions(plateauBase, config),
      verbose: 0, // the progress callback logs each reduction through the Logger
      // A resumed trial keeps the scheduler's best/wait/cooldown from its checkpoint.
      resetOnTrainBegin: resume === null,
    });
    if (resume !== null) plateau.scheduler.restore(resume.scheduler);
    const progress = new TrialProgressCallback({
      optimizer,
      plateau,
      signal: options.signal,
      onEpoch: options.onEpoch,
      logger,
    });
    if (resume !== null) {
      progress.history.push(...resume.history);
      progress.lrReductions.push(...resume.lrReductions);
    }
    record.history = progress.history;
    record.lrReductions = progress.lrReductions;

    const shuffle = new SeededRandom(deriveSeed(spec.seed, SeedStream.shuffle));
    // One permutation per finished epoch: the stream resumes where the checkpoint left it.
    for (let epoch = 0; epoch < (resume?.epoch ?? 0); epoch += 1) shuffle.permutation(data.train.count);
    const batches = shuffledBatches(data.train, data.featureCount, data.targetCount, config.batchSize, shuffle);
    const checkpointing = options.checkpoint;
    const trainedModel = model;
    const trainedOptimizer = optimizer;
    const checkpointCallbacks =
      checkpointing === undefined
        ? []
        : [
            new CheckpointCallback(
              checkpointing.everyEpochs,
              workload.epochs,
              () => progress.earlyStop !== undefined,
              async (epochsDone) => {
                const slots = await trainedOptimizer.getWeights();
                await saveTrialCheckpoint(checkpointing.dir, spec, {
                  state: {
                    epoch: epochsDone,
                    history: [...progress.history],
                    lrReductions: [...progress.lrReductions],
                    scheduler: plateau.scheduler.state(),
                    lr: readLearningRate(trainedOptimizer),
                    dropoutCalls: dropouts.map((layer) => layer.trainingCalls),
                    optimizerScalars: readOptimizerScalars(trainedOptimizer),
                  },
                  modelWeights: trainedModel.getWeights(),
                  optimizerWeights: slots,
                });
                // getWeights() makes a fresh scalar for the iteration count; the slots themselves are the optimizer's.
                dispose(slots.filter((slot) => slot.name === 'iter').map((slot) => slot.tensor));
              },
            ),
          ];
    // Callback order matters: the plateau callback reduces the LR at epoch end, then the
    // progress callback records the epoch and sees that reduction.
    await model.fitDataset(batches, {
      epochs: workload.epochs,
      validationData: [xVal, yVal],
      // Keras's fit(validation_data=…) evaluates in batches of batch_size too.
      validationBatchSize: config.batchSize,
      initialEpoch: resume?.epoch ?? 0,
      callbacks: [plateau, progress, ...checkpointCallbacks],
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
      logger.warn('training.failed', { kind: outcome.error.kind, message: outcome.error.message });
    }
  }
  const checkpoint = options.checkpoint;
  // A result ends the trial: nothing is left to resume. A cancelled one may run again.
  if (checkpoint !== undefined && outcome.status !== 'cancelled') await removeTrialCheckpoint(checkpoint.dir, spec.id).catch(() => undefined);
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
