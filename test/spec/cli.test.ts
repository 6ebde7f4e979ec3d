import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runInit } from '../../cli/commands/init.js';
import { runValidate, type TextSink } from '../../cli/commands/validate.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';

const root = resolve(import.meta.dirname, '../..');
const quick = join(root, 'examples/quick.yaml');
const badSpecs = join(import.meta.dirname, 'bad-specs');

class TextBuffer implements TextSink {
  text = '';
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

function validate(file: string, options = { allowLarge: false, json: false }): { code: number; stdout: string; stderr: string } {
  const stdout = new TextBuffer();
  const stderr = new TextBuffer();
  const code = runValidate(file, options, stdout, stderr);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'plateau-cli-'));
}

describe('plateau validate', () => {
  it('prints the grid size as configs × repeats = trials, and the axes', () => {
    const { code, stdout } = validate(quick);
    expect(code).toBe(ExitCode.ok);
    expect(stdout).toContain('grid: 3 learningRate × 2 factor × 2 patience = 12 configs × 1 repeat = 12 trials');
    expect(stdout).toMatch(/learningRate\s+0\.003, 0\.01, 0\.03/);
  });

  it('says how the sweep stops trials early: the ASHA rungs themselves, the guard, how stopped trials rank', () => {
    const directory = scratchDir();
    const file = join(directory, 'asha.yaml');
    writeFileSync(file, `${readFileSync(quick, 'utf8').trimEnd()}\nearlyStop: { rule: asha, gracePeriod: 3, reductionFactor: 2 }\n`);
    const epochs = loadSweepSpecFile(file).workload.epochs;
    const rungs = [3, 6, 12, 24, 48].filter((rung) => rung < epochs);
    const { code, stdout } = validate(file);
    expect(code).toBe(ExitCode.ok);
    expect(stdout).toContain(`early stopping: asha at epochs ${rungs.join(', ')}, keeping the top 1/2 at each, plateau guard on, stopped trials rank below finished ones`);
    expect(validate(quick).stdout).not.toContain('early stopping');
  });

  it('lists the trials it would run by their train --index (from 0), the first 20 and a count of the rest', () => {
    const directory = scratchDir();
    const file = join(directory, 'many.yaml');
    writeFileSync(file, readFileSync(quick, 'utf8').replace('repeats: 1', 'repeats: 3'));
    const { stdout } = validate(file);
    const trialRows = stdout.split('\n').filter((line) => /^\s+\d+\s+[0-9a-f]{16}\s/.test(line));
    expect(trialRows).toHaveLength(20);
    expect(stdout).toMatch(/^\s+index\s+id\s+repeat\s+seed\s/m);
    expect(trialRows[0]).toMatch(/^\s+0\s+[0-9a-f]{16}\s+0\s+42\s+0\.003\s+0\.2\s+2$/);
    expect(stdout).toContain('… 16 more');
  });

  it('prints the issues to stderr and exits 2 on a bad spec', () => {
    const { code, stdout, stderr } = validate(join(badSpecs, 'monitor-validation-loss.yaml'));
    expect(code).toBe(ExitCode.badInput);
    expect(stdout).toBe('');
    expect(stderr).toContain('monitor-validation-loss.yaml:15:21 plateau.monitor: "validation_loss" is not a metric this model logs — did you mean "val_loss"?');
  });

  it('refuses a huge grid unless --allow-large', () => {
    const huge = join(badSpecs, 'huge-grid.yaml');
    expect(validate(huge).code).toBe(ExitCode.badInput);
    const allowed = validate(huge, { allowLarge: true, json: false });
    expect(allowed.code).toBe(ExitCode.ok);
    expect(allowed.stdout).toContain('= 11,000 trials');
  });

  it('--json prints a machine-readable plan', () => {
    const { code, stdout } = validate(quick, { allowLarge: false, json: true });
    expect(code).toBe(ExitCode.ok);
    const plan = JSON.parse(stdout) as { valid: boolean; configs: number; trialCount: number; trials: { id: string }[]; sweepId: string };
    expect(plan).toMatchObject({ valid: true, configs: 12, trialCount: 12 });
    expect(plan.trials).toHaveLength(12);
    expect(plan.sweepId).toMatch(/^[0-9a-f]{12}$/);
  });

  it('--json prints the issues as JSON on a bad spec and exits 2', () => {
    const { code, stdout } = validate(join(badSpecs, 'factor-one.yaml'), { allowLarge: false, json: true });
    expect(code).toBe(ExitCode.badInput);
    expect(JSON.parse(stdout)).toMatchObject({ valid: false, error: { name: 'SpecError', issues: [{ path: 'grid.factor[2]', line: 18, column: 22, found: '1' }] } });
  });
});

describe('plateau init', () => {
  it('writes an example spec that validates', () => {
    const file = join(scratchDir(), 'sweep.yaml');
    const stdout = new TextBuffer();
    expect(runInit(file, stdout, new TextBuffer())).toBe(ExitCode.ok);
    expect(loadSweepSpecFile(file).name).toBe('mlp-plateau');
    expect(stdout.text).toContain(`plateau validate ${file}`);
  });

  it('refuses to overwrite an existing file and leaves it as it was', () => {
    const file = join(scratchDir(), 'sweep.yaml');
    writeFileSync(file, 'mine\n');
    const stderr = new TextBuffer();
    expect(runInit(file, new TextBuffer(), stderr)).toBe(ExitCode.badInput);
    expect(stderr.text).toContain('already exists');
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
  });
});

describe('the plateau binary', () => {
  const run = promisify(execFile);

  it('exits 2 with file:line:column, path and message on a bad spec', async () => {
    const failure = await run(process.execPath, [join(root, 'bin/plateau'), 'validate', 'test/spec/bad-specs/factor-above-one.yaml'], { cwd: root }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({
      code: 2,
      stderr: 'test/spec/bad-specs/factor-above-one.yaml:18:22 grid.factor[2]: 1.5 — a decay factor must be in (0, 1)\n',
    });
  });

  it('exits 0 and prints the plan for examples/quick.yaml', async () => {
    const { stdout } = await run(process.execPath, [join(root, 'bin/plateau'), 'validate', 'examples/quick.yaml'], { cwd: root });
    expect(stdout).toContain('= 12 trials');
  });
});
