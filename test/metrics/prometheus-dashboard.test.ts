// The shipped Grafana dashboard, proven against the real thing: a real Prometheus on loopback
// scrapes a real `plateau coordinator` and two real `plateau agent` processes while a small
// sweep runs, and every panel query of deploy/grafana/dashboards/plateau-sweep.json is
// evaluated through Prometheus's HTTP API. A query error, or a panel query that never returns
// a series while the sweep runs, fails the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import type { SweepClient } from '../../src/rpc/sweep-client.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { removeTempDirs, tempDir, writeSpec } from '../e2e/fixtures.js';
import { killAllPlateauProcesses, spawnPlateau } from '../support/plateau-process.js';
import { describeWithTool } from '../support/required-tool.js';
import { dashboardQueries, findExecutable, freePort, instantQuery, substituteVariables, waitUntil, type PanelQuery } from './prometheus-support.js';

const prometheusBin = findExecutable('prometheus');
const dashboardFile = fileURLToPath(new URL('../../deploy/grafana/dashboards/plateau-sweep.json', import.meta.url));
const alertsFile = fileURLToPath(new URL('../../deploy/prometheus/alerts.yml', import.meta.url));

/**
 * Eight trials of a few seconds each on two one-slot agents: trials are seen running, finishing, and ranked.
 * Long enough that a fused bundle outlives the agent's 1 s epoch flush and a few 1 s scrapes: its running
 * trials' gauges are fed by heartbeats.
 */
const sweepSpec = `
name: dashboard-check
workload:
  dataset: { kind: synthetic-regression, samples: 1024, features: 8, noise: 0.1, seed: 5 }
  model: { layers: [ { dense: 32, activation: relu }, { dense: 1 } ] }
  loss: meanSquaredError
  optimizer: sgd
  batchSize: 16
  epochs: 32
  seed: 3
plateau: { monitor: val_loss, minDelta: 1.0e-3 }
grid:
  learningRate: [0.01, 0.05]
  factor: [0.1, 0.5]
  patience: [1, 2]
objective: { metric: val_loss, goal: minimize, use: final }
`;

interface PanelOutcome {
  readonly query: PanelQuery;
  readonly promql: string;
  seriesSeen: boolean;
  error: string | null;
}

