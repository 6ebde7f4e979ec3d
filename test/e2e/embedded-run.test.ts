// `plateau run`: the one-command product, as a user runs it (the built CLI, a real store,
// real worker processes), including bad input and Ctrl-C with resume.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseResultsJson } from '../../src/results/parse-results.js';
import { killAllPlateauProcesses, spawnPlateau } from '../support/plateau-process.js';
import { knownAnswerSpec, removeTempDirs, tempDir, writeSpec } from './fixtures.js';

afterAll(() => {
  killAllPlateauProcesses();
  removeTempDirs();
});

describe('plateau run', () => {
  it('runs the sweep, prints the ranking and the best snippets, and writes the results files', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, knownAnswerSpec);
    const out = join(dir, 'out');
    const run = spawnPlateau(['run', spec, '--agents', '2', '--backend', 'cpu', '--out', out]);
    expect(await run.exited()).toBe(0);
    expect(run.stdout()).toMatch(/rank\s+lr\s+factor\s+patience/);
    expect(run.stdout()).toContain('tf.keras.callbacks.ReduceLROnPlateau(');
    expect(run.stdout()).toContain("import { reduceLROnPlateau } from 'plateau-sweep';");
    const doc = parseResultsJson(readFileSync(join(out, 'results.json'), 'utf8'), 'results.json');
    expect(doc.trials).toHaveLength(12);
    expect(doc.best?.config.learningRate).toBe(0.05);
    expect(readFileSync(join(out, 'results.csv'), 'utf8').trim().split(/\r?\n/)).toHaveLength(13);
  });

  it('says in one line why a sweep\'s trials cannot train fused', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, knownAnswerSpec.replace('loss: meanSquaredError', 'loss: huberLoss').replace('epochs: 6', 'epochs: 1'));
    const run = spawnPlateau(['run', spec, '--agents', '1', '--backend', 'cpu', '--out', join(dir, 'out')]);
    expect(await run.exited(), run.stderr()).toBe(0);
    const lines = run.stderr().split(/\r?\n/).filter((line) => line.includes('Not fused'));
    expect(lines).toEqual(['Not fused: loss huberLoss is not fusable yet (fusable: meanSquaredError, meanAbsoluteError, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy); each trial trains alone through tfjs model.fit']);
  });

  it('refuses a bad spec before anything runs, naming file, path and line, with exit code 2', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, knownAnswerSpec.replace('factor: [0.1, 0.5]', 'factor: [0.1, 1.5]'));
    const run = spawnPlateau(['run', spec, '--out', join(dir, 'out')]);
    expect(await run.exited()).toBe(2);
    expect(run.stderr()).toMatch(/sweep\.yaml:\d+:\d+ grid\.factor\[1\]: 1\.5 — a decay factor must be in \(0, 1\)/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('stops on Ctrl-C with exit code 130, keeps finished trials, and resumes where it stopped', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, knownAnswerSpec.replace('epochs: 6', 'epochs: 20'));
    const out = join(dir, 'out');
    const args = ['--log-format', 'json', '--log-level', 'info', 'run', spec, '--agents', '1', '--backend', 'cpu', '--out', out];
    const first = spawnPlateau(args);
    await first.waitFor(/"event":"trial\.completed"/, 90_000);
    first.interrupt();
    expect(await first.exited()).toBe(130);
    expect(first.stderr()).toMatch(/Interrupted: [1-9]\d* of 12 trials finished/);

    const second = spawnPlateau(['run', spec, '--agents', '2', '--backend', 'cpu', '--out', out]);
    expect(await second.exited(), second.stderr()).toBe(0);
    expect(second.stderr()).toContain('Resuming sweep "known-answer"');
    const doc = parseResultsJson(readFileSync(join(out, 'results.json'), 'utf8'), 'results.json');
    expect(new Set(doc.trials.map((trial) => trial.id)).size).toBe(12);
    // Only the one trial running at Ctrl-C (one slot) was started again; finished ones were kept.
    expect(doc.trials.filter((trial) => trial.attempts > 1).length).toBeLessThanOrEqual(1);
    expect(doc.trials.every((trial) => trial.status === 'succeeded' || trial.status === 'diverged')).toBe(true);
  });

  it('loses nothing to three Ctrl-Cs sent to the process group as a terminal does, and its resume line works pasted anywhere', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, knownAnswerSpec.replace('epochs: 6', 'epochs: 30'));
    const out = join(dir, 'out');
    const args = ['--log-format', 'json', '--log-level', 'debug', 'run', spec, '--agents', '2', '--backend', 'cpu', '--out', out, '--fuse', '1'];
    // First at start-up, while the workers are still loading their backend; then twice mid-trial.
    const moments = [/"event":"worker\.spawned"/, /"event":"trial\.leased"/, /"event":"trial\.completed"/];
    let resumeLine = '';
    for (const moment of moments) {
      const run = spawnPlateau(args);
      await run.waitFor(moment, 90_000);
      run.interrupt();
      const { code, stderr } = await run.finished();
      expect(code, stderr).toBe(130);
      expect(stderr).not.toMatch(/WorkerStartError|worker\.crashed|\n\s+at /);
      const match = /^Resume with: (.+)$/m.exec(stderr);
      expect(match).not.toBeNull();
      resumeLine = match?.[1] ?? '';
    }
    // Pasted into a shell in another folder, with no `plateau` on PATH.
    const elsewhere = tempDir();
    const pasted = spawnSync('bash', ['-c', resumeLine], { cwd: elsewhere, encoding: 'utf8', env: { ...process.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` }, timeout: 180_000 });
    expect(pasted.status, pasted.stderr).toBe(0);
    const doc = parseResultsJson(readFileSync(join(out, 'results.json'), 'utf8'), 'results.json');
    expect(doc.trials).toHaveLength(12);
    expect(doc.trials.filter((trial) => trial.status === 'failed')).toEqual([]);
  });
});
