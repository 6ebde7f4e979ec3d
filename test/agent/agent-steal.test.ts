// Work stealing between an agent's slots: a slot with nothing to poll takes over part of another
// slot's fused bundle once its schedules have parted. The part moves with its training state,
// so every member ends exactly as it would have in one slot, and each keeps its own lease.
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import type { TrialResult, TrialSpec } from '../../src/trial/types.js';
import { tinyTrial } from './fixtures.js';
import { RecordingChannel } from './recording-channel.js';
import { recordingLogger } from './recording-logger.js';

const agents: Agent[] = [];

async function startAgent(channel: RecordingChannel, options: { slots: number; steal: boolean; logger?: ReturnType<typeof recordingLogger>['logger'] }): Promise<Agent> {
  const agent = new Agent({
    channel,
    slots: options.slots,
    backend: 'wasm',
    pollWaitMs: 100,
    epochFlushMs: 50,
    reconnect: { baseMs: 10, capMs: 50 },
    hostname: 'test-host',
    fuse: 8,
    steal: options.steal,
    stealWaitMs: 200,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  agents.push(agent);
  await agent.start();
  return agent;
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.stop({ drainMs: 0 })));
});

/** One starting rate, schedules that part within the first epochs (minDelta makes plateaus come early). */
function forkingBundle(): TrialSpec[] {
  const schedules = [
    { factor: 0.5, patience: 0 },
    { factor: 0.1, patience: 0 },
    { factor: 0.3, patience: 1 },
    { factor: 0.5, patience: 2 },
    { factor: 0.2, patience: 0 },
    { factor: 0.7, patience: 1 },
  ];
  return schedules.map((schedule, i) => {
    const trial = tinyTrial(`member-${i}`, { epochs: 40, samples: 2048 });
    return { ...trial, config: { ...trial.config, learningRate: 0.03, minDelta: 0.5, ...schedule } };
  });
}

async function completeAll(channel: RecordingChannel, trials: readonly TrialSpec[], agentOptions: { slots: number; steal: boolean; logger?: ReturnType<typeof recordingLogger>['logger'] }): Promise<Map<string, TrialResult>> {
  const leases = trials.map((trial) => channel.offer(trial));
  await startAgent(channel, agentOptions);
  const calls = await Promise.all(leases.map((lease) => channel.waitForCall('complete', (call) => call.lease.leaseId === lease.leaseId)));
  return new Map(calls.map((call) => [call.result.trialId, call.result]));
}

describe('Agent work stealing', () => {
  it('lets an idle slot take over part of a bundle, and every member ends as it would in one slot', async () => {
    const trials = forkingBundle();
    const alone = await completeAll(new RecordingChannel({ bundles: true }), trials, { slots: 1, steal: false });

    const { logger, lines } = recordingLogger();
    const channel = new RecordingChannel({ bundles: true });
    const shared = await completeAll(channel, trials, { slots: 2, steal: true, logger });

    const taken = lines.filter((line) => line.event === 'bundle.part-taken');
    expect(taken.length).toBeGreaterThan(0);
    for (const trial of trials) {
      const result = shared.get(trial.id);
      // Same float32 state, same batches: bit for bit what the unsplit bundle trained.
      expect(result?.history).toEqual(alone.get(trial.id)?.history);
      expect(result?.lrReductions).toEqual(alone.get(trial.id)?.lrReductions);
      expect(result?.outcome).toEqual({ status: 'succeeded' });
    }
    // Each member completed once, on its own lease; nothing failed.
    expect(channel.callsOf('complete')).toHaveLength(trials.length);
    expect(channel.callsOf('fail')).toEqual([]);
  });

  it('keeps each moved member’s heartbeats in order: the epochs sent are a prefix of its history, none twice', async () => {
    const { logger, lines } = recordingLogger();
    const channel = new RecordingChannel({ bundles: true });
    const results = await completeAll(channel, forkingBundle(), { slots: 2, steal: true, logger });
    const moved = lines.filter((line) => line.event === 'bundle.part-taken').flatMap((line) => (Array.isArray(line.fields['trials']) ? line.fields['trials'] : []));
    expect(moved.length).toBeGreaterThan(0);
    for (const trialId of moved) {
      const leaseId = channel.callsOf('complete').find((call) => call.result.trialId === trialId)?.lease.leaseId;
      const beaten = channel
        .callsOf('heartbeat')
        .filter((beat) => beat.lease.leaseId === leaseId)
        .flatMap((beat) => beat.epochs);
      const history = results.get(String(trialId))?.history ?? [];
      expect(beaten).toEqual(history.slice(0, beaten.length));
    }
  });

  it('fails only the moved members when the worker that took them crashes; the rest complete', async () => {
    const trials = forkingBundle();
    const { logger, waitFor } = recordingLogger();
    const channel = new RecordingChannel({ bundles: true });
    const leases = trials.map((trial) => channel.offer(trial));
    const agent = await startAgent(channel, { slots: 2, steal: true, logger });
    const taken = await waitFor('bundle.part-taken');
    const thief = Number(taken.fields['slot']);
    const moved = new Set((Array.isArray(taken.fields['trials']) ? taken.fields['trials'] : []).map(String));
    process.kill(agent.workerPids[thief] ?? -1, 'SIGKILL');

    const reports = await Promise.all(leases.map((lease) => Promise.race([channel.waitForCall('complete', (call) => call.lease.leaseId === lease.leaseId), channel.waitForCall('fail', (call) => call.lease.leaseId === lease.leaseId)])));
    for (const [index, report] of reports.entries()) {
      const trialId = trials[index]?.id ?? '';
      expect(report.method, trialId).toBe(moved.has(trialId) ? 'fail' : 'complete');
    }
  });

  it('does not steal when stealing is off: the whole bundle trains in the slot that leased it', async () => {
    const { logger, lines } = recordingLogger();
    await completeAll(new RecordingChannel({ bundles: true }), forkingBundle(), { slots: 2, steal: false, logger });
    expect(lines.filter((line) => line.event === 'bundle.part-taken')).toEqual([]);
  });
});
