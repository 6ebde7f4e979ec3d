// The worker's side of the IPC protocol, read off the wire: the built worker
// (dist/agent/worker-main.js) forked as WorkerProcess forks it, its messages recorded as sent.
import { fork, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { workerEntryPath } from '../../agent/package-root.js';
import { decodeWorkerMessage, WORKER_BACKEND_ENV, type ParentToWorker, type WorkerToParent } from '../../agent/worker-protocol.js';
import type { TrialSpec } from '../../src/trial/types.js';
import { tinyTrial } from './fixtures.js';

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts a worker, sends it `message` once it is ready, and resolves with what it sent until `results` results. */
function converse(message: ParentToWorker, results: number): Promise<WorkerToParent[]> {
  const child = fork(workerEntryPath(), ['cpu'], { env: { ...process.env, [WORKER_BACKEND_ENV]: 'cpu' }, execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const received: WorkerToParent[] = [];
    child.on('message', (raw: unknown) => {
      const decoded = decodeWorkerMessage(raw);
      if (!decoded.ok) {
        reject(new Error(`malformed message from the worker: ${decoded.problem}`));
        return;
      }
      received.push(decoded.message);
      if (decoded.message.type === 'ready') child.send(message);
      if (received.filter((sent) => sent.type === 'result').length === results) {
        child.send({ type: 'shutdown' } satisfies ParentToWorker);
        resolve(received);
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`worker exited early (${signal ?? `code ${String(code)}`})`)));
  });
}

function bundle(ids: readonly string[], epochs: number): TrialSpec[] {
  return ids.map((id, i) => {
    const trial = tinyTrial(id, { epochs });
    return { ...trial, config: { ...trial.config, learningRate: 0.001 * 10 ** i } };
  });
}

/** Each message, less logs, as a short line: `epochs a@1 b@1`, `result a`… */
function transcript(messages: readonly WorkerToParent[]): string[] {
  return messages.flatMap((message) => {
    switch (message.type) {
      case 'epochs':
        return [`epochs ${message.records.map(({ trialId, record }) => `${trialId}@${record.epoch}`).join(' ')}`];
      case 'result':
        return [`result ${message.result.trialId}`];
      case 'log':
        return [];
      default:
        return [message.type];
    }
  });
}

describe('worker process (wire)', () => {
  it('sends the epoch a fused bundle finishes for all its members as one message, before the results', async () => {
    const messages = await converse({ type: 'run-bundle', trials: bundle(['a', 'b', 'c'], 2) }, 3);
    expect(transcript(messages)).toEqual(['ready', 'epochs a@1 b@1 c@1', 'epochs a@2 b@2 c@2', 'result a', 'result b', 'result c']);
  });

  it('sends each epoch of a lone trial as it finishes, before its result', async () => {
    const messages = await converse({ type: 'run', trial: tinyTrial('lone', { epochs: 2 }) }, 1);
    expect(transcript(messages)).toEqual(['ready', 'epochs lone@1', 'epochs lone@2', 'result lone']);
  });

  it('says once, naming the layer, why a lone trial trains on model.fit instead of fused', async () => {
    const trial = tinyTrial('elu-dropout', { epochs: 1 });
    const unfusable: TrialSpec = {
      ...trial,
      workload: { ...trial.workload, model: { kind: 'layers', layers: [{ kind: 'dense', units: 8, activation: 'elu' }, { kind: 'dropout', rate: 0.1 }, { kind: 'dense', units: 1, activation: 'linear' }] } },
    };
    const messages = await converse({ type: 'run', trial: unfusable }, 1);
    const said = messages.flatMap((message) => (message.type === 'log' && message.event === 'trial.not-fusable' ? [message.fields] : []));
    expect(said).toEqual([{ trial: 'elu-dropout', reason: expect.stringMatching(/^layer 2 is dropout.*activation elu has no kernel$/) as unknown, trainsOn: 'model.fit' }]);
  });
});
