// A trial's training state every K epochs, so a requeued trial resumes where it stopped and
// ends exactly where an uninterrupted run would: model weights, optimizer slots (Adam moments,
// iterations), the plateau scheduler (best, wait, cooldown), the learning rate, the history so
// far, and the positions of the seeded streams (shuffle permutations, dropout masks).
// Written atomically: weights-<epoch>.bin first, then checkpoint.json naming it, then the old
// weights go; a crash at any point leaves the previous checkpoint or the new one, never half.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { scalar, tensor, type Optimizer, type Tensor } from '@tensorflow/tfjs-core';
import type { PlateauSchedulerState } from '../plateau/scheduler.js';
import type { EpochRecord, TrialSpec } from '../trial/types.js';
import { writeFileAtomic } from '../fs/atomic-write.js';

/** An optimizer slot as tfjs names it (e.g. 'dense_Dense1/kernel/m'). */
export type NamedTensor = Awaited<ReturnType<Optimizer['getWeights']>>[number];

export interface TrialCheckpointOptions {
  /** Checkpoints of all trials live under here, one folder per trial id. */
  readonly dir: string;
  /** Save after every this many finished epochs. */
  readonly everyEpochs: number;
}

/** Everything besides tensors, as read back. */
export interface CheckpointState {
  readonly epoch: number;
  readonly history: readonly EpochRecord[];
  readonly lrReductions: readonly number[];
  readonly scheduler: PlateauSchedulerState;
  /** The rate the next epoch trains at. */
  readonly lr: number;
  /** Training calls of each seeded dropout layer, in model order. */
  readonly dropoutCalls: readonly number[];
  /** Optimizer accumulators getWeights() leaves out (see optimizerScalars). */
  readonly optimizerScalars: Readonly<Record<string, number>>;
}

/**
 * Adam's bias corrections β1^t and β2^t: training multiplies them step by step, while tfjs's
 * setWeights recomputes them with pow(), which differs in the last float32 bit — enough to
 * make a resumed run drift. They are saved and put back as they were.
 */
const accumulatorFields = ['accBeta1', 'accBeta2'] as const;

interface ScalarVariable {
  dataSync(): ArrayLike<number>;
  assign(value: Tensor): void;
}

function scalarVariable(optimizer: Optimizer, field: string): ScalarVariable | undefined {
  const value: unknown = (optimizer as unknown as Record<string, unknown>)[field];
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as Partial<ScalarVariable>;
  return typeof candidate.dataSync === 'function' && typeof candidate.assign === 'function' ? (value as ScalarVariable) : undefined;
}

export function readOptimizerScalars(optimizer: Optimizer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const field of accumulatorFields) {
    const value = scalarVariable(optimizer, field)?.dataSync()[0];
    if (value !== undefined) out[field] = value;
  }
  return out;
}

export function restoreOptimizerScalars(optimizer: Optimizer, values: Readonly<Record<string, number>>): void {
  for (const [field, value] of Object.entries(values)) {
    const variable = scalarVariable(optimizer, field);
    if (variable === undefined) continue;
    const t = scalar(value, 'float32');
    variable.assign(t);
    t.dispose();
  }
}

export interface LoadedCheckpoint extends CheckpointState {
  readonly modelWeights: Tensor[];
  readonly optimizerWeights: NamedTensor[];
}

interface TensorEntry {
  readonly name: string;
  readonly shape: number[];
}

interface CheckpointFile {
  readonly version: 1;
  readonly trialId: string;
  readonly specHash: string;
  readonly weightsFile: string;
  readonly model: TensorEntry[];
  readonly optimizer: TensorEntry[];
  readonly state: CheckpointState;
}

const fileName = 'checkpoint.json';

export function specHash(spec: TrialSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}

/** The trial's folder; trial ids are hex, but a path never comes from one unchecked. */
export function trialCheckpointDir(dir: string, trialId: string): string {
  return join(dir, trialId.replace(/[^A-Za-z0-9._-]/g, '_'));
}

// NaN/±Infinity (a diverging metric) survive the JSON round trip as tagged strings.
function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? { nonFinite: String(value) } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const tagged = (value as { nonFinite?: unknown }).nonFinite;
    if (typeof tagged === 'string' && Object.keys(value).length === 1) return Number(tagged);
  }
  return value;
}

export async function saveTrialCheckpoint(
  dir: string,
  spec: TrialSpec,
  input: { readonly state: CheckpointState; readonly modelWeights: readonly Tensor[]; readonly optimizerWeights: readonly NamedTensor[] },
): Promise<void> {
  const folder = trialCheckpointDir(dir, spec.id);
  await mkdir(folder, { recursive: true });
  const tensors = [...input.modelWeights, ...input.optimizerWeights.map((named) => named.tensor)];
  const arrays = await Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
  const bytes = new Uint8Array(arrays.reduce((sum, a) => sum + a.byteLength, 0));
  let offset = 0;
  for (const array of arrays) {
    bytes.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
    offset += array.byteLength;
  }
  const weightsFile = `weights-${input.state.epoch}.bin`;
  await writeFileAtomic(join(folder, weightsFile), bytes, 0o600);
  const file: CheckpointFile = {
    version: 1,
    trialId: spec.id,
    specHash: specHash(spec),
    weightsFile,
    model: input.modelWeights.map((t, i) => ({ name: `model/${i}`, shape: [...t.shape] })),
    optimizer: input.optimizerWeights.map((named) => ({ name: named.name, shape: [...named.tensor.shape] })),
    state: input.state,
  };
  await writeFileAtomic(join(folder, fileName), JSON.stringify(file, replacer), 0o600);
  for (const entry of await readdir(folder)) {
    if (entry.startsWith('weights-') && entry !== weightsFile) await rm(join(folder, entry), { force: true });
  }
}

/**
 * The trial's last checkpoint, or null when there is none or it does not belong to this exact
 * spec (a checkpoint that cannot be read is ignored: training starts over, which is always right).
 */
export async function loadTrialCheckpoint(dir: string, spec: TrialSpec): Promise<LoadedCheckpoint | null> {
  const folder = trialCheckpointDir(dir, spec.id);
  let file: CheckpointFile;
  let bytes: Buffer;
  try {
    file = JSON.parse(await readFile(join(folder, fileName), 'utf8'), reviver) as CheckpointFile;
    if (file.version !== 1 || file.trialId !== spec.id || file.specHash !== specHash(spec)) return null;
    bytes = await readFile(join(folder, file.weightsFile.replace(/[/\\]/g, '')));
  } catch {
    return null;
  }
  const entries = [...file.model, ...file.optimizer];
  const sizes = entries.map((entry) => entry.shape.reduce((product, n) => product * n, 1));
  if (sizes.reduce((sum, n) => sum + n, 0) * 4 !== bytes.byteLength) return null;
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let offset = 0;
  const tensors = entries.map((entry, i) => {
    const size = sizes[i] ?? 0;
    const t = tensor(floats.slice(offset, offset + size), entry.shape, 'float32');
    offset += size;
    return t;
  });
  return {
    ...file.state,
    optimizerScalars: file.state.optimizerScalars ?? {},
    modelWeights: tensors.slice(0, file.model.length),
    optimizerWeights: file.optimizer.map((entry, i) => ({ name: entry.name, tensor: tensors[file.model.length + i] as Tensor })),
  };
}

/** Removes the trial's checkpoint (its result is recorded: nothing left to resume). */
export async function removeTrialCheckpoint(dir: string, trialId: string): Promise<void> {
  await rm(trialCheckpointDir(dir, trialId), { recursive: true, force: true });
}
