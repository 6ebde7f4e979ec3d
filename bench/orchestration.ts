// Orchestration cost without training: a real coordinator (SQLite store, gRPC on loopback)
// and S slots that poll, heartbeat once and complete immediately ("no-op trials"). Reports
// trials/s and the per-trial dispatch-to-result latency (poll issued → result acknowledged).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoordinatorServer } from '../coordinator/grpc-server.js';
import { createGrpcAgentChannel } from '../src/rpc/grpc-agent-channel.js';
import type { SweepSpec } from '../src/spec/sweep-spec.js';
import { gridSize } from '../src/spec/grid.js';
import type { TrialResult } from '../src/trial/types.js';
import { quantile } from './stats.js';

/** A grid of n no-op trials (n = 10 × 10 × k): the spec is never trained. */
export function noopSpec(name: string, trials: number): SweepSpec {
  const patienceValues = Math.max(1, Math.ceil(trials / 100));
  const range = (count: number, from: number, step: number): number[] => Array.from({ length: count }, (_, i) => from + i * step);
  return {
    name,
    workload: {
      dataset: { kind: 'synthetic-regression', samples: 64, features: 2, noise: 0.1, seed: 1, validationSplit: 0.25 },
      model: { kind: 'layers', layers: [{ kind: 'dense', units: 1, activation: 'linear' }] },
      loss: 'meanSquaredError',
      metrics: [],
      optimizer: 'sgd',
      batchSize: 16,
      epochs: 1,
      seed: 1,
    },
    plateau: { monitor: 'val_loss', mode: 'auto', minDelta: 1e-4, cooldown: 0, minLr: 0 },
    grid: { learningRate: range(10, 0.001, 0.001), factor: range(10, 0.05, 0.05), patience: range(patienceValues, 0, 1) },
    repeats: 1,
    objective: { metric: 'val_loss', goal: 'minimize', use: 'final' },
    maxAttempts: 3,
  };
}

export interface OrchestrationTiming {
  readonly slots: number;
  readonly trials: number;
  readonly trialsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function noopResult(trialId: string, seed: number): TrialResult {
  return {
    trialId,
    outcome: { status: 'succeeded' },
    history: [{ epoch: 1, loss: 0.5, val_loss: 0.5, lr: 0.001 }],
    lrReductions: [],
    objective: 0.5,
    wallSeconds: 0,
    backend: 'cpu',
    seed,
  };
}

/** One sweep of `trials` no-op trials through `slots` concurrent polling slots. */
export async function timeOrchestration(slots: number, trials: number): Promise<OrchestrationTiming> {
  const dataDir = mkdtempSync(join(tmpdir(), 'plateau-bench-'));
  const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir });
  const channel = createGrpcAgentChannel(server.address);
  try {
    const spec = noopSpec(`noop-${slots}`, trials);
    const total = gridSize(spec);
    const { agentId } = await channel.register({ hostname: 'bench', slots, backend: 'cpu', version: 'bench' });
    const latencies: number[] = [];
    let done = 0;
    const slot = async (): Promise<void> => {
      while (done < total) {
        const started = performance.now();
        const lease = await channel.poll({ agentId, waitMs: 200 });
        if (lease === null) continue;
        const ref = { leaseId: lease.leaseId, fencingToken: lease.fencingToken };
        await channel.heartbeat(ref, [{ epoch: 1, loss: 0.5, val_loss: 0.5, lr: 0.001 }]);
        await channel.complete(ref, noopResult(lease.trialId, lease.trial.seed));
        latencies.push(performance.now() - started);
        done++;
      }
    };
    const started = performance.now();
    server.coordinator.submitSweep(spec, '');
    await Promise.all(Array.from({ length: slots }, slot));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return { slots, trials: total, trialsPerSecond: total / seconds, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99) };
  } finally {
    channel.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface QueueScaleTiming {
  readonly trials: number;
  readonly submitSeconds: number;
  readonly rssMb: number;
  readonly rssGrowthMb: number;
}

/** Submit one sweep of `trials` trials and measure the time and the coordinator's memory with all of them queued. */
export async function timeLargeQueue(trials: number): Promise<QueueScaleTiming> {
  const dataDir = mkdtempSync(join(tmpdir(), 'plateau-bench-'));
  global.gc?.();
  const before = process.memoryUsage().rss;
  const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir });
  try {
    const spec = noopSpec('queue-scale', trials);
    const started = performance.now();
    server.coordinator.submitSweep(spec, '');
    const submitSeconds = (performance.now() - started) / 1000;
    global.gc?.();
    const rss = process.memoryUsage().rss;
    return { trials: gridSize(spec), submitSeconds, rssMb: rss / 2 ** 20, rssGrowthMb: (rss - before) / 2 ** 20 };
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
