// A trial killed mid-run and started again in a new process resumes from its last checkpoint
// (weights, Adam slots, plateau scheduler, learning rate, history, shuffle and dropout streams)
// and ends with exactly the history and objective of an uninterrupted run on the same backend.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runTrial } from '../../src/train/trial-runner.js';
import type { TrialResult, TrialSpec } from '../../src/trial/types.js';
import { removeTempDirs, tempDataDir } from '../coordinator/fixtures.js';
import { trialSpec } from '../train/trial-fixtures.js';

const trainer = fileURLToPath(new URL('./fixtures/train-with-checkpoints.mjs', import.meta.url));

afterEach(() => removeTempDirs());

// Adam (slots to restore), dropout (a mask stream to resume), patience 1 (LR reductions and
// scheduler state that matter after the resume point).
const spec: TrialSpec = trialSpec({
  id: 'resumable',
  workload: {
    epochs: 10,
    model: { kind: 'layers', layers: [{ kind: 'dense', units: 8, activation: 'relu' }, { kind: 'dropout', rate: 0.2 }, { kind: 'dense', units: 1, activation: 'linear' }] },
  },
  config: { learningRate: 0.05, patience: 1, factor: 0.5 },
});

interface Run {
  readonly epochs: number[];
  readonly result: TrialResult | null;
  readonly exit: number | string;
}

/** Trains in a fresh process; `killAfterEpoch` SIGKILLs it once that epoch is printed. */
function train(dir: string, every: number, killAfterEpoch?: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [trainer, JSON.stringify(spec), dir, String(every)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const epochs: number[] = [];
    let result: TrialResult | null = null;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('epoch ')) {
          epochs.push(Number(line.slice(6)));
          if (epochs.at(-1) === killAfterEpoch) child.kill('SIGKILL');
        } else if (line.startsWith('result ')) result = JSON.parse(line.slice(7)) as TrialResult;
      }
    });
    child.on('exit', (code, signal) => resolve({ epochs, result, exit: code ?? String(signal) }));
  });
}

describe('a trial with checkpoints every 3 epochs', () => {
  it('killed after epoch 7 and run again in a new process, resumes at epoch 7 and matches the uninterrupted run', async () => {
    const uninterrupted = await runTrial(spec, { backend: 'cpu' });
    expect(uninterrupted.outcome.status).toBe('succeeded');
    expect(uninterrupted.lrReductions.length).toBeGreaterThan(0);

    const dir = tempDataDir();
    const killed = await train(dir, 3, 7);
    expect(killed.exit).toBe('SIGKILL');
    expect(existsSync(join(dir, 'resumable', 'checkpoint.json'))).toBe(true);
    expect(readdirSync(join(dir, 'resumable')).filter((file) => file.startsWith('weights-'))).toEqual(['weights-6.bin']);

    const resumed = await train(dir, 3);
    expect(resumed.epochs).toEqual([7, 8, 9, 10]);
    expect(resumed.result?.history).toEqual(uninterrupted.history);
    expect(resumed.result?.lrReductions).toEqual(uninterrupted.lrReductions);
    expect(resumed.result?.objective).toBe(uninterrupted.objective);
    // The result is in: the checkpoint is gone.
    expect(existsSync(join(dir, 'resumable'))).toBe(false);
  });

  it('ignores a checkpoint written for a different spec and starts over', async () => {
    const dir = tempDataDir();
    await train(dir, 3, 4);
    const other = { ...spec, config: { ...spec.config, learningRate: 0.01 } };
    const result = await runTrial(other, { backend: 'cpu', checkpoint: { dir, everyEpochs: 3 } });
    expect(result.history.map((record) => record.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(result.history).toEqual((await runTrial(other, { backend: 'cpu' })).history);
  });
});
