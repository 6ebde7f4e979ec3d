// Property: whatever bytes or values arrive at a coordinator handler — random protobuf,
// garbage JSON in spec_json, hostile numbers, huge repeated fields, oversized messages —
// each call ends with a clear status (never UNKNOWN, never an INTERNAL from a handler), no
// state changes behind a refused call, and the coordinator keeps serving. Seeded, bounded.
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wire from '../../gen/plateau/v1/coordinator.js';
import { startCoordinatorServer, type RunningCoordinator } from '../../coordinator/grpc-server.js';
import { createGrpcAgentChannel } from '../../src/rpc/grpc-agent-channel.js';
import type { TrialLease } from '../../src/rpc/agent-channel.js';
import { tinySweepSpec } from '../coordinator/fixtures.js';
import { Prng } from './seeded-prng.js';
import { removeTempDirs, tempDir } from './fixtures.js';

interface Answer {
  readonly code: number;
  readonly details: string;
}

const unaryPaths = [
  '/plateau.v1.SweepService/SubmitSweep',
  '/plateau.v1.SweepService/GetSweep',
  '/plateau.v1.SweepService/ListSweeps',
  '/plateau.v1.SweepService/CancelSweep',
  '/plateau.v1.SweepService/GetResults',
  '/plateau.v1.AgentService/RegisterAgent',
  '/plateau.v1.AgentService/PollTrial',
  '/plateau.v1.AgentService/Heartbeat',
  '/plateau.v1.AgentService/CompleteTrial',
  '/plateau.v1.AgentService/FailTrial',
] as const;

/** The statuses a refused call may end with: each says what was wrong. */
const clearRefusals = new Set<number>([status.INVALID_ARGUMENT, status.NOT_FOUND, status.FAILED_PRECONDITION, status.RESOURCE_EXHAUSTED]);

function expectClear(answer: Answer, label: string): void {
  if (answer.code === status.OK || clearRefusals.has(answer.code)) return;
  // grpc-js answers bytes that are not the request message before any handler runs.
  if (answer.code === status.INTERNAL && /deserializ/i.test(answer.details)) return;
  throw new Error(`${label}: ${status[answer.code] ?? answer.code}: ${answer.details}`);
}

let server: RunningCoordinator;
let raw: Client;
let lease: TrialLease;
let sweepId: string;

function call(path: string, bytes: Uint8Array): Promise<Answer> {
  return new Promise((resolve) => {
    raw.makeUnaryRequest(
      path,
      (value: Uint8Array) => Buffer.from(value),
      (value: Buffer) => value,
      bytes,
      new Metadata(),
      { deadline: Date.now() + 20_000 },
      (error: ServiceError | null) => resolve(error === null ? { code: status.OK, details: '' } : { code: error.code, details: error.details }),
    );
  });
}

function watch(bytes: Uint8Array): Promise<Answer> {
  return new Promise((resolve) => {
    const stream = raw.makeServerStreamRequest('/plateau.v1.SweepService/WatchSweep', (value: Uint8Array) => Buffer.from(value), (value: Buffer) => value, bytes);
    // A watch of a real sweep streams until the sweep ends: one event is answer enough.
    stream.on('data', () => stream.cancel());
    stream.on('error', () => undefined);
    stream.on('status', (s: { code: number; details: string }) => resolve({ code: s.code === status.CANCELLED ? status.OK : s.code, details: s.details }));
  });
}

beforeAll(async () => {
  server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir: tempDir(), leaseTimeoutMs: 60_000, maxPollWaitMs: 50 });
  raw = new Client(server.address, credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 });
  sweepId = (await server.coordinator.submitSweep(tinySweepSpec({ grid: { learningRate: [0.1, 0.2], factor: [0.5], patience: [1] } }), 'fuzz')).sweepId;
  const agent = createGrpcAgentChannel(server.address);
  const { agentId } = await agent.register({ hostname: 'fuzz', slots: 1, backend: 'cpu', version: '0' });
  const granted = await agent.poll({ agentId, waitMs: 0 });
  agent.close();
  if (granted === null) throw new Error('expected a lease');
  lease = granted;
});

