// Chaos: kill -9 a random agent that has taken work, three times while a sweep runs, starting a
// fresh agent in its place each time. The sweep must end with every trial recorded once and each
// result equal to the undisturbed run's. Kills follow events (an agent has started a trial), not
// a clock: on a fast or a loaded machine alike, every kill lands on an agent with work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultsDocument } from '../../src/results/results-document.js';
import { tempDir } from '../e2e/fixtures.js';
import { beginChaosRun, ChaosCluster, checkAgainstBaseline, reportFigures, tearDownChaos, type BaselineTrial } from './harness.js';
import { Prng } from '../security/seeded-prng.js';

/** How often the killer looks for an agent that has taken work: a condition check, not a schedule. */
const LOOK_EVERY_MS = 50;
const MAX_KILLS = 3;

let cluster: ChaosCluster;
let doc: ResultsDocument;
let baseline: Map<string, BaselineTrial>;
let kills = 0;
let wallMs = 0;
const recoveries: number[] = [];

beforeAll(async () => {
  cluster = new ChaosCluster(tempDir('plateau-chaos-'), '2s');
  const run = beginChaosRun(cluster);
  await cluster.startCoordinator();
  // One trial per lease: fused bundles would finish this small grid before the second kill.
  await Promise.all([cluster.startAgent({ fuse: 1 }), cluster.startAgent({ fuse: 1 }), cluster.startAgent({ fuse: 1 })]);
  const sweepId = await cluster.submit();
  const prng = new Prng(0x6b11);

  let finished = 0;
  let pendingSince: number | null = null;
  let stop = false;
  const replacements: Promise<unknown>[] = [];
  const killer = (async () => {
    while (!stop && kills < MAX_KILLS) {
      await new Promise((resolve) => setTimeout(resolve, LOOK_EVERY_MS));
      if (stop) return;
      // Agents that have taken work: killing one that is still loading its backend tests nothing.
      const live = cluster.liveAgents().filter((agent) => /"event":"(trial|bundle)\.started"/.test(agent.stderr()));
      const victim = live[prng.int(live.length)];
      if (victim === undefined) continue;
      victim.child.kill('SIGKILL');
      await victim.exited();
      kills += 1;
      pendingSince ??= Date.now();
      // The replacement loads its backend in the background while the next victim is chosen.
      replacements.push(cluster.startAgent({ fuse: 1 }).catch((error: unknown) => error));
    }
  })();
  await cluster.waitForSweepEnd(sweepId, (done) => {
    if (done > finished && pendingSince !== null) {
      recoveries.push(Date.now() - pendingSince);
      pendingSince = null;
    }
    finished = done;
  });
  stop = true;
  await killer;
  await Promise.allSettled(replacements);
  ({ doc, baseline, wallMs } = await run.finish(sweepId));
}, 120_000);

afterAll(() => tearDownChaos(cluster));

describe('a sweep whose agents are killed with SIGKILL while they train', () => {
  it('had an agent killed three times while trials were running', () => {
    expect(kills).toBe(MAX_KILLS);
  });

  it('finishes with every trial recorded exactly once, results equal to the undisturbed run', () => {
    const figures = checkAgainstBaseline(doc, cluster.spec, baseline);
    expect(doc.trials.every((trial) => trial.status === 'succeeded')).toBe(true);
    reportFigures({
      scenario: 'kill -9 a random agent with work, 3 times (each replaced by a fresh agent)',
      faultsInjected: kills,
      ...figures,
      staleReportsRejected: cluster.coordinatorEvents('lease.stale-report-rejected').length,
      maxRecoveryMs: recoveries.length === 0 ? null : Math.max(...recoveries),
      wallMs,
    });
  });

  it('retried the trials whose agent died under them', () => {
    expect(cluster.coordinatorEvents('lease.expired').length).toBeGreaterThanOrEqual(1);
    expect(doc.trials.some((trial) => trial.attempts > 1)).toBe(true);
  });
});
