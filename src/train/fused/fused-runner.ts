// Trains K fusable trials (same workload and seed, different learning-rate schedules) as one
// batched model and reports one TrialResult per trial, equal to what runTrial would report for
// each. Trials that have trained at the same float32 learning rate at every epoch so far are
// bit-identical, so they share one physical slot of the bundle (see member-slots.ts); a slot
// forks when its trials' next rates differ. Like runTrial it never rejects for a training
// problem: a slot whose loss turns NaN or infinite ends its members `diverged` at that epoch
// and leaves the bundle while the others train on; an aborted signal cancels every member still
// training; an error fails them. Every tensor made for the bundle is freed before it returns.
import { getBackend, type Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { silentLogger, type Logger } from '../../log/logger.js';
import type { Activation, BackendName, LossName, EpochRecord, TrialOutcome, TrialResult, TrialSpec } from '../../trial/types.js';
import { selectBackend } from '../backend.js';
import { loadDataset } from '../datasets/load-dataset.js';
import type { LoadedDataset } from '../datasets/loaded-dataset.js';
import { buildModel } from '../model-builder.js';
import { deriveSeed, SeededRandom, SeedStream } from '../seeded-random.js';
import { epochBatches } from '../shuffled-batches.js';
import { cancelReason } from '../trial-progress.js';
import { errorInfo } from '../trial-runner.js';
import { trainingEpochLoss, validationLoss } from './epoch-losses.js';
import { chunksOf, DEFAULT_FUSED_MEMORY_BYTES, fusedMemberBytes, membersWithinBudget } from './bundle-memory.js';
import { FusedBundle } from './fused-bundle.js';
import type { FusedEngine } from './fused-engine.js';
import { FusedMember } from './fused-member.js';
import { fusionBlocker, fusionKey } from './fusion-key.js';
import { kernelBlocker, KernelBundle } from './kernel/kernel-bundle.js';
import { initialSlots, planSlots } from './member-slots.js';
import { NotFusableError } from './not-fusable-error.js';

export interface RunFusedTrialsOptions {
  readonly backend: BackendName;
  /** Aborting (reason: a CancelReason) cancels every member still training, at the next batch or epoch boundary. */
  readonly signal?: AbortSignal;
  /** Each member's finished epochs, in order (members of one epoch in bundle order). */
  readonly onEpoch?: (trialId: string, record: EpochRecord) => void;
  readonly logger?: Logger;
  /**
   * Which fused engine trains the bundle. 'auto' (the default): the wasm kernels when tfjs runs
   * on its wasm backend and the network has a kernel (kernelBlocker), else tfjs ops. 'tfjs'
   * forces tfjs ops (bit for bit equal to single trials on cpu); 'kernel' asks for the kernels
   * on any backend and throws a RangeError when the network has none.
   */
  readonly engine?: FusedEngineChoice;
  /**
   * Memory the bundle may hold at once (estimated from the network's shape, see
   * bundle-memory.ts); members beyond it train in further chunks. Default 1 GiB.
   */
  readonly memoryBudgetBytes?: number;
}

export type FusedEngineChoice = 'auto' | 'tfjs' | 'kernel';

/** Whether the wasm kernels train this network on this tfjs backend (they replace tfjs's wasm backend only). */
function kernelsApply(backend: string, activations: readonly Activation[], loss: LossName): boolean {
  return backend === 'wasm' && kernelBlocker(activations, loss) === undefined;
}

function chooseEngine(choice: FusedEngineChoice, activations: readonly Activation[], loss: LossName): 'tfjs' | 'kernel' {
  if (choice !== 'auto') return choice;
  return kernelsApply(getBackend(), activations, loss) ? 'kernel' : 'tfjs';
}

/** Throws NotFusableError unless every spec can join one bundle (equal fusionKey, no fusionBlocker). */
function assertOneBundle(specs: readonly TrialSpec[]): void {
  const ids = specs.map((spec) => spec.id);
  for (const spec of specs) {
    const blocker = fusionBlocker(spec);
    if (blocker !== undefined) throw new NotFusableError([spec.id], blocker);
  }
  const keys = new Set(specs.map(fusionKey));
  if (keys.size > 1) throw new NotFusableError(ids, 'they differ in workload, seed, plateau monitor/mode, objective or batch size');
  if (new Set(ids).size !== ids.length) throw new NotFusableError(ids, 'a trial id appears twice');
}

/** A function, not an inline check: TypeScript would narrow `signal.aborted` to false after the first test. */
function aborted(signal: AbortSignal | undefined): signal is AbortSignal {
  return signal?.aborted === true;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function denseActivations(spec: TrialSpec): Activation[] {
  const { model } = spec.workload;
  if (model.kind !== 'layers') throw new NotFusableError([spec.id], 'not a layers model');
  return model.layers.map((layer) => {
    if (layer.kind !== 'dense') throw new NotFusableError([spec.id], `${layer.kind} layer`);
    return layer.activation;
  });
}

/**
 * Whether `spec`, trained on tfjs backend `backend`, would run on the wasm kernels as a bundle of
 * one: a single trial then trains several times faster than through tfjs's model.fit, with the
 * same schedule and the same losses to float32 noise. (Checkpointed trials stay on runTrial,
 * which alone writes checkpoints.)
 */
export function trainsOnKernels(spec: TrialSpec, backend: BackendName): boolean {
  return fusionBlocker(spec) === undefined && kernelsApply(backend, denseActivations(spec), spec.workload.loss);
}

/** The result of a trial that never trained (cancelled before it began, or refused as runTrial refuses it). */
function untrainedResult(spec: TrialSpec, outcome: TrialOutcome, backend: BackendName, wallSeconds: number): TrialResult {
  return { trialId: spec.id, outcome, history: [], lrReductions: [], objective: null, wallSeconds, backend, seed: spec.seed };
}

/**
 * Trains `specs` (all fusable with one another, see fusable()) as one bundle on `options.backend`
 * and resolves with their results in the same order. Rejects only with NotFusableError, before
 * training, when the specs cannot share a bundle. Same seed and backend → each member's history
 * equals runTrial's for that spec (bit for bit on the cpu backend).
 */
export async function runFusedTrials(specs: readonly TrialSpec[], options: RunFusedTrialsOptions): Promise<TrialResult[]> {
  const startedMs = performance.now();
  const logger = options.logger ?? silentLogger;
  if (specs.length === 0) return [];
  assertOneBundle(specs);
  const { backend, signal } = options;

  const results = new Map<string, TrialResult>();
  const members: FusedMember[] = [];
  for (const spec of specs) {
    const memberLogger = logger.child({ trial: spec.id });
    if (signal?.aborted === true) {
      results.set(spec.id, untrainedResult(spec, { status: 'cancelled', reason: cancelReason(signal) }, backend, 0));
      continue;
    }
    try {
      members.push(new FusedMember(spec, memberLogger));
    } catch (error) {
      const info = errorInfo(error);
      memberLogger.warn('training.failed', { kind: info.kind, message: info.message });
      results.set(spec.id, untrainedResult(spec, { status: 'failed', error: info }, backend, (performance.now() - startedMs) / 1000));
    }
  }

  if (members.length > 0) {
    try {
      await trainMembers(members, options, logger);
    } catch (error) {
      const info = errorInfo(error);
      const now = performance.now();
      for (const member of members.filter((m) => m.active)) {
        member.logger.warn('training.failed', { kind: info.kind, message: info.message });
        member.end({ status: 'failed', error: info }, now);
      }
    }
  }
  const now = performance.now();
  for (const member of members) results.set(member.spec.id, member.result(backend, startedMs, now));
  return specs.map((spec) => {
    const result = results.get(spec.id);
    if (result === undefined) throw new Error(`no result for ${spec.id}`);
    return result;
  });
}

/** Every member's initial weights: one model per distinct seed, built exactly as runTrial builds it. */
async function withInitialWeights<T>(members: readonly FusedMember[], shape: { featureCount: number; targetCount: number }, use: (weights: Tensor[][]) => T): Promise<T> {
  const models = new Map<number, LayersModel>();
  try {
    for (const member of members) {
      const { spec } = member;
      if (!models.has(spec.seed)) models.set(spec.seed, await buildModel(spec.workload, shape, spec.seed));
    }
    return use(
      members.map((member) => {
        const model = models.get(member.spec.seed);
        if (model === undefined) throw new Error(`no model for seed ${member.spec.seed}`);
        return model.getWeights();
      }),
    );
  } finally {
    for (const model of models.values()) model.dispose();
  }
}

/** Ends every member still training as cancelled, with the signal's reason. */
function cancelAll(members: readonly FusedMember[], by: AbortSignal): void {
  const now = performance.now();
  for (const member of members) member.end({ status: 'cancelled', reason: cancelReason(by) }, now);
}

async function trainMembers(members: readonly FusedMember[], options: RunFusedTrialsOptions, logger: Logger): Promise<void> {
  const { backend, signal } = options;
  const first = members[0];
  if (first === undefined) return;
  const { workload } = first.spec;
  await selectBackend(backend, logger);
  const data = await loadDataset(workload.dataset);
  if (aborted(signal)) return cancelAll(members, signal);

  // Members that would not fit the memory budget together train chunk after chunk; same-rate members stay together.
  const layerUnits = workload.model.kind === 'layers' ? workload.model.layers.map((layer) => (layer.kind === 'dense' ? layer.units : 0)) : [];
  const memberBytes = fusedMemberBytes(layerUnits, data.featureCount, first.spec.config.batchSize, workload.optimizer);
  const capacity = membersWithinBudget(memberBytes, options.memoryBudgetBytes ?? DEFAULT_FUSED_MEMORY_BYTES);
  const chunks = chunksOf(members, (member) => String(member.lr), capacity);
  if (chunks.length > 1) logger.debug('fused.chunks', { members: members.length, chunks: chunks.length, capacity, memberBytes });
  for (const chunk of chunks) {
    if (aborted(signal)) return cancelAll(members, signal);
    await trainChunk(chunk, data, options, logger);
  }
}

async function trainChunk(members: readonly FusedMember[], data: LoadedDataset, options: RunFusedTrialsOptions, logger: Logger): Promise<void> {
  const { backend, signal, onEpoch } = options;
  const first = members[0];
  if (first === undefined) return;
  const { workload } = first.spec;
  const batchSize = first.spec.config.batchSize;

  // One physical slot per distinct starting rate, built from its first member's weights (all share the seed).
  const start = initialSlots(members.map((member) => member.lr));
  const slots = start.sources.map((_, s) => members[start.memberSlots.indexOf(s)] ?? first);
  const activations = denseActivations(first.spec);
  const engine = chooseEngine(options.engine ?? 'auto', activations, workload.loss);
  // The wasm backend runs batched matMuls as a scalar loop; wide 2-D products run on XNNPACK.
  const plan = getBackend() === 'wasm' ? 'gemm' : 'batched';
  const bundle: FusedEngine = await withInitialWeights(slots, data, (memberWeights) => {
    const common = { data, batchSize, loss: workload.loss, optimizer: workload.optimizer, activations, memberWeights, learningRates: start.rates };
    return engine === 'kernel' ? new KernelBundle(common) : new FusedBundle({ ...common, plan });
  });
  logger.debug('fused.bundle', { members: members.length, slots: bundle.memberCount, backend, engine, ...(engine === 'tfjs' ? { plan } : {}) });
  // `epoch`: the epochs finished when the slots took this shape (they train from the next one on).
  logger.debug('fused.slots', { logical: members.length, physical: bundle.memberCount, epoch: 0 });
  try {
    // Every member shares the seed, so one shuffle stream serves them all.
    const random = new SeededRandom(deriveSeed(first.spec.seed, SeedStream.shuffle));
    // fitDataset asks for an iterator once before its epoch loop and again at every epoch start,
    // so the single trial's epoch 1 walks the SECOND permutation of its shuffle stream.
    random.permutation(data.train.count);
    // training[j] trains in physical slot slotOf[j].
    let training = [...members];
    let slotOf = [...start.memberSlots];
    for (let epoch = 0; epoch < workload.epochs && training.length > 0; epoch++) {
      if (aborted(signal)) return cancelAll(members, signal);
      for (const rows of epochBatches(random.permutation(data.train.count), batchSize)) {
        bundle.trainBatch(rows);
        // Lets an abort, a heartbeat or a timer run mid-epoch, as the single-trial runner does.
        await yieldToEventLoop();
        // An epoch cut short by an abort is not a result: the histories keep finished epochs only.
        if (aborted(signal)) {
          await bundle.takeEpochLosses();
          return cancelAll(members, signal);
        }
      }
      const { losses, batchSizes } = await bundle.takeEpochLosses();
      const validation = await bundle.validationMeans();
      const k = bundle.memberCount;
      const validationBatches = bundle.validationBatchSizes.length;
      const slotLogs = Array.from({ length: k }, (_, m): Readonly<Record<string, number>> => {
        const slotLosses = Float32Array.from(batchSizes, (_, b) => losses[b * k + m] ?? Number.NaN);
        const trained = trainingEpochLoss(slotLosses, batchSizes);
        // A member whose batch loss went NaN/Inf would have stopped there, unvalidated.
        return trained.stoppedAfterBatch === undefined
          ? { loss: trained.loss, val_loss: validationLoss(validation.subarray(m * validationBatches, (m + 1) * validationBatches), bundle.validationBatchSizes) }
          : { loss: trained.loss };
      });
      const now = performance.now();
      training.forEach((member, j) => {
        const logs = slotLogs[slotOf[j] ?? -1];
        if (logs === undefined) throw new Error(`member ${member.spec.id} has no slot`);
        member.endEpoch(epoch, logs, onEpoch === undefined ? undefined : (record) => onEpoch(member.spec.id, record), now);
      });
      const staying = training.flatMap((member, j) => (member.active ? [j] : []));
      if (staying.length < training.length) {
        logger.debug('fused.members-dropped', { diverged: training.filter((member) => !member.active).map((member) => member.spec.id), staying: staying.length });
      }
      // A diverged slot's members all end together, so the plan drops it whole.
      const next = planSlots(k, staying.map((j) => ({ slot: slotOf[j] ?? -1, lr: training[j]?.lr ?? Number.NaN })));
      training = training.filter((member) => member.active);
      slotOf = [...next.memberSlots];
      if (training.length === 0) break;
      if (!next.unchanged) {
        bundle.keepMembers(next.sources);
        logger.debug('fused.slots', { logical: training.length, physical: next.sources.length, epoch: epoch + 1 });
      }
      bundle.setLearningRates(next.rates);
      if (aborted(signal)) return cancelAll(members, signal);
    }
  } finally {
    bundle.dispose();
  }
}
