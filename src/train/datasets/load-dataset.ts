// One entry point for every dataset kind, with a per-process cache: a worker runs many trials
// of one workload, and they all share the same arrays.
import { fileRefDisplayName } from '../../artifacts/file-ref.js';
import { clientFileResolver, type FileResolver } from '../../artifacts/file-resolver.js';
import type { DatasetSpec } from '../../trial/types.js';
import { loadCsvDataset } from './csv.js';
import { loadNpzDataset } from './npz.js';
import type { LoadedDataset } from './loaded-dataset.js';
import { syntheticImages } from './synthetic-images.js';
import { syntheticClassification } from './synthetic-classification.js';
import { syntheticRegression } from './synthetic-regression.js';
import { twoSpirals } from './two-spirals.js';

/** A process rarely holds more than one workload; a few entries cover sweeps run back to back. */
const CACHE_SIZE = 4;
const cache = new Map<string, Promise<LoadedDataset>>();

/** The spec's identity: its fields in a fixed order, whatever order the object was built in. */
function cacheKey(spec: DatasetSpec): string {
  const entries = Object.entries(spec).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

async function load(spec: DatasetSpec, files: FileResolver): Promise<LoadedDataset> {
  switch (spec.kind) {
    case 'synthetic-regression':
      return syntheticRegression(spec);
    case 'two-spirals':
      return twoSpirals(spec);
    case 'synthetic-images':
      return syntheticImages(spec);
    case 'synthetic-classification':
      return syntheticClassification(spec);
    case 'csv':
      return loadCsvDataset(spec, files);
    case 'npz':
      return loadNpzDataset(
        {
          train: files.localPath(spec.train, 'workload.dataset.train'),
          ...(spec.validation === undefined ? {} : { validation: files.localPath(spec.validation, 'workload.dataset.validation') }),
          x: spec.x,
          y: spec.y,
          validationSplit: spec.validationSplit,
          standardize: spec.standardize,
        },
        {
          train: fileRefDisplayName(spec.train),
          ...(spec.validation === undefined ? {} : { validation: fileRefDisplayName(spec.validation) }),
        },
      );
  }
}

/**
 * Loads (or returns the cached) dataset, reading its files through `files`; rejects with
 * DatasetError, which is not cached. The key is the spec: staged files are named by content
 * hash, so equal keys mean equal data wherever the blob lies.
 */
export function loadDataset(spec: DatasetSpec, files: FileResolver = clientFileResolver): Promise<LoadedDataset> {
  const key = cacheKey(spec);
  const cached = cache.get(key);
  if (cached !== undefined) {
    // Most recently used goes last, so the oldest is first to go.
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const loading = load(spec, files);
  cache.set(key, loading);
  loading.catch(() => {
    if (cache.get(key) === loading) cache.delete(key);
  });
  while (cache.size > CACHE_SIZE) {
    const oldest = cache.keys().next();
    if (oldest.done === true) break;
    cache.delete(oldest.value);
  }
  return loading;
}

/** Forgets every cached dataset (tests; a long-lived process switching workloads). */
export function clearDatasetCache(): void {
  cache.clear();
}
