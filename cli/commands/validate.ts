// `plateau validate <spec.yaml>`: checks a spec and shows what it would run — grid size,
// axes, and the first trials — without running anything. Bad input exits 2.
import type { Command } from 'commander';
import { axisValues, configCount, expandGrid, gridSize, GRID_AXIS_ORDER, presentAxes } from '../../src/spec/grid.js';
import { sweepId } from '../../src/spec/ids.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { SpecError } from '../../src/spec/spec-error.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import type { TrialSpec } from '../../src/trial/types.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';

/** Where the command writes: process.stdout/stderr in the CLI, a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
}

export interface ValidateOptions {
  readonly allowLarge: boolean;
  readonly json: boolean;
  /** Let data paths point outside the spec's directory. */
  readonly allowPaths?: boolean;
}

/** Trials listed before "… N more". */
export const SHOWN_TRIALS = 20;

function plural(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows.reduce<number[]>((max, row) => row.map((cell, i) => Math.max(max[i] ?? 0, cell.length)), []);
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}`);
}

/** The human summary: size, axes, fixed settings, and the first trials. */
export function describeSweepPlan(spec: SweepSpec, trials: readonly TrialSpec[] = expandGrid(spec), shown = SHOWN_TRIALS): string {
  const axes = presentAxes(spec);
  const lines = [
    `${spec.name}  (sweep ${sweepId(spec)})`,
    `grid: ${axes.map((axis) => `${axisValues(spec, axis).length} ${axis}`).join(' × ')} = ${plural(configCount(spec), 'config')} × ${plural(spec.repeats, 'repeat')} = ${plural(gridSize(spec), 'trial')}`,
    ...table(axes.map((axis) => [axis, axisValues(spec, axis).join(', ')])),
  ];
  const fixed = GRID_AXIS_ORDER.filter((axis) => !axes.includes(axis)).map((axis) => `${axis} ${axisValues(spec, axis).join('')}`);
  lines.push(`fixed: ${fixed.join(', ')}; monitor ${spec.plateau.monitor} (${spec.plateau.mode}); ${spec.workload.epochs} epochs`);
  lines.push(`objective: ${spec.objective.goal} ${spec.objective.metric} at the ${spec.objective.use} epoch`);
  lines.push('trials (train one with `plateau train SPEC --index N`):');
  const header = ['index', 'id', 'repeat', 'seed', ...axes];
  const rows = trials
    .slice(0, shown)
    .map((trial, index) => [String(index), trial.id, String(trial.repeat), String(trial.seed), ...axes.map((axis) => String(trial.config[axis]))]);
  lines.push(...table([header, ...rows]));
  if (trials.length > shown) lines.push(`  … ${trials.length - shown} more`);
  return `${lines.join('\n')}\n`;
}

/** The machine summary for `--json`. */
export function sweepPlanJson(spec: SweepSpec, trials: readonly TrialSpec[] = expandGrid(spec)): object {
  return {
    valid: true,
    sweepId: sweepId(spec),
    configs: configCount(spec),
    repeats: spec.repeats,
    trialCount: trials.length,
    spec,
    trials: trials.map((trial) => ({ id: trial.id, repeat: trial.repeat, seed: trial.seed, config: trial.config })),
  };
}

export function runValidate(file: string, options: ValidateOptions, stdout: TextSink, stderr: TextSink): ExitCodeValue {
  let spec: SweepSpec;
  try {
    spec = loadSweepSpecFile(file, { allowLarge: options.allowLarge, allowPaths: options.allowPaths === true });
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    if (options.json) stdout.write(`${JSON.stringify({ valid: false, error }, null, 2)}\n`);
    else stderr.write(`${error.format()}\n`);
    return ExitCode.badInput;
  }
  const trials = expandGrid(spec);
  stdout.write(options.json ? `${JSON.stringify(sweepPlanJson(spec, trials), null, 2)}\n` : describeSweepPlan(spec, trials));
  return ExitCode.ok;
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('check a sweep spec and show the trials it would run (exit 2 on a bad spec)')
    .addHelpText('after', '\nExample:\n  $ plateau validate examples/quick.yaml\n\nExit codes: 0 valid, 2 a bad spec (each issue names file:line:column and the YAML path).\n')
    .argument('<spec>', 'sweep spec YAML file')
    .option('--allow-large', 'accept grids over the 10,000-trial limit', false)
    .option('--json', 'print the result (or the errors) as JSON on stdout', false)
    .option('--allow-paths', "let the spec's CSV / model.json paths point outside its directory", false)
    .action((specFile: string, flags: { allowLarge?: boolean; json?: boolean; allowPaths?: boolean }) => {
      const options = { allowLarge: flags.allowLarge === true, json: flags.json === true, allowPaths: flags.allowPaths === true };
      process.exitCode = runValidate(specFile, options, process.stdout, process.stderr);
    });
}
