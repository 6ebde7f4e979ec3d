// Ranks configurations (grid points) by their objective aggregated over repeats.
import type { TrialRecord, TrialState } from '../trial/records.js';
import type { RankStopped } from '../stopping/stop-types.js';
import type { ObjectiveSpec, TrialConfig } from '../trial/types.js';
import { compareConfigs, configKey } from './config-key.js';
import { withinEngineNoise } from './engine-noise.js';
import { scheduleFlags, type ConfigFlag } from './schedule-flags.js';
import { summarize, type ObjectiveSummary } from './summary-stats.js';

export interface RankedConfig {
  /** 1-based; every config gets its own rank (ties are broken, never shared). */
  readonly rank: number;
  /** Canonical key of `config` (see configKey). */
  readonly key: string;
  readonly config: TrialConfig;
  /** Over the succeeded repeats that have an objective; null when none has one yet. */
  readonly objective: ObjectiveSummary | null;
  /** Every trial of this config, by repeat; `statuses[i]` is the state of `trialIds[i]`. */
  readonly trialIds: readonly string[];
  readonly statuses: readonly TrialState[];
  readonly flags: readonly ConfigFlag[];
}

/**
 * Where a config ranks before its objective is compared: a config with any diverged repeat
 * ranks after every healthy one, then configs with a failed repeat, then configs with no
 * objective at all (nothing finished yet, or every repeat cancelled). With early stopping
 * (`rankStopped: below`, the default) a config with a stopped repeat ranks after every config
 * whose repeats all finished, before the diverged ones.
 */
type RankGroup = 0 | 1 | 2 | 3 | 4;

function rankGroup(flags: readonly ConfigFlag[], objective: ObjectiveSummary | null, stoppedBelow: boolean): RankGroup {
  if (flags.includes('diverged')) return 2;
  if (flags.includes('failed')) return 3;
  if (objective === null) return 4;
  return stoppedBelow ? 1 : 0;
}

/** A stopped (pruned) trial's objective: its value at the stop; it counts toward its config's ranking, ranked per RankStopped. */
function stoppedObjective(trial: TrialRecord): number | null {
  if (trial.state !== 'pruned') return null;
  const objective = trial.result?.objective ?? null;
  return objective !== null && Number.isFinite(objective) ? objective : null;
}

/** The trial's objective when it counts toward its config: succeeded, with a finite value. */
export function countedObjective(trial: TrialRecord): number | null {
  if (trial.state !== 'succeeded') return null;
  const objective = trial.result?.objective ?? null;
  return objective !== null && Number.isFinite(objective) ? objective : null;
}

/** Trials grouped by configKey, each group sorted by repeat (then id), groups in first-seen order. */
export function groupByConfig(trials: readonly TrialRecord[]): Map<string, TrialRecord[]> {
  const groups = new Map<string, TrialRecord[]>();
  for (const trial of trials) {
    const key = configKey(trial.spec.config);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [trial]);
    else group.push(trial);
  }
  for (const group of groups.values()) {
    group.sort((a, b) => a.spec.repeat - b.spec.repeat || (a.spec.id < b.spec.id ? -1 : a.spec.id > b.spec.id ? 1 : 0));
  }
  return groups;
}

/**
 * Ranks every configuration among `trials`, best first, and flags `within-noise` each healthy
 * config whose mean objective is within engine noise of the one ranked just above it. Order: rank group (healthy,
 * diverged, failed, no objective), then mean objective (ascending for `minimize`,
 * descending for `maximize`; configs without one last in their group), then the config
 * itself axis by axis ascending (learningRate, factor, patience, minDelta, cooldown, minLr,
 * batchSize), then its key. `maximize` flips only the objective comparison, so ties still
 * break the same way. While a sweep runs, a config ranks on the repeats finished so far
 * (`objective.n` says how many).
 */
export function rankConfigs(trials: readonly TrialRecord[], objective: ObjectiveSpec, rankStopped: RankStopped = 'below'): RankedConfig[] {
  const direction = objective.goal === 'maximize' ? -1 : 1;
  const unranked: (Omit<RankedConfig, 'rank'> & { readonly group: RankGroup })[] = [];
  for (const [key, group] of groupByConfig(trials)) {
    const first = group[0];
    if (first === undefined) continue; // groups are never empty
    const stopped = group.map(stoppedObjective).filter((value): value is number => value !== null);
    const values = [...group.map(countedObjective).filter((value): value is number => value !== null), ...stopped];
    const summary = summarize(values);
    const flags = scheduleFlags(group);
    unranked.push({
      key,
      config: first.spec.config,
      objective: summary,
      trialIds: group.map((trial) => trial.spec.id),
      statuses: group.map((trial) => trial.state),
      flags,
      group: rankGroup(flags, summary, rankStopped === 'below' && stopped.length > 0),
    });
  }
  unranked.sort((a, b) => {
    if (a.group !== b.group) return a.group - b.group;
    if (a.objective !== null && b.objective !== null && a.objective.mean !== b.objective.mean) {
      return direction * (a.objective.mean < b.objective.mean ? -1 : 1);
    }
    if ((a.objective === null) !== (b.objective === null)) return a.objective === null ? 1 : -1;
    return compareConfigs(a.config, b.config) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  });
  return unranked.map((entry, index) => ({
    rank: index + 1,
    key: entry.key,
    config: entry.config,
    objective: entry.objective,
    trialIds: entry.trialIds,
    statuses: entry.statuses,
    flags: nearAbove(entry, unranked[index - 1]) ? [...entry.flags, 'within-noise'] : entry.flags,
  }));
}

/** Whether a healthy config's mean objective is within engine noise of the healthy config ranked just above it. */
function nearAbove(entry: { readonly group: RankGroup; readonly objective: ObjectiveSummary | null }, above: { readonly group: RankGroup; readonly objective: ObjectiveSummary | null } | undefined): boolean {
  if (above === undefined || entry.group !== 0 || above.group !== 0 || entry.objective === null || above.objective === null) return false;
  return withinEngineNoise(entry.objective.mean, above.objective.mean);
}
