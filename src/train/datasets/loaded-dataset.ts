// A dataset as plain arrays: loaded once per process and shared by every trial of a workload;
// each trial makes its own tensors from it and frees them. Treat the arrays as read-only.

/** Row-major samples: row i of x is x[i*featureCount … (i+1)*featureCount). */
export interface DatasetSplit {
  readonly count: number;
  readonly x: Float32Array;
  readonly y: Float32Array;
}

export interface LoadedDataset {
  readonly featureCount: number;
  /**
   * The shape of one sample's features as the file held them (numpy's `x.shape[1:]`, e.g.
   * [28, 28, 1] for images); featureCount is its product. Absent for tabular data.
   */
  readonly featureShape?: readonly number[];
  /** Values per sample in y (1 for every built-in and CSV dataset; k for a NumPy y of shape [n, k]). */
  readonly targetCount: number;
  readonly featureNames: readonly string[];
  readonly train: DatasetSplit;
  readonly validation: DatasetSplit;
}
