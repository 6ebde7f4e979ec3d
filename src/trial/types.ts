// Domain types shared by every process: the spec layer produces them, the trainer
// consumes TrialSpec and produces TrialResult, the coordinator stores both.
// Wire types (gen/) never leak past src/rpc; this file is the vocabulary.
import type { FileRef } from '../artifacts/file-ref.js';
import type { StopRecord } from '../stopping/stop-types.js';

export type { FileRef };

/** A built-in or file-backed dataset. Files are FileRefs: client paths until staged, then content hashes. */
export type DatasetSpec =
  | {
      readonly kind: 'synthetic-regression';
      readonly samples: number;
      readonly features: number;
      readonly noise: number;
      readonly seed: number;
      /** Fraction of `samples` held out for validation (Keras `validation_split` sense). */
      readonly validationSplit: number;
    }
  | {
      readonly kind: 'two-spirals';
      readonly samples: number;
      readonly noise: number;
      readonly seed: number;
      readonly validationSplit: number;
    }
  | {
      /** Seeded images of simple class patterns (synthetic-images.ts): x of shape [height, width, channels] per sample, y the class index. */
      readonly kind: 'synthetic-images';
      readonly samples: number;
      readonly height: number;
      readonly width: number;
      readonly channels: number;
      readonly classes: number;
      readonly seed: number;
      readonly validationSplit: number;
    }
  | {
      /**
       * Seeded Gaussian blobs, one per class: `classes` centres, each sample near its class's centre.
       * y holds the class label (0 … classes − 1), or with `oneHot` one column per class.
       */
      readonly kind: 'synthetic-classification';
      readonly samples: number;
      readonly features: number;
      readonly classes: number;
      readonly oneHot: boolean;
      readonly seed: number;
      readonly validationSplit: number;
    }
  | {
      readonly kind: 'csv';
      readonly train: FileRef;
      readonly validation: FileRef;
      readonly target: string;
      /** Z-score every feature with the training file's mean and std (applied to both files). */
      readonly standardize: boolean;
    }
  | {
      /** NumPy arrays saved with np.savez / np.savez_compressed: x of shape [n, ...], y of shape [n] or [n, k]. */
      readonly kind: 'npz';
      readonly train: FileRef;
      /** An archive with the same keys; without it, the last `validationSplit` of train is held out. */
      readonly validation?: FileRef;
      /** Keys of the arrays in each archive (np.savez(file, x=…, y=…) → "x" and "y"). */
      readonly x: string;
      readonly y: string;
      readonly validationSplit: number;
      /** Z-score every feature with the training x's mean and std (applied to both parts). */
      readonly standardize: boolean;
    };

export type Activation = 'linear' | 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'selu' | 'softplus' | 'softmax' | 'swish' | 'gelu';

/** tfjs-layers' l1l2 regularizer: Σ l1·|w| + Σ l2·w² over a layer's kernel, added to the training loss. */
export interface KernelRegularizerSpec {
  readonly l1: number;
  readonly l2: number;
}

export type LayerSpec =
  | { readonly kind: 'dense'; readonly units: number; readonly activation: Activation; readonly kernelRegularizer?: KernelRegularizerSpec }
  | { readonly kind: 'dropout'; readonly rate: number }
  | { readonly kind: 'batchNorm' }
  /** tfjs-layers' conv2d on NHWC images: a square kernel, equal strides, a kernel [k, k, inC, filters] and a bias. */
  | { readonly kind: 'conv2d'; readonly filters: number; readonly kernelSize: number; readonly strides: number; readonly padding: Padding; readonly activation: Activation }
  | { readonly kind: 'maxPooling2d' | 'averagePooling2d'; readonly poolSize: number; readonly strides: number; readonly padding: Padding }
  | { readonly kind: 'flatten' }
  /** tfjs-layers' layerNormalization (axis −1, ε 1e-3, trained γ and β). */
  | { readonly kind: 'layerNorm' };

/** tfjs's padding modes: 'valid' (no padding) or 'same' (output size ⌈input / stride⌉). */
export type Padding = 'valid' | 'same';

export type ModelSpec =
  | { readonly kind: 'layers'; readonly layers: readonly LayerSpec[] }
  /**
   * tfjs layers-format model.json (e.g. from tensorflowjs_converter). `weights` maps each path
   * its weightsManifest lists to that shard's file, so no shard is looked up next to anything.
   */
  | { readonly kind: 'modelJson'; readonly file: FileRef; readonly weights: Readonly<Record<string, FileRef>> };

