// `plateau validate <spec.yaml>`: checks a spec and shows what it would run — grid size,
// axes, and the first trials — without running anything. Bad input exits 2.
import type { Command } from 'commander';
import { axisDomain, axisValues, configCount, expandConfigs, expandGrid, gridSize, GRID_AXIS_ORDER, presentAxes } from '../../src/spec/grid.js';
import { sweepId } from '../../src/spec/ids.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { SpecError } from '../../src/spec/spec-error.js';
import { earlyStopSettings } from '../../src/stopping/stop-text.js';
import { isAxisRange, type AxisDomain, type SampledSearch, type SweepSpec } from '../../src/spec/sweep-spec.js';
import type { TrialConfig, TrialSpec } from '../../src/trial/types.js';
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

/** Points a sampled search lists in full; beyond it, the first and last few and a count. */
export const SHOWN_POINTS = 20;
const SHOWN_HEAD_POINTS = 10;
const SHOWN_TAIL_POINTS = 5;

/** A sampled value as people read it: six significant digits (learning rates are float32s with long decimals). */
function pointValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

function domainText(domain: AxisDomain): string {
  if (!isAxisRange(domain)) return `${domain.join(', ')} (each equally likely)`;
  return `${domain.min} … ${domain.max}${domain.scale === 'log' ? ' (log scale)' : ''}`;
}

/** What every trial shares: the fixed settings, the objective, and early stopping when the spec has it. */
function settingLines(spec: SweepSpec, axes: readonly string[]): string[] {
  const fixed = GRID_AXIS_ORDER.filter((axis) => !axes.includes(axis)).map((axis) => `${axis} ${axisValues(spec, axis).join('')}`);
  const lines = [
    `fixed: ${fixed.join(', ')}; monitor ${spec.plateau.monitor} (${spec.plateau.mode}); ${spec.workload.epochs} epochs`,
    `objective: ${spec.objective.goal} ${spec.objective.metric} at the ${spec.objective.use} epoch`,
  ];
  if (spec.earlyStop !== undefined) lines.push(`early stopping: ${earlyStopSettings(spec.earlyStop, spec.workload.epochs)}`);
  return lines;
}

/** The human summary of a random or sobol search: its axes and the sampled points (before repeats). */
function describeSampledPlan(spec: SweepSpec, search: SampledSearch, trials: readonly TrialSpec[]): string {
  const axes = presentAxes(spec);
  const lines = [
    `${spec.name}  (sweep ${sweepId(spec)})`,
    `${search.method} search (seed ${search.seed}): ${plural(search.count, 'point')} × ${plural(spec.repeats, 'repeat')} = ${plural(gridSize(spec), 'trial')}`,
    ...table(axes.map((axis) => [axis, domainText(axisDomain(spec, axis))])),
  ];
  lines.push(...settingLines(spec, axes));
  lines.push(`points (each trained ${plural(spec.repeats, 'time')}; point N of repeat R is \`plateau train SPEC --index R×${search.count}+N\`):`);
  // The points are the configs of repeat 0, in the order drawn.
  const points: readonly TrialConfig[] = trials.length >= search.count ? trials.slice(0, search.count).map((trial) => trial.config) : expandConfigs(spec);
  const row = (config: TrialConfig, index: number): string[] => [String(index), ...axes.map((axis) => pointValue(config[axis]))];
  const header = ['index', ...axes];
  if (points.length <= SHOWN_POINTS) {
    lines.push(...table([header, ...points.map(row)]));
  } else {
    const head = points.slice(0, SHOWN_HEAD_POINTS).map(row);
    const tail = points.slice(-SHOWN_TAIL_POINTS).map((config, i) => row(config, points.length - SHOWN_TAIL_POINTS + i));
    const gap = [`…`, ...axes.map(() => '')];
    lines.push(...table([header, ...head, gap, ...tail]).map((line) => line.trimEnd()));
    lines.push(`  ${plural(points.length, 'point')} in all (${SHOWN_HEAD_POINTS} first and ${SHOWN_TAIL_POINTS} last shown; --json lists every trial)`);
  }
  return `${lines.join('\n')}\n`;
}

/** The human summary: size, axes, fixed settings, and the first trials (for a sampled search, its points). */
export function describeSweepPlan(spec: SweepSpec, trials: readonly TrialSpec[] = expandGrid(spec), shown = SHOWN_TRIALS): string {
  if (spec.search !== undefined) return describeSampledPlan(spec, spec.search, trials);
  const axes = presentAxes(spec);
  const lines = [
    `${spec.name}  (sweep ${sweepId(spec)})`,
    `grid: ${axes.map((axis) => `${axisValues(spec, axis).length} ${axis}`).join(' × ')} = ${plural(configCount(spec), 'config')} × ${plural(spec.repeats, 'repeat')} = ${plural(gridSize(spec), 'trial')}`,
    ...table(axes.map((axis) => [axis, axisValues(spec, axis).join(', ')])),
  ];
  lines.push(...settingLines(spec, axes));
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
    method: spec.search?.method ?? 'grid',
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
