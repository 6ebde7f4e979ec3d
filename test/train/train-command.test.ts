// `plateau train` as a user runs it: the built CLI (bin/plateau → dist/) in a real process.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pickTrial, TrainOptionError } from '../../cli/commands/train.js';
import type { TrialResult } from '../../src/trial/types.js';
import { runPlateau } from '../support/plateau-process.js';
import { trialSpec } from './trial-fixtures.js';

const oneTrial = fileURLToPath(new URL('../fixtures/specs/one-trial.yaml', import.meta.url));
const quick = fileURLToPath(new URL('../../examples/quick.yaml', import.meta.url));

describe('pickTrial', () => {
  const three = [trialSpec({ id: 'a' }), trialSpec({ id: 'b' }), trialSpec({ id: 'c' })];

  it('takes the only grid point when no index is given', () => {
    expect(pickTrial(three.slice(0, 1), undefined)).toMatchObject({ index: 0, trial: { id: 'a' } });
  });

  it('takes grid point N for --index N', () => {
    expect(pickTrial(three, '2')).toMatchObject({ index: 2, trial: { id: 'c' } });
  });

  it.each([[undefined], ['3'], ['-1'], ['1.5'], ['x']])('refuses index %s for a grid of three', (index) => {
    expect(() => pickTrial(three, index)).toThrow(TrainOptionError);
  });
});

describe('plateau train', () => {
  it('prints a line per epoch, the Keras reduction lines and a summary', async () => {
    const run = await runPlateau(['train', oneTrial, '--backend', 'cpu']);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^Trial index 0 of 0\.\.0 \([0-9a-f]+\): learningRate=0\.01 factor=0\.5 patience=1 /);
    expect(lines.filter((line) => /^Epoch \d\/4 - loss: [\d.]+ - val_loss: [\d.]+ - lr: [\d.]+ - [\d.]+s$/.test(line))).toHaveLength(4);
    const reduction = lines.findIndex((line) => line.startsWith('Epoch 2: ReduceLROnPlateau reducing learning rate to 0.00499999'));
    // Printed right after its epoch's line, as Keras does.
    expect(lines[reduction - 1]).toMatch(/^Epoch 2\/4 /);
    expect(lines[reduction + 1]).toMatch(/^Epoch 3\/4 - .* - lr: 0\.005 - /);
    expect(run.stdout).toContain('Outcome: succeeded');
    expect(run.stdout).toContain('LR reductions after epoch(s): 2, 3, 4');
  });

  it('prints the TrialResult as JSON with --json', async () => {
    const run = await runPlateau(['train', oneTrial, '--backend', 'cpu', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as TrialResult;
    expect(result.outcome).toEqual({ status: 'succeeded' });
    expect(result.lrReductions).toEqual([2, 3, 4]);
    expect(result.backend).toBe('cpu');
  });

  it('refuses, with exit code 2, a grid of many points without --index', async () => {
    const run = await runPlateau(['train', quick, '--backend', 'cpu']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('the grid has 12 trials; choose one with --index 0..11');
  });

  it('refuses, with exit code 2, a backend that is not installed', async () => {
    const run = await runPlateau(['train', oneTrial, '--backend', 'tensorflow']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('backend "tensorflow" is unavailable: @tensorflow/tfjs-node is not installed');
  });

  it('reports a spec file that does not exist and exits 2', async () => {
    const run = await runPlateau(['train', fileURLToPath(new URL('../fixtures/specs/missing.yaml', import.meta.url))]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no such file');
  });
});
