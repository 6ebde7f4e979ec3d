// WorkerProcess against real child processes: the built worker (dist/agent/worker-main.js,
// built by `npm test` before vitest runs) training real tiny trials on the cpu backend.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerClosedError, WorkerCrashedError, WorkerProtocolError, WorkerStartError, WorkerTimeoutError } from '../../agent/worker-errors.js';
import { WorkerProcess, type WorkerProcessOptions } from '../../agent/worker-process.js';
import { silentLogger } from '../../src/log/logger.js';
import { selectBackend } from '../../src/train/backend.js';
import { runFusedTrials } from '../../src/train/fused/fused-runner.js';
import type { BundlePart } from '../../src/train/fused/bundle-part.js';
import type { EpochRecord, TrialResult, TrialSpec } from '../../src/trial/types.js';
import { tinyTrial } from './fixtures.js';
import { recordingLogger } from './recording-logger.js';

const envWorker = fileURLToPath(new URL('./fixtures/env-reporting-worker.mjs', import.meta.url));

/** Trials that fuse into one bundle of several physical members (one per learning rate). */
function bundle(ids: readonly string[], overrides: { epochs?: number; samples?: number } = {}): TrialSpec[] {
  return ids.map((id, i) => {
    const trial = tinyTrial(id, overrides);
    return { ...trial, config: { ...trial.config, learningRate: 0.001 * 10 ** i } };
  });
}

/** What a run's onEpoch saw, as `trial@epoch`, in the order it saw it. */
function epochLog(): { readonly seen: string[]; readonly onEpoch: (trialId: string, record: EpochRecord) => void; readonly epochsOf: (trialId: string) => number[] } {
  const seen: string[] = [];
  return {
    seen,
    onEpoch: (trialId, record) => seen.push(`${trialId}@${record.epoch}`),
    epochsOf: (trialId) => seen.filter((entry) => entry.startsWith(`${trialId}@`)).map((entry) => Number(entry.slice(trialId.length + 1))),
  };
}

const workers: WorkerProcess[] = [];
function worker(options: Partial<WorkerProcessOptions> = {}): WorkerProcess {
  const created = new WorkerProcess({ backend: 'cpu', ...options });
  workers.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
});

