// Which trainer errors are workload errors (no retry can fix them) and whom they concern: the
// classification the agent reports (src/trial/workload-error.ts). By class, never by message.
import type { WorkloadErrorScope } from '../trial/types.js';
import { DatasetError } from './datasets/dataset-error.js';
import { ModelError } from './model-error.js';
import { TrialSpecError } from './trial-spec-error.js';

/**
 * The rule: a dataset or model error concerns every trial (they share the workload): `sweep`. A
 * trial spec error concerns one configuration when the field it names is a grid axis
 * (`config.…`, e.g. a batch size the data cannot take), else the sweep. Anything else (a crash,
 * an out-of-memory, a tfjs failure) is not a workload error: undefined.
 */
export function workloadErrorScope(error: unknown): WorkloadErrorScope | undefined {
  if (error instanceof DatasetError || error instanceof ModelError) return 'sweep';
  if (error instanceof TrialSpecError) return error.field.startsWith('config.') ? 'config' : 'sweep';
  return undefined;
}
