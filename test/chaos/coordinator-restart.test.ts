// Chaos: kill -9 the coordinator mid-sweep and start it again on the same port and data dir.
// The agents reconnect by themselves; the sweep ends with every trial recorded once and each
// result equal to the undisturbed run's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultsDocument } from '../../src/results/results-document.js';
import { configCount } from '../../src/spec/grid.js';
import { tempDir } from '../e2e/fixtures.js';
import type { PlateauProcess } from '../support/plateau-process.js';
import { beginChaosRun, ChaosCluster, checkAgainstBaseline, reportFigures, tearDownChaos, type BaselineTrial } from './harness.js';

let cluster: ChaosCluster;
let doc: ResultsDocument;
let baseline: Map<string, BaselineTrial>;
let killed: PlateauProcess | null = null;
let finishedAtKill = -1;
let recoveryMs: number | null = null;
let wallMs = 0;

beforeAll(async () => {
  cluster = new ChaosCluster(tempDir('plateau-chaos-'), '3s');
  const run = beginChaosRun(cluster);
  await cluster.startCoordinator();
  // One trial per lease: trials finish one by one, so the kill lands mid-sweep (a fused bundle
  // of same-rate trials trains as one until the schedules part, and finishes all at once).
  await Promise.all([cluster.startAgent({ fuse: 1 }), cluster.startAgent({ fuse: 1 })]);
  const sweepId = await cluster.submit();

  let restart: Promise<void> | null = null;
  let killedAt = 0;
  await cluster.waitForSweepEnd(sweepId, (finished) => {
    if (restart === null && finished >= 3) {
      finishedAtKill = finished;
      killed = cluster.coordinator;
      killedAt = Date.now();
      restart = (async () => {
        killed?.child.kill('SIGKILL');
        await killed?.exited();
        await cluster.startCoordinator();
      })();
    } else if (restart !== null && recoveryMs === null && finished > finishedAtKill) {
      recoveryMs = Date.now() - killedAt;
    }
  });
  await restart;
  ({ doc, baseline, wallMs } = await run.finish(sweepId));
}, 120_000);

afterAll(() => tearDownChaos(cluster));

describe('a sweep whose coordinator is killed with SIGKILL and restarted', () => {
  it('killed the coordinator with trials still to run', () => {
    expect(killed).not.toBeNull();
    expect(finishedAtKill).toBeGreaterThanOrEqual(3);
    expect(finishedAtKill).toBeLessThan(configCount(cluster.spec));
  });

  it('resumed the sweep from its store: the restarted coordinator requeued what was running', () => {
    expect(cluster.coordinatorEvents('coordinator.resumed').length + doc.trials.filter((trial) => trial.attempts > 1).length).toBeGreaterThan(0);
  });

  it('had the agents reconnect by themselves (none restarted) and finish the sweep', () => {
    expect(cluster.agents).toHaveLength(2);
    for (const agent of cluster.agents) expect(agent.child.exitCode).toBeNull();
    // The restarted coordinator's own log: every trial not finished before the kill was finished after it.
    const completedAfterRestart = cluster.coordinatorEvents('trial.completed').length;
    expect(completedAfterRestart).toBeGreaterThanOrEqual(doc.trials.length - finishedAtKill);
  });

  it('finishes with every trial recorded exactly once, results equal to the undisturbed run', () => {
    const figures = checkAgainstBaseline(doc, cluster.spec, baseline);
    expect(doc.trials.every((trial) => trial.status === 'succeeded')).toBe(true);
    reportFigures({
      scenario: 'kill -9 the coordinator after 3 results, restart it on the same port and data dir',
      faultsInjected: 1,
      ...figures,
      staleReportsRejected: cluster.coordinatorEvents('lease.stale-report-rejected').length,
      maxRecoveryMs: recoveryMs,
      wallMs,
    });
  });
});
