// What `results`, `watch`, `status` and `cancel` accept for a sweep: its id, or its name where
// that name is unique on the coordinator (people name their sweeps; Optuna addresses studies by
// name). An ambiguous name lists the matching ids with their creation times.
import type { SweepClient } from '../src/rpc/sweep-client.js';
import { SweepNotFoundError } from '../src/rpc/rpc-errors.js';
import type { SweepSummary } from '../src/rpc/sweep-progress.js';

export class AmbiguousSweepNameError extends Error {
  override readonly name = 'AmbiguousSweepNameError';
  constructor(
    readonly sweepName: string,
    readonly matches: readonly SweepSummary[],
  ) {
    const listed = matches.map((sweep) => `${sweep.sweepId} (created ${new Date(sweep.createdAtMs).toISOString()}, ${sweep.state})`).join(', ');
    super(`${matches.length} sweeps are named "${sweepName}": ${listed} — pass the id instead`);
  }
}

/** The sweeps named `name`, newest first. Pure: the caller brings the list. */
export function sweepsNamed(sweeps: readonly SweepSummary[], name: string): SweepSummary[] {
  return sweeps.filter((sweep) => sweep.name === name).sort((a, b) => b.createdAtMs - a.createdAtMs);
}

/**
 * The id of the sweep `reference` names: an id the coordinator knows, else the one sweep of
 * that name. Unknown either way: the id lookup's SweepNotFoundError; several: AmbiguousSweepNameError.
 */
export async function resolveSweepReference(client: SweepClient, reference: string, signal?: AbortSignal): Promise<string> {
  try {
    return (await client.get(reference, signal)).sweepId;
  } catch (error) {
    if (!(error instanceof SweepNotFoundError)) throw error;
    const named = sweepsNamed(await client.list(signal), reference);
    const [only] = named;
    if (only === undefined) throw error;
    if (named.length > 1) throw new AmbiguousSweepNameError(reference, named);
    return only.sweepId;
  }
}
