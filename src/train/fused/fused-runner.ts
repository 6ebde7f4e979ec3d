// Trains K fusable trials (same workload and seed, different learning-rate schedules) as one
// batched model and reports one TrialResult per trial, equal to what runTrial would report for
// each. Trials that have trained at the same float32 learning rate at every epoch so far are
// bit-identical, so they share one physical slot of the bundle (see member-slots.ts); a slot
// forks when its trials' next rates differ. Like runTrial it never rejects for a training
// problem: a slot whose loss turns NaN or infinite ends its members `diverged` at that epoch
// and leaves the bundle while the others train on; an aborted signal cancels every member still
// training; an error fails them. Every tensor made for the bundle is freed before it returns.
// Between any two batches a bundle on the wasm kernels can hand part of its physical members to
// another worker (option `handoff`), which trains them on with resumeFusedTrials, bit for bit as
// if the bundle had never split.
import { getBackend, type Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { silentLogger, type Logger } from '../../log/logger.js';
import type { Activation, BackendName, CancelReason, LayerSpec, LossName, EpochRecord, TrialOutcome, TrialResult, TrialSpec } from '../../trial/types.js';
import { selectBackend } from '../backend.js';
import { clientFileResolver, type FileResolver } from '../../artifacts/file-resolver.js';
import { loadDataset } from '../datasets/load-dataset.js';
import type { LoadedDataset } from '../datasets/loaded-dataset.js';
import { buildModel, type DataShape } from '../model-builder.js';
import { deriveSeed, SeededRandom, SeedStream } from '../seeded-random.js';
import { epochBatches } from '../shuffled-batches.js';
import { cancelReason } from '../trial-progress.js';
import { errorInfo } from '../trial-runner.js';
import { trainingEpochLoss, validationLoss } from './epoch-losses.js';
import { chunksOf, DEFAULT_FUSED_MEMORY_BYTES, fusedMemberBytes, membersWithinBudget } from './bundle-memory.js';
import type { BundleHandoff, BundlePart, EngineState } from './bundle-part.js';
import { batchesLeft, choosePartToHandOff, mayHandOffBefore } from './bundle-split.js';
import { FusedBundle } from './fused-bundle.js';
import type { FusedEngine } from './fused-engine.js';
import { FusedMember } from './fused-member.js';
import { fusedNetwork, type FusedNetwork } from './fused-network.js';
import { fusionBlocker, fusionKey } from './fusion-key.js';
import { kernelBlocker, KernelBundle } from './kernel/kernel-bundle.js';
import { initialSlots, planSlots } from './member-slots.js';
import { NotFusableError } from './not-fusable-error.js';

export interface RunFusedTrialsOptions {
  readonly backend: BackendName;
  /** Where the workload's files are read (an agent's worker: only what its agent resolved). Default: the client's own files. */
  readonly files?: FileResolver;
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
  /**
   * Offered part of the bundle before each batch where it can split (see BundleHandoff):
   * the trials of a part it takes train on wherever it sends them, and this call reports no
   * result for them. Only the wasm-kernel engine splits; with memory chunks, only the chunk in
   * training.
   */
  readonly handoff?: BundleHandoff;
  /**
   * Trials told to stop on their own (an early stop: pruned), with why, while the others train
   * on. The runner reads it before every batch (it only grows; a new entry is seen by its size):
   * a named member still training here ends `cancelled` with the epochs it has finished, and
   * stops costing work at once (see stopMembers). The others train on bit for bit as if it had
   * stayed. Names of trials not training here are ignored.
   */
  readonly stopped?: ReadonlyMap<string, CancelReason>;
}

export type FusedEngineChoice = 'auto' | 'tfjs' | 'kernel';

/** What the engines are chosen by: the network, its loss and the metrics it logs. */
interface EngineWorkload {
  readonly layers: readonly LayerSpec[];
  readonly loss: LossName;
  readonly metrics: readonly string[];
}

/** Losses the tfjs-ops engine (FusedBundle) computes per member. */
const TFJS_ENGINE_LOSSES: readonly LossName[] = ['meanSquaredError', 'meanAbsoluteError', 'binaryCrossentropy'];

/**
 * Why the tfjs-ops engine (FusedBundle) cannot train this network, or undefined when it can: it
 * stacks unregularized dense layers only, with the regression and binary losses, and logs no metric.
 */
function tfjsEngineBlocker({ layers, loss, metrics }: EngineWorkload): string | undefined {
  const index = layers.findIndex((layer) => layer.kind !== 'dense' || layer.kernelRegularizer !== undefined);
  const layer = layers[index];
  if (layer !== undefined) {
    if (layer.kind === 'dense') return `layer ${index + 1} has a kernel regularizer: only the wasm kernels train regularizers fused`;
    return `layer ${index + 1} is ${layer.kind}: only the wasm kernels train ${layer.kind} fused`;
  }
  if (!TFJS_ENGINE_LOSSES.includes(loss)) return `only the wasm kernels train loss ${loss} fused`;
  if (metrics.length > 0) return `only the wasm kernels log metrics (${metrics.join(', ')}) fused`;
  return undefined;
}

/**
 * The engine a bundle of this network trains on, or why none can. 'auto': the kernels on tfjs's
 * wasm backend (they replace it), tfjs ops elsewhere (bit for bit equal to runTrial on cpu), and
 * the kernels on any backend for the layers only they train (dropout, batchNorm). A forced
 * 'kernel' is always granted (KernelBundle then refuses a network it lacks a kernel for).
 */
function chooseEngine(choice: FusedEngineChoice, backend: string, workload: EngineWorkload): { engine: 'tfjs' | 'kernel' } | { blocker: string } {
  if (choice === 'kernel') return { engine: 'kernel' };
  const tfjsBlocker = tfjsEngineBlocker(workload);
  if (choice === 'tfjs') return tfjsBlocker === undefined ? { engine: 'tfjs' } : { blocker: tfjsBlocker };
  const kernelBlocked = kernelBlocker(workload.layers, workload.loss, workload.metrics);
  if (kernelBlocked === undefined && (backend === 'wasm' || tfjsBlocker !== undefined)) return { engine: 'kernel' };
  if (tfjsBlocker === undefined) return { engine: 'tfjs' };
  return { blocker: `${tfjsBlocker}, and the kernels cannot: ${kernelBlocked ?? ''}` };
}

function engineOrThrow(choice: ReturnType<typeof chooseEngine>): 'tfjs' | 'kernel' {
  if ('blocker' in choice) throw new Error(choice.blocker);
  return choice.engine;
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

/** One activation per dense layer (what the tfjs-ops engine stacks). */
function denseActivations(layers: readonly LayerSpec[]): Activation[] {
  return layers.flatMap((layer) => (layer.kind === 'dense' ? [layer.activation] : []));
}

/**
 * The network `specs` (one bundle) train, or NotFusableError naming why not: a model.json layer
 * no fused engine trains, or a model.json that cannot be read (model.fit then fails the trials
 * with the same error, one by one).
 */
async function bundleNetwork(specs: readonly TrialSpec[], files: FileResolver | undefined): Promise<FusedNetwork> {
  const lead = specs[0];
  const ids = specs.map((spec) => spec.id);
  if (lead === undefined) throw new NotFusableError(ids, 'no trials');
  let resolved: Awaited<ReturnType<typeof fusedNetwork>>;
  try {
    resolved = await fusedNetwork(lead, files ?? clientFileResolver);
  } catch (error) {
    throw new NotFusableError(ids, `the model cannot be read (${errorInfo(error).message})`);
  }
  if ('unsupported' in resolved) throw new NotFusableError(ids, resolved.unsupported);
  return resolved.network;
}

/**
 * Whether `spec`, trained on tfjs backend `backend`, would run on the wasm kernels as a bundle of
 * one: a single trial then trains several times faster than through tfjs's model.fit, with the
 * same schedule and the same losses to float32 noise. (Checkpointed trials stay on runTrial,
 * which alone writes checkpoints.) A model.json is read (through `files`) to see its layers; one
 * that cannot be read does not.
 */
export async function trainsOnKernels(spec: TrialSpec, backend: BackendName, files?: FileResolver): Promise<boolean> {
  if (fusionBlocker(spec) !== undefined) return false;
  const resolved = await fusedNetwork(spec, files).catch(() => undefined);
  if (resolved === undefined || 'unsupported' in resolved) return false;
  const choice = chooseEngine('auto', backend, { layers: resolved.network.layers, loss: spec.workload.loss, metrics: spec.workload.metrics });
  return 'engine' in choice && choice.engine === 'kernel';
}

/**
 * Why `spec` cannot train fused on any backend (as a bundle, or alone on the kernels), naming the
 * layer where one is the cause; undefined when it can, or when its model.json cannot be read
 * (the trial fails on that, fused or not).
 */
export async function notFusableReason(spec: TrialSpec, files?: FileResolver): Promise<string | undefined> {
  const blocker = fusionBlocker(spec);
  if (blocker !== undefined) return blocker;
  const resolved = await fusedNetwork(spec, files).catch(() => undefined);
  if (resolved === undefined) return undefined;
  if ('unsupported' in resolved) return resolved.unsupported;
  const choice = chooseEngine('auto', 'wasm', { layers: resolved.network.layers, loss: spec.workload.loss, metrics: spec.workload.metrics });
  return 'blocker' in choice ? choice.blocker : undefined;
}

/** The result of a trial that never trained (cancelled before it began, or refused as runTrial refuses it). */
function untrainedResult(spec: TrialSpec, outcome: TrialOutcome, backend: BackendName, wallSeconds: number): TrialResult {
  return { trialId: spec.id, outcome, history: [], lrReductions: [], objective: null, wallSeconds, backend, seed: spec.seed };
}

/**
 * Trains `specs` (all fusable with one another, see fusable()) as one bundle on `options.backend`
 * and resolves with their results in the same order, less the trials handed off to
 * `options.handoff` (those report where they trained on). Rejects only with NotFusableError,
 * before training, when the specs cannot share a bundle. Same seed and backend → each member's
 * history equals runTrial's for that spec (bit for bit on the cpu backend).
 */
export async function runFusedTrials(specs: readonly TrialSpec[], options: RunFusedTrialsOptions): Promise<TrialResult[]> {
  const startedMs = performance.now();
  const logger = options.logger ?? silentLogger;
  if (specs.length === 0) return [];
  assertOneBundle(specs);
  const { backend, signal } = options;
  const lead = specs[0];
  if (lead === undefined) return [];
  // Refused before training (the worker then trains them one by one, and logs why once).
  const network = await bundleNetwork(specs, options.files);
  const planned = chooseEngine(options.engine ?? 'auto', backend, { layers: network.layers, loss: lead.workload.loss, metrics: lead.workload.metrics });
  if ('blocker' in planned) throw new NotFusableError(specs.map((spec) => spec.id), planned.blocker);

  const untrained = new Map<string, TrialResult>();
  const members: FusedMember[] = [];
  for (const spec of specs) {
    const memberLogger = logger.child({ trial: spec.id });
    if (signal?.aborted === true) {
      untrained.set(spec.id, untrainedResult(spec, { status: 'cancelled', reason: cancelReason(signal) }, backend, 0));
      continue;
    }
    try {
      members.push(new FusedMember(spec, memberLogger));
    } catch (error) {
      const info = errorInfo(error);
      memberLogger.warn('training.failed', { kind: info.kind, message: info.message });
      untrained.set(spec.id, untrainedResult(spec, { status: 'failed', error: info }, backend, (performance.now() - startedMs) / 1000));
    }
  }
  await trainOrFail(members, () => trainMembers(members, network, options, logger, startedMs));
  return reportedResults(specs, untrained, members, backend, startedMs);
}

/**
 * Trains on a part another bundle handed off (see BundleHandoff), from batch `part.batchesDone`
 * of epoch `part.epochsDone`, exactly as the giving bundle would have: same weights, optimizer
 * state, schedules, shuffle order and losses of the unfinished epoch. Resolves with a result for each member of the part, in part order, less those handed
 * off again (`options.handoff`); each result carries the member's whole history and counts its
 * wallSeconds on from `part.elapsedSeconds`. `onEpoch` sees only the epochs trained here. The
 * part trains as one bundle (no memory chunks: it held together where it came from), on the
 * engine its state is from (`options.engine` is not asked). Never rejects for a training
 * problem; rejects with NotFusableError, before training, when the part's trials cannot share a bundle.
 */
export async function resumeFusedTrials(part: BundlePart, options: RunFusedTrialsOptions): Promise<TrialResult[]> {
  // Wall time counts on from what the giving worker spent on these members.
  const originMs = performance.now() - part.elapsedSeconds * 1000;
  const logger = options.logger ?? silentLogger;
  const specs = part.members.map((member) => member.spec);
  if (specs.length === 0) return [];
  assertOneBundle(specs);
  const { backend } = options;
  const network = await bundleNetwork(specs, options.files);

  const untrained = new Map<string, TrialResult>();
  const resumed: PlacedMember[] = [];
  for (const partMember of part.members) {
    const memberLogger = logger.child({ trial: partMember.spec.id });
    try {
      resumed.push({ member: FusedMember.resume(partMember, memberLogger), slot: partMember.slot });
    } catch (error) {
      // Unreachable for a part a bundle gave (it built the same member), kept for the contract.
      const info = errorInfo(error);
      memberLogger.warn('training.failed', { kind: info.kind, message: info.message });
      untrained.set(partMember.spec.id, untrainedResult(partMember.spec, { status: 'failed', error: info }, backend, (performance.now() - originMs) / 1000));
    }
  }
  const members = resumed.map(({ member }) => member);
  await trainOrFail(members, () => trainPart(part, resumed, network, options, logger, originMs));
  return reportedResults(specs, untrained, members, backend, originMs);
}

/** A member and the physical member of its bundle it trains in. */
interface PlacedMember {
  readonly member: FusedMember;
  readonly slot: number;
}

/** Runs `train`; what it throws fails every member still training (the runners never reject for a training problem). */
async function trainOrFail(members: readonly FusedMember[], train: () => Promise<void>): Promise<void> {
  if (members.length === 0) return;
  try {
    await train();
  } catch (error) {
    const info = errorInfo(error);
    const now = performance.now();
    for (const member of members.filter((m) => m.active)) {
      member.logger.warn('training.failed', { kind: info.kind, message: info.message });
      member.end({ status: 'failed', error: info }, now);
    }
  }
}

/** The results this call reports, in `specs` order: the untrained ones and every member not handed off, wall time from `originMs`. */
function reportedResults(specs: readonly TrialSpec[], untrained: ReadonlyMap<string, TrialResult>, members: readonly FusedMember[], backend: BackendName, originMs: number): TrialResult[] {
  const now = performance.now();
  const results = new Map(untrained);
  const handedOff = new Set<string>();
  for (const member of members) {
    if (member.handedOff) handedOff.add(member.spec.id);
    else results.set(member.spec.id, member.result(backend, originMs, now));
  }
  return specs.flatMap((spec) => {
    if (handedOff.has(spec.id)) return [];
    const result = results.get(spec.id);
    if (result === undefined) throw new Error(`no result for ${spec.id}`);
    return [result];
  });
}

/** Every member's initial weights: one model per distinct seed, built exactly as runTrial builds it. */
async function withInitialWeights<T>(members: readonly FusedMember[], shape: DataShape, files: FileResolver | undefined, use: (weights: Tensor[][]) => T): Promise<T> {
  const models = new Map<number, LayersModel>();
  try {
    for (const member of members) {
      const { spec } = member;
      if (!models.has(spec.seed)) models.set(spec.seed, await buildModel(spec.workload, shape, spec.seed, files));
    }
    return use(
      members.map((member) => {
        const model = models.get(member.spec.seed);
        if (model === undefined) throw new Error(`no model for seed ${member.spec.seed}`);
        // Layer by layer (model.getWeights() puts every non-trainable weight, batchNorm's moving statistics, last).
        return model.layers.flatMap((layer) => layer.getWeights());
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

/**
 * The shuffle stream the members share (they share the seed), positioned to draw epoch `epoch`'s
 * permutation next (a resumed part draws it too, and skips the batches already trained). fitDataset asks for an iterator once before its epoch loop and again at
 * every epoch start, so the single trial's epoch 1 walks the SECOND permutation of its stream.
 */
function shuffleStream(seed: number, rows: number, epoch: number): SeededRandom {
  const random = new SeededRandom(deriveSeed(seed, SeedStream.shuffle));
  for (let drawn = 0; drawn <= epoch; drawn++) random.permutation(rows);
  return random;
}

async function trainMembers(members: readonly FusedMember[], network: FusedNetwork, options: RunFusedTrialsOptions, logger: Logger, originMs: number): Promise<void> {
  const { backend, signal } = options;
  const first = members[0];
  if (first === undefined) return;
  const { workload } = first.spec;
  await selectBackend(backend, logger);
  const data = await loadDataset(workload.dataset, options.files);
  if (aborted(signal)) return cancelAll(members, signal);

  // Members that would not fit the memory budget together train chunk after chunk; same-rate members stay together.
  // The dense layers' widths: a dropout or batchNorm layer keeps its input's width (its few floats per unit are not counted).
  const layerUnits = network.layers.flatMap((layer) => (layer.kind === 'dense' ? [layer.units] : []));
  const memberBytes = fusedMemberBytes(layerUnits, data.featureCount, first.spec.config.batchSize, workload.optimizer);
  const capacity = membersWithinBudget(memberBytes, options.memoryBudgetBytes ?? DEFAULT_FUSED_MEMORY_BYTES);
  const chunks = chunksOf(members, (member) => String(member.lr), capacity);
  if (chunks.length > 1) logger.debug('fused.chunks', { members: members.length, chunks: chunks.length, capacity, memberBytes });
  for (const chunk of chunks) {
    if (aborted(signal)) return cancelAll(members, signal);
    await trainChunk(chunk, network, data, options, logger, originMs);
  }
}

async function trainChunk(members: readonly FusedMember[], network: FusedNetwork, data: LoadedDataset, options: RunFusedTrialsOptions, logger: Logger, originMs: number): Promise<void> {
  const { backend } = options;
  const first = members[0];
  if (first === undefined) return;
  const { workload } = first.spec;
  const batchSize = first.spec.config.batchSize;

  // One physical slot per distinct starting rate, built from its first member's weights (all share the seed).
  const start = initialSlots(members.map((member) => member.lr));
  const slots = start.sources.map((_, s) => members[start.memberSlots.indexOf(s)] ?? first);
  const { layers } = network;
  const activations = denseActivations(layers);
  const engine = engineOrThrow(chooseEngine(options.engine ?? 'auto', getBackend(), { layers, loss: workload.loss, metrics: workload.metrics }));
  // The wasm backend runs batched matMuls as a scalar loop; wide 2-D products run on XNNPACK.
  const plan = getBackend() === 'wasm' ? 'gemm' : 'batched';
  const bundle: FusedEngine = await withInitialWeights(slots, data, options.files, (memberWeights) => {
    const common = { data, batchSize, loss: workload.loss, optimizer: workload.optimizer, activations, memberWeights, learningRates: start.rates };
    return engine === 'kernel' ? new KernelBundle({ ...common, layers, metrics: workload.metrics, seed: first.spec.seed, ...dropoutSeeds(network) }) : new FusedBundle({ ...common, plan });
  });
  logger.debug('fused.bundle', { members: members.length, slots: bundle.memberCount, backend, engine, ...(engine === 'tfjs' ? { plan } : {}) });
  // `epoch`: the epochs finished when the slots took this shape (they train from the next one on).
  logger.debug('fused.slots', { logical: members.length, physical: bundle.memberCount, epoch: 0 });
  try {
    const placed = members.map((member, j) => ({ member, slot: start.memberSlots[j] ?? -1 }));
    const random = shuffleStream(first.spec.seed, data.train.count, 0);
    await trainEpochs({ engine: bundle, members: placed, rates: start.rates, from: 0, fromBatch: 0, random, data, originMs }, options, logger);
  } finally {
    bundle.dispose();
  }
}

async function trainPart(part: BundlePart, resumed: readonly PlacedMember[], network: FusedNetwork, options: RunFusedTrialsOptions, logger: Logger, originMs: number): Promise<void> {
  const { backend, signal } = options;
  const members = resumed.map(({ member }) => member);
  const first = members[0];
  if (first === undefined) return;
  if (aborted(signal)) return cancelAll(members, signal);
  await selectBackend(backend, logger);
  const data = await loadDataset(first.spec.workload.dataset, options.files);
  if (aborted(signal)) return cancelAll(members, signal);

  const { epochsDone, batchesDone } = part;
  const batchesPerEpoch = Math.ceil(data.train.count / first.spec.config.batchSize);
  if (!Number.isInteger(batchesDone) || batchesDone < 0 || batchesDone >= batchesPerEpoch || batchesDone !== part.engine.epochBatchSizes.length) {
    throw new RangeError(`batchesDone: ${batchesDone} — the part must resume within an epoch of ${batchesPerEpoch} batches and carry the losses of exactly that many batches (it carries ${part.engine.epochBatchSizes.length})`);
  }
  const bundle = resumedEngine(part.engine, first.spec, network, data);
  for (const { member, slot } of resumed) {
    if (!Number.isInteger(slot) || slot < 0 || slot >= bundle.memberCount) throw new RangeError(`member ${member.spec.id} trains in physical member ${slot}, not one of the part's ${bundle.memberCount}`);
  }
  logger.debug('fused.bundle', { members: members.length, slots: bundle.memberCount, backend, engine: part.engine.kind, resumedAt: epochsDone, resumedAtBatch: batchesDone });
  logger.debug('fused.slots', { logical: members.length, physical: bundle.memberCount, epoch: epochsDone });
  try {
    const random = shuffleStream(first.spec.seed, data.train.count, epochsDone);
    const rates = Array.from(part.engine.rates);
    await trainEpochs({ engine: bundle, members: resumed, rates, from: epochsDone, fromBatch: batchesDone, random, data, originMs }, options, logger);
  } finally {
    bundle.dispose();
  }
}

/** The engine a handed-off part resumes on: the kind it was exported from, holding its state. */
function resumedEngine(state: EngineState, spec: TrialSpec, network: FusedNetwork, data: LoadedDataset): FusedEngine {
  const { workload } = spec;
  return new KernelBundle({
    data,
    batchSize: spec.config.batchSize,
    loss: workload.loss,
    optimizer: workload.optimizer,
    activations: denseActivations(network.layers),
    layers: network.layers,
    metrics: workload.metrics,
    seed: spec.seed,
    ...dropoutSeeds(network),
    state,
  });
}

/** The engine option for a network whose model fixes its dropout seeds (a model.json's). */
function dropoutSeeds(network: FusedNetwork): { dropoutSeeds?: readonly (number | undefined)[] } {
  return network.dropoutSeeds === undefined ? {} : { dropoutSeeds: network.dropoutSeeds };
}

/** One bundle's epochs, from `from` to the workload's last, or until no member trains. */
interface EpochRun {
  readonly engine: FusedEngine;
  /** Every member, all training, each in its physical member of `engine`. */
  readonly members: readonly PlacedMember[];
  /** Each physical member's float32 learning rate now. */
  readonly rates: readonly number[];
  /** The 0-based epoch to train first. */
  readonly from: number;
  /** Batches of epoch `from` already trained (their losses are in `engine`). */
  readonly fromBatch: number;
  /** The members' shuffle stream, positioned at epoch `from` (shuffleStream). */
  readonly random: SeededRandom;
  readonly data: LoadedDataset;
  /** Where the members' wall time counts from (performance.now() milliseconds). */
  readonly originMs: number;
}

/**
 * Trains the run's epochs, then logs `fused.trained` with the physical-member batches it trained
 * (a batch of a bundle of k physical members counts k): what the bundle's work cost, which a
 * member stopped early or handed off no longer adds to.
 */
async function trainEpochs(run: EpochRun, options: RunFusedTrialsOptions, logger: Logger): Promise<void> {
  const work = { memberBatches: 0 };
  try {
    await trainEpochsCounting(run, options, logger, work);
  } finally {
    logger.debug('fused.trained', { fromEpoch: run.from, memberBatches: work.memberBatches });
  }
}

async function trainEpochsCounting(run: EpochRun, options: RunFusedTrialsOptions, logger: Logger, work: { memberBatches: number }): Promise<void> {
  const { signal, onEpoch, handoff, stopped } = options;
  const { engine: bundle, data, random } = run;
  const members = run.members.map(({ member }) => member);
  const first = members[0];
  if (first === undefined) return;
  const { epochs } = first.spec.workload;
  const batchSize = first.spec.config.batchSize;
  // training[j] trains in physical slot slotOf[j], at rates[slotOf[j]].
  let training = [...members];
  let slotOf = run.members.map(({ slot }) => slot);
  let rates = [...run.rates];
  // Entries of `stopped` already applied (every one is looked at again when it grows: it is small).
  let stopsSeen = 0;
  for (let epoch = run.from; epoch < epochs && training.length > 0; epoch++) {
    if (aborted(signal)) return cancelAll(members, signal);
    const batches = epochBatches(random.permutation(data.train.count), batchSize);
    for (let b = epoch === run.from ? run.fromBatch : 0; b < batches.length; b++) {
      if (stopped !== undefined && stopped.size !== stopsSeen) {
        stopsSeen = stopped.size;
        ({ training, slotOf, rates } = stopMembers({ engine: bundle, training, slotOf, rates, epochsDone: epoch, batchesDone: b }, stopped, logger));
        if (training.length === 0) {
          // Every member stopped: the unfinished epoch's batch losses are nobody's.
          await bundle.takeEpochLosses();
          return;
        }
      }
      // Before every batch the state is exactly what the rest of the run starts from: a part can leave here.
      if (handoff !== undefined && mayHandOffBefore(epochs, batches.length, epoch, b) && handoff.wanted()) {
        const fractionLeft = batchesLeft(epochs, batches.length, epoch, b) / (epochs * batches.length);
        const at = { engine: bundle, training, slotOf, rates, epochsDone: epoch, batchesDone: b, fractionLeft, originMs: run.originMs };
        ({ training, slotOf, rates } = handOffPart(at, handoff, logger));
      }
      const rows = batches[b];
      if (rows === undefined) break;
      bundle.trainBatch(rows, epoch * batches.length + b);
      work.memberBatches += bundle.memberCount;
      // Lets an abort, a heartbeat, a split request or a timer run mid-epoch, as the single-trial runner does.
      await yieldToEventLoop();
      // An epoch cut short by an abort is not a result: the histories keep finished epochs only.
      if (aborted(signal)) {
        await bundle.takeEpochLosses();
        return cancelAll(members, signal);
      }
    }
    const { losses, batchSizes } = await bundle.takeEpochLosses();
    const accuracies = bundle.takeEpochAccuracies?.();
    const validation = await bundle.validationMeans();
    const validationAccuracies = bundle.validationAccuracies?.();
    const k = bundle.memberCount;
    const validationBatches = bundle.validationBatchSizes.length;
    const slotLogs = Array.from({ length: k }, (_, m): Readonly<Record<string, number>> => {
      const slotLosses = Float32Array.from(batchSizes, (_, b) => losses[b * k + m] ?? Number.NaN);
      const trained = trainingEpochLoss(slotLosses, batchSizes);
      // acc is averaged over the epoch's batches as the loss is (tfjs-layers' BaseLogger and testLoop treat every log alike).
      const slotAccuracies = accuracies === undefined || accuracies.length === 0 ? undefined : Float32Array.from(batchSizes, (_, b) => accuracies[b * k + m] ?? Number.NaN);
      const ownValidation = (values: Float32Array): number => validationLoss(values.subarray(m * validationBatches, (m + 1) * validationBatches), bundle.validationBatchSizes);
      // A member whose batch loss went NaN/Inf would have stopped there, unvalidated (its acc counts the same batches).
      const trainedAccuracy: Record<string, number> = slotAccuracies === undefined ? {} : { acc: trainingEpochLoss(slotAccuracies.subarray(0, (trained.stoppedAfterBatch ?? batchSizes.length - 1) + 1), batchSizes).loss };
      if (trained.stoppedAfterBatch !== undefined) return { loss: trained.loss, ...trainedAccuracy };
      const validated: Record<string, number> = validationAccuracies === undefined || validationAccuracies.length === 0 ? {} : { val_acc: ownValidation(validationAccuracies) };
      return { loss: trained.loss, ...trainedAccuracy, val_loss: ownValidation(validation), ...validated };
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
    rates = [...next.rates];
    bundle.setLearningRates(rates);
  }
}

/** A bundle before a batch: its members still training, each in physical member slotOf[j], at rates[slot]. */
interface BundleBeforeBatch {
  readonly engine: FusedEngine;
  readonly training: readonly FusedMember[];
  readonly slotOf: readonly number[];
  readonly rates: readonly number[];
  /** Finished epochs, and batches trained of the next one. */
  readonly epochsDone: number;
  readonly batchesDone: number;
  /** The share of the run's batches still to train (0..1). */
  readonly fractionLeft: number;
  readonly originMs: number;
}

/**
 * When the bundle can split (an exporting engine, ≥ 2 physical members): hands `handoff` the
 * physical members choosePartToHandOff picks, with their trials, and drops them from the engine.
 * Returns the members that train on here, their new slots and the slots' rates (all of them,
 * unchanged, when nothing was handed off).
 */
function handOffPart(at: BundleBeforeBatch, handoff: BundleHandoff, logger: Logger): { training: FusedMember[]; slotOf: number[]; rates: number[] } {
  const { engine, training, slotOf, rates } = at;
  const unchanged = { training: [...training], slotOf: [...slotOf], rates: [...rates] };
  if (engine.exportMembers === undefined || engine.memberCount < 2) return unchanged;
  const logicalCounts = Array.from({ length: engine.memberCount }, (_, p) => slotOf.filter((slot) => slot === p).length);
  const given = choosePartToHandOff(logicalCounts, at.fractionLeft);
  if (given.length === 0) return unchanged;
  const kept = logicalCounts.flatMap((_, p) => (given.includes(p) ? [] : [p]));
  const leaving = training.flatMap((member, j) => (given.includes(slotOf[j] ?? -1) ? [{ member, slot: given.indexOf(slotOf[j] ?? -1) }] : []));
  const part: BundlePart = {
    epochsDone: at.epochsDone,
    batchesDone: at.batchesDone,
    elapsedSeconds: (performance.now() - at.originMs) / 1000,
    members: leaving.map(({ member, slot }) => member.partMember(slot)),
    engine: engine.exportMembers(given),
  };
  // Taken before anything is dropped: should take() throw, the bundle still holds every member (and fails them).
  handoff.take(part);
  for (const { member } of leaving) member.handOff();
  const keptRates = kept.map((p) => rates[p] ?? Number.NaN);
  engine.keepMembers(kept);
  engine.setLearningRates(keptRates);
  const staying = training.flatMap((member, j) => (member.handedOff ? [] : [j]));
  logger.debug('fused.handed-off', { trials: leaving.map(({ member }) => member.spec.id), physical: given.length, epoch: at.epochsDone, batch: at.batchesDone });
  logger.debug('fused.slots', { logical: staying.length, physical: kept.length, epoch: at.epochsDone });
  return {
    training: staying.map((j) => training[j]).filter((member): member is FusedMember => member !== undefined),
    slotOf: staying.map((j) => kept.indexOf(slotOf[j] ?? -1)),
    rates: keptRates,
  };
}

/** A bundle before a batch, as stopMembers sees it. */
type BundleAtBatch = Pick<BundleBeforeBatch, 'engine' | 'training' | 'slotOf' | 'rates' | 'epochsDone' | 'batchesDone'>;

/**
 * Ends the members of `at.training` that `stopped` names as cancelled (their histories keep the
 * epochs they finished) and frees the physical members no one trains in any more: before this
 * batch where the engine can drop members mid-epoch (one that exports: each member's batch
 * losses follow it), else at the epoch's end, where the slot plan leaves them out (the tfjs
 * engine holds each batch's losses of every member in one tensor). A physical member that
 * trials still training share with a stopped one (same rates so far, see member-slots.ts) stays:
 * they train exactly as before. Returns the members training on, their slots and the slots' rates.
 */
function stopMembers(at: BundleAtBatch, stopped: ReadonlyMap<string, CancelReason>, logger: Logger): { training: FusedMember[]; slotOf: number[]; rates: number[] } {
  const { engine, training, slotOf, rates } = at;
  const stopping = training.filter((member) => stopped.has(member.spec.id));
  if (stopping.length === 0) return { training: [...training], slotOf: [...slotOf], rates: [...rates] };
  const now = performance.now();
  for (const member of stopping) member.end({ status: 'cancelled', reason: stopped.get(member.spec.id) ?? 'interrupted' }, now);
  const staying = training.flatMap((member, j) => (member.active ? [j] : []));
  const stayingMembers = staying.map((j) => training[j]).filter((member): member is FusedMember => member !== undefined);
  const stayingSlots = staying.map((j) => slotOf[j] ?? -1);
  const kept = [...new Set(stayingSlots)].sort((a, b) => a - b);
  const dropNow = kept.length < engine.memberCount && stayingMembers.length > 0 && (at.batchesDone === 0 || engine.exportMembers !== undefined);
  logger.debug('fused.members-stopped', {
    trials: stopping.map((member) => member.spec.id),
    epoch: at.epochsDone,
    batch: at.batchesDone,
    staying: stayingMembers.length,
    physical: dropNow ? kept.length : engine.memberCount,
  });
  if (!dropNow) return { training: stayingMembers, slotOf: stayingSlots, rates: [...rates] };
  const keptRates = kept.map((p) => rates[p] ?? Number.NaN);
  engine.keepMembers(kept);
  engine.setLearningRates(keptRates);
  logger.debug('fused.slots', { logical: stayingMembers.length, physical: kept.length, epoch: at.epochsDone });
  return { training: stayingMembers, slotOf: stayingSlots.map((slot) => kept.indexOf(slot)), rates: keptRates };
}
