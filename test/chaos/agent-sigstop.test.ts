// Chaos: SIGSTOP an agent mid-trial for longer than its lease, then SIGCONT it. Its trial is
// requeued and finished by another agent; what the woken agent reports late is refused by
// fencing token, counted, and never stored over the real result.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultsDocument } from '../../src/results/results-document.js';
import { tempDir } from '../e2e/fixtures.js';
import type { PlateauProcess } from '../support/plateau-process.js';
import { beginChaosRun, ChaosCluster, checkAgainstBaseline, reportFigures, tearDownChaos, type BaselineTrial } from './harness.js';

let cluster: ChaosCluster;
let doc: ResultsDocument;
let baseline: Map<string, BaselineTrial>;
let sleeper: PlateauProcess;
let sleeperId = '';
let stolenTrial = '';
let stoppedMs = 0;
let recoveryMs = 0;
let wallMs = 0;

/** The coordinator's durable count of refused late results (sweeps.stale_results_rejected). */
function storeStaleCount(dataDir: string): number {
  const db = new Database(`${dataDir}/plateau.db`, { readonly: true });
  try {
    return db.prepare<[], { n: number }>('SELECT SUM(stale_results_rejected) AS n FROM sweeps').get()?.n ?? 0;
  } finally {
    db.close();
  }
}

let staleInStore = 0;

beforeAll(async () => {
  cluster = new ChaosCluster(tempDir('plateau-chaos-'), '2s');
  const run = beginChaosRun(cluster);
  await cluster.startCoordinator();
  const [first] = await Promise.all([cluster.startAgent({ fuse: 1 }), cluster.startAgent({ fuse: 1 })]);
  if (first === undefined) throw new Error('no agent');
  sleeper = first;
  const [, agentId] = await sleeper.waitFor(/"event":"agent\.registration-accepted".*?"agentId":"([^"]+)"/);
  sleeperId = agentId ?? '';
  const sweepId = await cluster.submit();
  const sweepEnd = cluster.waitForSweepEnd(sweepId);

  // Stop the agent (not its worker: the trial trains on and its result waits in the pipe).
  const [, trial] = await sleeper.waitFor(/"event":"trial\.started".*?"trial":"([^"]+)"/);
  stolenTrial = trial ?? '';
  const pid = sleeper.child.pid ?? 0;
  process.kill(pid, 'SIGSTOP');
  const stoppedAt = Date.now();
  const coordinator = cluster.coordinator;
  if (coordinator === null) throw new Error('no coordinator');
  await coordinator.waitFor(new RegExp(`"event":"lease.expired".*"trialId":"${stolenTrial}"`));
  await coordinator.waitFor(new RegExp(`"event":"trial.completed".*"trialId":"${stolenTrial}"`));
  recoveryMs = Date.now() - stoppedAt;
  process.kill(pid, 'SIGCONT');
  stoppedMs = Date.now() - stoppedAt;
  await coordinator.waitFor(new RegExp(`"event":"lease.stale-report-rejected".*"trialId":"${stolenTrial}"`));
  await sweepEnd;
  staleInStore = storeStaleCount(cluster.dataDir);
  ({ doc, baseline, wallMs } = await run.finish(sweepId));
}, 120_000);

afterAll(async () => {
  if (sleeper?.child.pid !== undefined) {
    try {
      process.kill(sleeper.child.pid, 'SIGCONT');
    } catch {
      // already gone
    }
  }
  await tearDownChaos(cluster);
});

describe('an agent stopped past its lease, then woken', () => {
  it('was stopped for longer than the lease timeout', () => {
    expect(stoppedMs).toBeGreaterThan(2_000);
  });

  it('lost its trial to another agent, which recorded the result', () => {
    const trial = doc.trials.find((candidate) => candidate.id === stolenTrial);
    expect(trial?.agent).not.toBe(sleeperId);
    expect(trial?.attempts).toBeGreaterThanOrEqual(2);
  });

  it('had its late report refused by fencing token and counted', () => {
    const rejected = cluster.coordinatorEvents('lease.stale-report-rejected').filter((event) => event['trialId'] === stolenTrial);
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    // Late results (not heartbeats) are also counted durably, per sweep, in the store.
    const lateResults = rejected.filter((event) => event['call'] !== 'heartbeat').length;
    expect(staleInStore).toBe(lateResults);
  });

  it('keeps working after it wakes', () => {
    expect(sleeper.child.exitCode).toBeNull();
  });

  it('finishes with every trial recorded exactly once, results equal to the undisturbed run', () => {
    const figures = checkAgainstBaseline(doc, cluster.spec, baseline);
    reportFigures({
      scenario: 'SIGSTOP an agent mid-trial past its 2 s lease, SIGCONT once its trial is done elsewhere',
      faultsInjected: 1,
      ...figures,
      staleReportsRejected: cluster.coordinatorEvents('lease.stale-report-rejected').length,
      maxRecoveryMs: recoveryMs,
      wallMs,
    });
  });
});
