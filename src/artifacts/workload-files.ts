// The one place that knows which fields of a workload name files: staging, the coordinator's
// checks and the agent's resolution all walk them through here, so a new dataset kind with
// files is one more case below.
import type { DatasetSpec, ModelSpec, WorkloadSpec } from '../trial/types.js';
import type { FileRef, WorkloadFile } from './file-ref.js';

/** Every file the workload refers to, each with the spec field that names it. */
export function workloadFiles(workload: WorkloadSpec): WorkloadFile[] {
  const files: WorkloadFile[] = [];
  const dataset = workload.dataset;
  if (dataset.kind === 'csv') {
    files.push({ field: 'workload.dataset.train', ref: dataset.train }, { field: 'workload.dataset.validation', ref: dataset.validation });
  }
  if (dataset.kind === 'npz') {
    files.push({ field: 'workload.dataset.train', ref: dataset.train });
    if (dataset.validation !== undefined) files.push({ field: 'workload.dataset.validation', ref: dataset.validation });
  }
  const model = workload.model;
  if (model.kind === 'modelJson') {
    files.push({ field: 'workload.model.file', ref: model.file });
    for (const [shard, ref] of Object.entries(model.weights)) files.push({ field: `workload.model.weights[${JSON.stringify(shard)}]`, ref });
  }
  return files;
}

export type RefMapper = (ref: FileRef, field: string) => FileRef;

function mapDataset(dataset: DatasetSpec, map: RefMapper): DatasetSpec {
  if (dataset.kind === 'csv') {
    return { ...dataset, train: map(dataset.train, 'workload.dataset.train'), validation: map(dataset.validation, 'workload.dataset.validation') };
  }
  if (dataset.kind === 'npz') {
    const train = map(dataset.train, 'workload.dataset.train');
    return dataset.validation === undefined ? { ...dataset, train } : { ...dataset, train, validation: map(dataset.validation, 'workload.dataset.validation') };
  }
  return dataset;
}

function mapModel(model: ModelSpec, map: RefMapper): ModelSpec {
  if (model.kind !== 'modelJson') return model;
  const weights: Record<string, FileRef> = {};
  for (const [shard, ref] of Object.entries(model.weights)) weights[shard] = map(ref, `workload.model.weights[${JSON.stringify(shard)}]`);
  return { kind: 'modelJson', file: map(model.file, 'workload.model.file'), weights };
}

/** The workload with every file ref replaced by `map`'s answer (the rest shared, not copied). */
export function mapWorkloadFiles(workload: WorkloadSpec, map: RefMapper): WorkloadSpec {
  return { ...workload, dataset: mapDataset(workload.dataset, map), model: mapModel(workload.model, map) };
}