describeWithTool('prometheus', prometheusBin !== null, 'the Grafana dashboard against a real Prometheus scraping a real sweep', () => {
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let base = '';
  let client: SweepClient | undefined;
  let sweepId = '';
  const outcomes: PanelOutcome[] = [];
  let targetsUp: readonly string[] = [];
  let sweepLabelValues: readonly string[] = [];

  beforeAll(async () => {
    const dir = tempDir('plateau-prometheus-');
    const coordinator = spawnPlateau(['coordinator', '--port', '0', '--metrics-port', '0', '--data-dir', join(dir, 'store'), '--lease-timeout', '20s']);
    const [, address] = await coordinator.waitFor(/coordinator listening on (\S+)/);
    const [, coordinatorMetrics] = await coordinator.waitFor(/coordinator metrics on http:\/\/(\S+)\/metrics/);
    if (address === undefined || coordinatorMetrics === undefined) throw new Error('no coordinator address');
    const agents = [0, 1].map(() =>
      spawnPlateau(['--log-format', 'json', 'agent', '--coordinator', address, '--slots', '1', '--backend', 'cpu', '--metrics-port', '0']),
    );
    const agentMetrics = await Promise.all(
      agents.map(async (agent) => {
        const [, target] = await agent.waitFor(/agent metrics on http:\/\/(\S+)\/metrics/);
        if (target === undefined) throw new Error('no agent metrics address');
        return target;
      }),
    );

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [alertsFile],
      scrape_configs: [
        { job_name: 'plateau-coordinator', static_configs: [{ targets: [coordinatorMetrics] }] },
        { job_name: 'plateau-agent', static_configs: [{ targets: agentMetrics }] },
      ],
    };
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, stringify(config));
    prometheus = spawn(
      prometheusBin ?? 'prometheus',
      [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
    prometheus.stderr?.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
    await waitUntil(async () => (await fetch(`${base}/-/ready`).catch(() => null))?.ok === true, 20_000, () => `Prometheus never became ready:\n${prometheusLog}`);

    // Both agents registered and every target scraped before the sweep starts.
    await Promise.all(agents.map((agent) => agent.waitFor(/"event":"agent\.registration-accepted"/)));
    await waitUntil(async () => (await instantQuery(base, 'sum(up)')).series.some((series) => series.value === '3'), 20_000, () => 'targets never all up');

    client = createGrpcSweepClient(address);
    const specFile = writeSpec(dir, sweepSpec);
    const submitted = await client.submit(loadSweepSpecFile(specFile), readFileSync(specFile, 'utf8'));
    sweepId = submitted.sweepId;

    for (const query of dashboardQueries(JSON.parse(readFileSync(dashboardFile, 'utf8')))) {
      outcomes.push({ query, promql: substituteVariables(query.expr, { sweep: sweepId }), seriesSeen: false, error: null });
    }
    let finishedAt: number | null = null;
    const watching = (async () => {
      for await (const progress of client.watch(sweepId)) if (progress.summary.finishedAtMs !== null) break;
      finishedAt = Date.now();
    })();
    // Ask every pending query once a second while the sweep runs (and a few scrapes after it ends).
    await waitUntil(
      async () => {
        for (const outcome of outcomes.filter((candidate) => !candidate.seriesSeen && candidate.error === null)) {
          const answer = await instantQuery(base, outcome.promql);
          if (answer.error !== null) outcome.error = answer.error;
          else if (answer.series.length > 0) outcome.seriesSeen = true;
        }
        const done = outcomes.every((outcome) => outcome.seriesSeen || outcome.error !== null);
        return done || (finishedAt !== null && Date.now() - finishedAt > 6_000);
      },
      50_000,
      () => 'the sweep did not finish in time',
    );
    await watching;
    targetsUp = (await instantQuery(base, 'up == 1')).series.map((series) => series.metric.job ?? '');
    sweepLabelValues = await fetch(`${base}/api/v1/label/sweep/values?match[]=plateau_sweep_planned_trials`)
      .then((response) => response.json() as Promise<{ data: string[] }>)
      .then((body) => body.data);
  }, 90_000);

  afterAll(() => {
    client?.close();
    prometheus?.kill('SIGKILL');
    killAllPlateauProcesses();
    removeTempDirs();
  });

  it('reads panel queries from the dashboard', () => {
    expect(outcomes.length).toBeGreaterThanOrEqual(20);
  });

  it('scrapes the coordinator and both agents', () => {
    expect([...targetsUp].sort()).toEqual(['plateau-agent', 'plateau-agent', 'plateau-coordinator']);
  });

  it('offers the running sweep in the sweep template variable', () => {
    expect(sweepLabelValues).toContain(sweepId);
  });

  it('evaluates every panel query without a Prometheus error', () => {
    const failed = outcomes.filter((outcome) => outcome.error !== null).map((outcome) => `${outcome.query.panel}: ${outcome.promql} → ${outcome.error}`);
    expect(failed).toEqual([]);
  });

  it('gets at least one series for every panel query while the sweep runs', () => {
    const empty = outcomes.filter((outcome) => outcome.error === null && !outcome.seriesSeen).map((outcome) => `${outcome.query.panel} [${outcome.query.refId}]: ${outcome.promql}`);
    expect(empty).toEqual([]);
  });

  it('loads the shipped alert rules into Prometheus', async () => {
    const body = (await (await fetch(`${base}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } };
    const rules = body.data.groups.flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.name).sort()).toEqual(['PlateauCoordinatorDown', 'PlateauLeaseExpiriesRising', 'PlateauNoAgents', 'PlateauTrialsFailing']);
  });
});