export type LossName = 'meanSquaredError' | 'meanAbsoluteError' | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'huberLoss';

export type OptimizerName = 'sgd' | 'momentum' | 'adam' | 'rmsprop' | 'adagrad' | 'adadelta' | 'adamax';

export interface WorkloadSpec {
  readonly dataset: DatasetSpec;
  readonly model: ModelSpec;
  readonly loss: LossName;
  /** Extra metrics compiled into the model, e.g. ['accuracy'] → logs `acc`/`val_acc`. */
  readonly metrics: readonly string[];
  readonly optimizer: OptimizerName;
  readonly batchSize: number;
  readonly epochs: number;
  /** Base seed: initial weights come from it, so every configuration starts equal. */
  readonly seed: number;
}

export type PlateauMode = 'auto' | 'min' | 'max';

/** Scheduler options that are the same for a whole sweep (not grid axes). */
export interface PlateauBase {
  readonly monitor: string;
  readonly mode: PlateauMode;
}

/** One point of the grid: every knob resolved to a value. */
export interface TrialConfig {
  readonly learningRate: number;
  readonly factor: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly batchSize: number;
}

export type ObjectiveUse = 'final' | 'best';

export interface ObjectiveSpec {
  readonly metric: string;
  readonly goal: 'minimize' | 'maximize';
  /** `final`: the metric at the last epoch trained; `best`: its best epoch. */
  readonly use: ObjectiveUse;
}

/** Everything a worker needs to train one trial, self-contained and serializable. */
export interface TrialSpec {
  /** Stable hash of (sweep workload, config, repeat): resubmitting resumes. */
  readonly id: string;
  readonly workload: WorkloadSpec;
  readonly plateau: PlateauBase;
  readonly config: TrialConfig;
  /** 0-based repeat index within its config. */
  readonly repeat: number;
  /** Seed for this repeat (shuffling, dropout, and weights when repeats > 1). */
  readonly seed: number;
  readonly objective: ObjectiveSpec;
}

/**
 * One trained epoch. `epoch` is 1-based (as Keras prints it); `lr` is the learning rate
 * the optimizer used during this epoch. Extra logged metrics (acc, val_acc…) ride along.
 * A diverged epoch carries NaN/Infinity, serialized as null in JSON.
 */
export interface EpochRecord {
  readonly epoch: number;
  readonly loss: number;
  readonly val_loss: number;
  readonly lr: number;
  readonly [metric: string]: number;
}

export type TrialStatus = 'succeeded' | 'failed' | 'diverged' | 'pruned' | 'cancelled';

/** Why a running trial was stopped from outside (one AbortSignal carries it). */
/** `workload-error`: another trial met an error no retry can fix, which this trial would meet too. */
export const CANCEL_REASONS = ['sweep-cancelled', 'pruned', 'lease-lost', 'shutdown', 'interrupted', 'workload-error'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

export interface TrialErrorInfo {
  /** Error class name, e.g. 'WorkerCrashedError', 'DatasetError'; WORKLOAD_ERROR_KIND once reported as one. */
  readonly kind: string;
  readonly message: string;
  /** Only on a workload error (see workload-error.ts): which trials it stops. */
  readonly scope?: WorkloadErrorScope;
}

/**
 * Which trials a workload error (one no retry can fix) concerns: `sweep` when it does not depend
 * on the configuration (a dataset or model every trial shares), `config` when only the trials of
 * the failing configuration would meet it (a value of a grid axis the workload cannot take).
 */
export type WorkloadErrorScope = 'sweep' | 'config';

/** How a trial ended: a tagged union, never a bag of optional fields. */
export type TrialOutcome =
  | { readonly status: 'succeeded' }
  | { readonly status: 'diverged'; readonly atEpoch: number }
  | { readonly status: 'failed'; readonly error: TrialErrorInfo }
  /** Stopped early by the sweep's earlyStop rule (decided and recorded by the coordinator, never by a worker). */
  | { readonly status: 'pruned'; readonly stop: StopRecord }
  | { readonly status: 'cancelled'; readonly reason: CancelReason };

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface TrialResult {
  readonly trialId: string;
  readonly outcome: TrialOutcome;
  readonly history: readonly EpochRecord[];
  /** 1-based epochs at whose end the scheduler reduced the LR. */
  readonly lrReductions: readonly number[];
  /** The objective (per ObjectiveSpec) or null when there is none (failed, diverged at epoch 1…). */
  readonly objective: number | null;
  readonly wallSeconds: number;
  readonly backend: BackendName;
  readonly seed: number;
}