describe('WorkerProcess', () => {
  it('runs a tiny trial in a child process and streams each epoch as it finishes', async () => {
    const w = worker();
    const epochs: EpochRecord[] = [];
    const result = await w.run(tinyTrial('tiny'), { onEpoch: (record) => epochs.push(record) });
    expect(result.trialId).toBe('tiny');
    expect(result.outcome).toEqual({ status: 'succeeded' });
    expect(result.backend).toBe('cpu');
    expect(epochs.map((record) => record.epoch)).toEqual([1, 2]);
    expect(epochs).toEqual(result.history);
    expect(w.pid).not.toBe(process.pid);
  });

  it('delivers every epoch of every member of a fused bundle, in the order they finished, before the results', async () => {
    const log = epochLog();
    const results = await worker().runBundle(bundle(['a', 'b', 'c'], { epochs: 3 }), { onEpoch: log.onEpoch });
    expect(results.map((result) => [result.trialId, result.outcome.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
      ['c', 'succeeded'],
    ]);
    // Each epoch ends for every member at once, in bundle order.
    expect(log.seen).toEqual(['a@1', 'b@1', 'c@1', 'a@2', 'b@2', 'c@2', 'a@3', 'b@3', 'c@3']);
    for (const result of results) expect(log.epochsOf(result.trialId)).toEqual(result.history.map((record) => record.epoch));
  });

  it('delivers every epoch of the trials a bundle hands off before the part, and none after', async () => {
    const w = worker({ backend: 'wasm' });
    const log = epochLog();
    // Asked once the bundle's first epoch is in: there are 39 more to hand off before.
    const asked: Promise<BundlePart | null>[] = [];
    const results = await w.runBundle(bundle(['a', 'b', 'c'], { epochs: 40, samples: 2048 }), {
      onEpoch: (trialId, record) => {
        log.onEpoch(trialId, record);
        if (asked.length === 0) asked.push(w.requestPart());
      },
    });
    const part = await asked[0];
    if (part === undefined || part === null) throw new Error('the bundle handed nothing off');
    const moved = part.members.map((member) => member.spec.id);
    expect(moved.length).toBeGreaterThan(0);
    // A moved trial's epochs reached this run up to the handoff (its history so far), then stopped.
    for (const member of part.members) expect(log.epochsOf(member.spec.id)).toEqual(member.history.map((record) => record.epoch));
    expect(results.map((result) => result.trialId)).toEqual(['a', 'b', 'c'].filter((id) => !moved.includes(id)));
    for (const result of results) expect(log.epochsOf(result.trialId)).toEqual(result.history.map((record) => record.epoch));
  });

  it('stops one member of a fused bundle alone when its own signal aborts, and the others report what the unstopped bundle reports, bit for bit', async () => {
    const specs = bundle(['a', 'b', 'c'], { epochs: 100 });
    const whole = await worker({ backend: 'wasm' }).runBundle(specs);
    const stopB = new AbortController();
    const results = await worker({ backend: 'wasm' }).runBundle(specs, {
      memberSignals: new Map([['b', stopB.signal]]),
      onEpoch: (trialId, record) => {
        if (trialId === 'b' && record.epoch === 2) stopB.abort('pruned');
      },
    });
    const withoutWall = (result: TrialResult | undefined): unknown => (result === undefined ? undefined : { ...result, wallSeconds: 0 });
    expect([results[0], results[2]].map(withoutWall)).toEqual([whole[0], whole[2]].map(withoutWall));
    const stopped = results[1];
    expect(stopped?.outcome).toEqual({ status: 'cancelled', reason: 'pruned' });
    // Cut where the stop reached the worker: at least the two epochs it had, a prefix of what it would have trained.
    expect(stopped?.history.length).toBeGreaterThanOrEqual(2);
    expect(stopped?.history.length).toBeLessThan(100);
    expect(stopped?.history).toEqual(whole[1]?.history.slice(0, stopped?.history.length));
  });

  it('trains a stopped member no further: the bundle’s physical-member batches fall by the batches it no longer trains', async () => {
    const specs = bundle(['a', 'b', 'c'], { epochs: 100 });
    // 256 rows less a quarter for validation, in batches of 32.
    const batchesPerEpoch = 6;
    const trainedBatches = async (stop: boolean): Promise<{ memberBatches: number; stoppedEpochs: number }> => {
      const { logger, waitFor } = recordingLogger();
      const stopB = new AbortController();
      const results = await worker({ backend: 'wasm', logger }).runBundle(specs, {
        memberSignals: new Map([['b', stopB.signal]]),
        onEpoch: (trialId, record) => {
          if (stop && trialId === 'b' && record.epoch === 2) stopB.abort('pruned');
        },
      });
      const trained = await waitFor('fused.trained');
      return { memberBatches: Number(trained.fields['memberBatches']), stoppedEpochs: results[1]?.history.length ?? Number.NaN };
    };
    const whole = await trainedBatches(false);
    expect(whole.memberBatches).toBe(3 * 100 * batchesPerEpoch);
    const cut = await trainedBatches(true);
    // It left before a batch of the epoch after its last one (or at that epoch's start).
    const epochsNotTrained = 100 - cut.stoppedEpochs;
    expect(cut.memberBatches).toBeGreaterThanOrEqual(whole.memberBatches - epochsNotTrained * batchesPerEpoch);
    expect(cut.memberBatches).toBeLessThan(whole.memberBatches - (epochsNotTrained - 1) * batchesPerEpoch);
  });

  it('trains a lone dense trial on wasm on the fused kernels, as a bundle of one', async () => {
    const trial = tinyTrial('kernel', { epochs: 3 });
    const result = await worker({ backend: 'wasm' }).run(trial);
    await selectBackend('wasm', silentLogger);
    const [onKernels] = await runFusedTrials([trial], { backend: 'wasm', engine: 'kernel' });
    expect(result.outcome).toEqual({ status: 'succeeded' });
    expect(result.history).toEqual(onKernels?.history);
  });

  it('runs trial after trial in the same process', async () => {
    const w = worker();
    await w.run(tinyTrial('first'));
    const pid = w.pid;
    const second = await w.run(tinyTrial('second'));
    expect(second.outcome.status).toBe('succeeded');
    expect(w.pid).toBe(pid);
  });

  it('rejects with WorkerCrashedError when the worker is killed mid-trial, and runs the next trial in a fresh process', async () => {
    const w = worker();
    const ready = await w.start();
    const crashed = w.run(tinyTrial('doomed', { epochs: 500 }), {
      onEpoch: () => {
        if (w.pid !== null) process.kill(w.pid, 'SIGKILL');
      },
    });
    const error: unknown = await crashed.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error).toMatchObject({ trialId: 'doomed', signal: 'SIGKILL', exitCode: null });

    const next = await w.run(tinyTrial('after-crash'));
    expect(next.outcome).toEqual({ status: 'succeeded' });
    expect(w.pid).not.toBe(ready.pid);
  });

  it('stops a running trial on abort and resolves with a cancelled outcome carrying the reason', async () => {
    const w = worker();
    const controller = new AbortController();
    const result = await w.run(tinyTrial('pruned-one', { epochs: 500 }), {
      signal: controller.signal,
      onEpoch: () => controller.abort('pruned'),
    });
    expect(result.outcome).toEqual({ status: 'cancelled', reason: 'pruned' });
    expect(result.history.length).toBeGreaterThanOrEqual(1);
    expect(result.history.length).toBeLessThan(500);
  });

  it('cancels a trial whose signal is already aborted without training it', async () => {
    const w = worker();
    const result = await w.run(tinyTrial('never'), { signal: AbortSignal.abort('shutdown') });
    expect(result.outcome).toEqual({ status: 'cancelled', reason: 'shutdown' });
    expect(result.history).toEqual([]);
  });

  it('kills a worker that finishes no epoch within the per-epoch timeout', async () => {
    // Generous: a real epoch on a loaded 2-core machine must never trip it; only the stopped process does.
    const w = worker({ epochTimeoutMs: 15_000 });
    await w.start();
    const hung = w.run(tinyTrial('hangs', { epochs: 500 }), {
      // A stopped process is the most faithful hang there is.
      onEpoch: (record) => {
        if (record.epoch === 1 && w.pid !== null) process.kill(w.pid, 'SIGSTOP');
      },
    });
    const error: unknown = await hung.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WorkerTimeoutError);
    expect(error).toMatchObject({ trialId: 'hangs', phase: 'epoch', epochsDone: 1 });
    expect((await w.run(tinyTrial('after-hang'))).outcome.status).toBe('succeeded');
  });

  it('fails to start with WorkerStartError when the requested backend cannot load', async () => {
    const w = worker({ backend: 'tensorflow-gpu' });
    await expect(w.start()).rejects.toBeInstanceOf(WorkerStartError);
    await expect(w.run(tinyTrial('no-backend'))).rejects.toBeInstanceOf(WorkerStartError);
  });

  it('sets CUDA_VISIBLE_DEVICES to its GPU and passes the requested backend', async () => {
    const { logger, waitFor } = recordingLogger();
    const w = worker({ entryPath: envWorker, gpu: 3, backend: 'wasm', logger });
    await w.start();
    const line = await waitFor('worker.env');
    expect(line.fields).toMatchObject({ cuda: '3', backend: 'wasm' });
  });

  it('leaves CUDA_VISIBLE_DEVICES as it was when no GPU is given', async () => {
    const { logger, waitFor } = recordingLogger();
    const w = worker({ entryPath: envWorker, env: { PATH: process.env['PATH'] }, logger });
    await w.start();
    expect((await waitFor('worker.env')).fields).toMatchObject({ cuda: null });
  });

  it('spawns a worker again, once, when a stray Ctrl-C killed it before it was ready', async () => {
    const { logger, waitFor } = recordingLogger();
    const marker = join(mkdtempSync(join(tmpdir(), 'plateau-sigint-')), 'died');
    const w = worker({ entryPath: envWorker, env: { ...process.env, PLATEAU_TEST_WORKER_MODE: 'sigint-first', PLATEAU_TEST_WORKER_MARKER: marker }, logger });
    await expect(w.start()).resolves.toMatchObject({ backend: 'cpu' });
    expect(existsSync(marker)).toBe(true);
    expect((await waitFor('worker.respawned')).fields).toMatchObject({ afterSignal: 'SIGINT' });
  });

  it('gives up with WorkerStartError when the respawned worker dies of the signal too', async () => {
    const w = worker({ entryPath: envWorker, env: { ...process.env, PLATEAU_TEST_WORKER_MODE: 'sigint-always' } });
    await expect(w.start()).rejects.toMatchObject({ name: 'WorkerStartError', signal: 'SIGINT' });
  });

  it('kills a worker that sends a malformed message and rejects its trial with WorkerProtocolError', async () => {
    const w = worker({ entryPath: envWorker, env: { ...process.env, PLATEAU_TEST_WORKER_MODE: 'garbage' } });
    const ready = await w.start();
    const error: unknown = await w.run(tinyTrial('garbled')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WorkerProtocolError);
    expect(error).toMatchObject({ trialId: 'garbled', problem: expect.stringContaining('record.epoch') });
    expect(w.pid).toBeNull();
    await w.start();
    expect(w.pid).not.toBe(ready.pid);
  });

  it('closes safely twice and refuses to run afterwards', async () => {
    const w = worker();
    await w.start();
    const pid = w.pid;
    await Promise.all([w.close(), w.close()]);
    await w.close();
    expect(w.pid).toBeNull();
    expect(pid).not.toBeNull();
    await expect(w.run(tinyTrial('late'))).rejects.toBeInstanceOf(WorkerClosedError);
  });

  it('rejects the running trial with WorkerClosedError when closed mid-trial', async () => {
    const w = worker();
    const running = w.run(tinyTrial('interrupted', { epochs: 500 }), { onEpoch: () => void w.close() });
    await expect(running).rejects.toBeInstanceOf(WorkerClosedError);
  });
});
