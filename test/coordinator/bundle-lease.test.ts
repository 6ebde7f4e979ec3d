// Leasing fused bundles: one poll hands out several queued trials of one sweep that can train
// together (equal fusionKey), each with its own lease, reported on its own.
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../coordinator/coordinator.js';
import { fusionKey } from '../../src/train/fused/fusion-key.js';
import { FakeClock, removeTempDirs, resultFor, tempDataDir, tinySweepSpec } from './fixtures.js';

const running: Coordinator[] = [];
afterEach(() => {
  for (const coordinator of running.splice(0)) coordinator.close();
  removeTempDirs();
});

function start(slots = 1): { coordinator: Coordinator; agentId: string } {
  const coordinator = new Coordinator({ dataDir: tempDataDir(), clock: new FakeClock().now, leaseTimeoutMs: 1_000, expiryCheckIntervalMs: 0, watchThrottleMs: 0 });
  running.push(coordinator);
  const { agentId } = coordinator.registerAgent({ hostname: 'test-host', slots, backend: 'cpu', version: '0.1.0' });
  return { coordinator, agentId };
}

const fiveRates = { learningRate: [0.001, 0.003, 0.01, 0.03, 0.1], factor: [0.5], patience: [1] };

describe('Coordinator bundles', () => {
  it('leases up to K queued trials of one sweep in one poll and leaves the rest queued', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec({ name: 'five', grid: fiveRates }), 'src');
    const bundle = await coordinator.pollBundle(agentId, 0, 3);
    expect(bundle).toHaveLength(3);
    expect(new Set(bundle.map((lease) => lease.trialId)).size).toBe(3);
    expect(new Set(bundle.map((lease) => lease.leaseId)).size).toBe(3);
    for (const lease of bundle) expect(lease).toMatchObject({ sweepId, attempt: 1, fencingToken: 1 });
    expect(coordinator.getSweep(sweepId).counts).toMatchObject({ queued: 2, running: 3 });
  });

  it('puts only trials with the same fusion key in one bundle', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec({ name: 'two-batch-sizes', grid: { ...fiveRates, batchSize: [8, 16] } }), 'src');
    const bundle = await coordinator.pollBundle(agentId, 0, 32);
    const keys = new Set(bundle.map((lease) => fusionKey(lease.trial)));
    expect(keys.size).toBe(1);
    expect(bundle).toHaveLength(5);
    expect(coordinator.getSweep(sweepId).counts).toMatchObject({ queued: 5, running: 5 });
  });

  it('never mixes sweeps in a bundle, and the next poll serves the other sweep', async () => {
    const { coordinator, agentId } = start();
    const first = await coordinator.submitSweep(tinySweepSpec({ name: 'first', grid: fiveRates }), 'src');
    const second = await coordinator.submitSweep(tinySweepSpec({ name: 'second', grid: fiveRates }), 'src');
    const bundle = await coordinator.pollBundle(agentId, 0, 32);
    expect(bundle.map((lease) => lease.sweepId)).toEqual(Array(5).fill(first.sweepId));
    const next = await coordinator.pollBundle(agentId, 0, 32);
    expect(next.map((lease) => lease.sweepId)).toEqual(Array(5).fill(second.sweepId));
  });

  it('leases a trial that cannot be fused alone', async () => {
    const { coordinator, agentId } = start();
    const spec = tinySweepSpec({ name: 'huber', grid: fiveRates });
    const { sweepId } = await coordinator.submitSweep({ ...spec, workload: { ...spec.workload, loss: 'huberLoss' } }, 'src');
    await expect(coordinator.pollBundle(agentId, 0, 32)).resolves.toHaveLength(1);
    expect(coordinator.getSweep(sweepId).counts).toMatchObject({ queued: 4, running: 1 });
  });

  it('splits a sweep between the idle slots of an agent', async () => {
    const { coordinator, agentId } = start(2);
    await coordinator.submitSweep(tinySweepSpec({ name: 'split', grid: fiveRates }), 'src');
    const firstSlot = await coordinator.pollBundle(agentId, 0, 32);
    const secondSlot = await coordinator.pollBundle(agentId, 0, 32);
    expect([firstSlot.length, secondSlot.length]).toEqual([3, 2]);
  });

  it('keeps trials sharing a learning rate in one slot, so a shared prefix trains once', async () => {
    const { coordinator, agentId } = start(2);
    await coordinator.submitSweep(tinySweepSpec({ name: 'dealt', grid: { learningRate: [0.001, 0.01], factor: [0.1, 0.5], patience: [1] } }), 'src');
    const configs = (bundle: readonly { trial: { config: { learningRate: number; factor: number } } }[]): string[] =>
      bundle.map(({ trial }) => `${trial.config.learningRate}/${trial.config.factor}`);
    const firstSlot = await coordinator.pollBundle(agentId, 0, 32);
    const secondSlot = await coordinator.pollBundle(agentId, 0, 32);
    expect(configs(firstSlot)).toEqual(['0.001/0.1', '0.001/0.5']);
    expect(configs(secondSlot)).toEqual(['0.01/0.1', '0.01/0.5']);
  });

  it('splits a sweep between agents that polled lately', async () => {
    const { coordinator, agentId: first } = start();
    const { agentId: second } = coordinator.registerAgent({ hostname: 'other-host', slots: 1, backend: 'cpu', version: '0.1.0' });
    await expect(coordinator.pollBundle(first, 0, 32)).resolves.toEqual([]);
    await coordinator.submitSweep(tinySweepSpec({ name: 'two-agents', grid: fiveRates }), 'src');
    const toSecond = await coordinator.pollBundle(second, 0, 32);
    const toFirst = await coordinator.pollBundle(first, 0, 32);
    expect([toSecond.length, toFirst.length]).toEqual([3, 2]);
  });

  it('takes each member of a bundle’s result with that member’s own lease', async () => {
    const { coordinator, agentId } = start();
    const { sweepId } = await coordinator.submitSweep(tinySweepSpec({ name: 'report', grid: fiveRates }), 'src');
    const bundle = await coordinator.pollBundle(agentId, 0, 5);
    const [first, second] = bundle;
    if (first === undefined || second === undefined) throw new Error('expected a bundle');
    expect(() => coordinator.complete(first, resultFor(second.trialId))).toThrow();
    for (const lease of bundle) expect(coordinator.complete(lease, resultFor(lease.trialId))).toEqual({ recorded: true });
    expect(coordinator.getSweep(sweepId).counts).toMatchObject({ queued: 0, running: 0, succeeded: 5 });
  });

  it('answers a plain poll with a single lease as before', async () => {
    const { coordinator, agentId } = start();
    await coordinator.submitSweep(tinySweepSpec({ name: 'single', grid: fiveRates }), 'src');
    const lease = await coordinator.poll(agentId, 0);
    expect(lease).not.toBeNull();
    expect(coordinator.stats().queued).toBe(4);
  });
});