afterAll(async () => {
  raw?.close();
  await server?.close();
  removeTempDirs();
});

async function expectStillServing(): Promise<void> {
  const answer = await call('/plateau.v1.SweepService/ListSweeps', wire.ListSweepsRequest.encode({ pageSize: 0, pageToken: '' }).finish());
  expect(answer.code).toBe(status.OK);
  // Nothing garbage sent may have ended, added or changed a trial.
  expect(server.coordinator.getSweep(sweepId).counts).toMatchObject({ running: 1, queued: 1, succeeded: 0, failed: 0 });
  expect(server.coordinator.listSweeps()).toHaveLength(1);
}

describe('the coordinator\'s handlers under fuzzing', () => {
  it('answers random bytes on every method with a clear status', async () => {
    const prng = new Prng(0xfeed);
    for (const path of unaryPaths) {
      for (let i = 0; i < 25; i += 1) {
        const bytes = Uint8Array.from({ length: prng.int(300) }, () => prng.int(256));
        expectClear(await call(path, bytes), `${path} random #${i}`);
      }
    }
    for (let i = 0; i < 10; i += 1) expectClear(await watch(Uint8Array.from({ length: prng.int(100) }, () => prng.int(256))), `WatchSweep random #${i}`);
    await expectStillServing();
  });

  it('refuses garbage in spec_json with INVALID_ARGUMENT', async () => {
    const prng = new Prng(0xabc);
    const valid = JSON.stringify(tinySweepSpec({ name: 'other' }));
    const cases = [
      '',
      'null',
      '[]',
      '"spec"',
      '{',
      '{"name":',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      `{"name": "${'x'.repeat(5_000_000)}"}`,
      '{"__proto__": {"polluted": true}}',
      JSON.stringify({ ...tinySweepSpec(), grid: { learningRate: Array.from({ length: 1000 }, (_, i) => (i + 1) / 1e4), factor: Array.from({ length: 999 }, (_, i) => (i + 1) / 1e3), patience: [1, 2] } }),
      ...Array.from({ length: 60 }, () => {
        const at = prng.int(valid.length);
        return valid.slice(0, at) + prng.text(1 + prng.int(8)) + valid.slice(at + prng.int(10));
      }),
    ];
    for (const [i, specJson] of cases.entries()) {
      const answer = await call('/plateau.v1.SweepService/SubmitSweep', wire.SubmitSweepRequest.encode({ specJson, specSource: '' }).finish());
      // A mangled spec that still reads as a valid one is a new sweep: only refusals are checked here.
      if (answer.code === status.OK) continue;
      expect(answer.code, `case #${i}: ${answer.details.slice(0, 200)}`).toBe(status.INVALID_ARGUMENT);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const answer = await call('/plateau.v1.SweepService/SubmitSweep', wire.SubmitSweepRequest.encode({ specJson: cases[9] ?? '', specSource: '' }).finish());
    expect(answer.details).toMatch(/1,998,000 trials, over the limit of 100,000/);
  });

  it('refuses hostile reports on a live lease without touching the trial', async () => {
    const ref = { leaseId: lease.leaseId, fencingToken: lease.fencingToken };
    const epoch = (n: number): wire.EpochReport => ({ epoch: n, loss: 1, valLoss: 1, lr: 0.1, metrics: {} });
    const result = (overrides: Partial<wire.TrialResult>): wire.TrialResult => ({
      trialId: lease.trialId,
      status: wire.TrialStatus.TRIAL_STATUS_SUCCEEDED,
      history: [epoch(1)],
      lrReductions: [],
      objective: 1,
      wallSeconds: 1,
      backend: 'cpu',
      seed: 1,
      divergedAtEpoch: 0,
      errorKind: '',
      errorMessage: '',
      cancelReason: '',
      errorScope: '',
      ...overrides,
    });
    const complete = (r: wire.TrialResult, fencingToken = ref.fencingToken): Uint8Array =>
      wire.CompleteTrialRequest.encode({ leaseId: ref.leaseId, fencingToken, result: r }).finish();
    const cases: [string, string, Uint8Array][] = [
      ['heartbeat with epoch 0', 'Heartbeat', wire.HeartbeatRequest.encode({ ...ref, epochs: [epoch(0)] }).finish()],
      ['heartbeat with a wrong token', 'Heartbeat', wire.HeartbeatRequest.encode({ ...ref, fencingToken: ref.fencingToken + 1, epochs: [] }).finish()],
      ['heartbeat with an unknown lease', 'Heartbeat', wire.HeartbeatRequest.encode({ leaseId: 'nope', fencingToken: 1, epochs: [] }).finish()],
      ['a result for another trial', 'CompleteTrial', complete(result({ trialId: 'someone-else' }))],
      ['a result without a trial id', 'CompleteTrial', complete(result({ trialId: '' }))],
      ['a result from an unknown backend', 'CompleteTrial', complete(result({ backend: 'abacus' }))],
      ['a result with an unspecified status', 'CompleteTrial', complete(result({ status: wire.TrialStatus.TRIAL_STATUS_UNSPECIFIED }))],
      ['a result with a status out of range', 'CompleteTrial', complete(result({ status: 99 as wire.TrialStatus }))],
      ['a result with 200,000 epochs, one of them 0', 'CompleteTrial', complete(result({ history: [...Array.from({ length: 200_000 }, (_, i) => epoch(i + 1)), epoch(0)] }))],
      ['a result with a stale token', 'CompleteTrial', complete(result({}), ref.fencingToken + 7)],
      ['a result message missing', 'CompleteTrial', wire.CompleteTrialRequest.encode({ ...ref, result: undefined }).finish()],
      ['a failure without a kind', 'FailTrial', wire.FailTrialRequest.encode({ ...ref, errorKind: '', errorMessage: 'x', errorScope: '' }).finish()],
      ['a workload failure with an unknown scope', 'FailTrial', wire.FailTrialRequest.encode({ ...ref, errorKind: 'workload', errorMessage: 'x', errorScope: 'galaxy' }).finish()],
      ['a failed result with an unknown scope', 'CompleteTrial', complete(result({ status: wire.TrialStatus.TRIAL_STATUS_FAILED, errorKind: 'workload', errorMessage: 'x', errorScope: 'x'.repeat(10_000) }))],
      ['a registration with no hostname', 'RegisterAgent', wire.RegisterAgentRequest.encode({ hostname: '', slots: 1, backend: 'cpu', version: '' }).finish()],
      ['a registration with 0 slots', 'RegisterAgent', wire.RegisterAgentRequest.encode({ hostname: 'h', slots: 0, backend: 'cpu', version: '' }).finish()],
      ['a registration with an unknown backend', 'RegisterAgent', wire.RegisterAgentRequest.encode({ hostname: 'h', slots: 1, backend: 'x'.repeat(100_000), version: '' }).finish()],
      ['a poll from an unknown agent', 'PollTrial', wire.PollTrialRequest.encode({ agentId: 'x'.repeat(10_000), waitMs: 4_000_000_000 }).finish()],
      ['a message over the 32 MiB limit', 'SubmitSweep', wire.SubmitSweepRequest.encode({ specJson: 'x'.repeat(33 * 1024 * 1024), specSource: '' }).finish()],
    ];
    for (const [name, method, bytes] of cases) {
      const path = unaryPaths.find((p) => p.endsWith(`/${method}`)) ?? '';
      const answer = await call(path, bytes);
      expect(clearRefusals.has(answer.code), `${name}: ${status[answer.code]}: ${answer.details.slice(0, 200)}`).toBe(true);
    }
    await expectStillServing();
  });
});
