// Checks beyond types: settings that are each valid but wrong together (an axis fixed
// twice, a monitor the model never logs), files that are not there, and grids too big.
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import type { FileRef } from '../artifacts/file-ref.js';
import { loggedMetricNames, suggestMetric } from '../plateau/monitor.js';
import type { LossName } from '../trial/types.js';
import { configCount, GRID_AXIS_ORDER } from './grid.js';
import { METRICS } from './rules.js';
import type { SweepSpecInput } from './schema.js';
import type { SpecIssue } from './spec-error.js';
import { issueAt, type SpecPath, type SpecSource } from './spec-source.js';
import { isAxisRange, type SweepSpec } from './sweep-spec.js';

export interface SpecCheckOptions {
  readonly allowLarge: boolean;
  readonly maxTrials: number;
  /** What the size refusal tells the user to do. Default: shrink the grid, or pass --allow-large. */
  readonly overLimitAdvice?: string;
  readonly checkFiles: boolean;
  /** Data files must lie inside this directory (the spec's own); null: anywhere (`--allow-paths`). Checked even without checkFiles. */
  readonly confineTo: string | null;
}

function lineNote(source: SpecSource, path: SpecPath): string {
  const position = source.position(path, 'key');
  return position === null ? '' : ` (line ${position.line})`;
}

/** method, count and searchSeed belong together: a count for sampling, none for a grid. */
function searchInputIssues(input: SweepSpecInput, source: SpecSource): SpecIssue[] {
  const method = input.method ?? 'grid';
  if (method !== 'grid') {
    if (input.count !== undefined) return [];
    return [
      issueAt(source, ['method'], {
        expected: 'count: N with it',
        found: 'no count',
        message: `method ${method} needs count: N — how many points to sample (each run \`repeats\` times)`,
      }),
    ];
  }
  const issues: SpecIssue[] = [];
  for (const key of ['count', 'searchSeed'] as const) {
    if (input[key] === undefined) continue;
    issues.push(
      issueAt(source, [key], {
        target: 'key',
        expected: 'method: random or sobol with it',
        found: `${key} with method ${input.method === undefined ? 'grid (the default)' : 'grid'}`,
        message: `${key} applies to method random or sobol — a grid runs every combination of its axes; add method: random or sobol, or remove ${key}`,
      }),
    );
  }
  return issues;
}

/** On the spec as written: what only the written form can tell (was a value set, or defaulted?). */
export function checkInput(input: SweepSpecInput, source: SpecSource): SpecIssue[] {
  const issues: SpecIssue[] = [...searchInputIssues(input, source)];
  for (const axis of ['minDelta', 'cooldown', 'minLr'] as const) {
    if (input.plateau?.[axis] !== undefined && input.grid[axis] !== undefined) {
      issues.push(
        issueAt(source, ['grid', axis], {
          target: 'key',
          expected: `plateau.${axis} or grid.${axis}, not both`,
          found: 'both',
          message: `set both as a grid axis and as plateau.${axis}${lineNote(source, ['plateau', axis])} — keep one: a fixed value in plateau, or an axis here`,
        }),
      );
    }
  }
  if (input.workload.batchSize !== undefined && input.grid.batchSize !== undefined) {
    issues.push(
      issueAt(source, ['grid', 'batchSize'], {
        target: 'key',
        expected: 'workload.batchSize or grid.batchSize, not both',
        found: 'both',
        message: `set both as a grid axis and as workload.batchSize${lineNote(source, ['workload', 'batchSize'])} — keep one: a fixed value in workload, or an axis here`,
      }),
    );
  }
  if (input.workload.batchSize === undefined && input.grid.batchSize === undefined) {
    issues.push(
      issueAt(source, ['workload', 'batchSize'], {
        expected: 'a positive integer',
        found: 'missing',
        message: 'missing — expected a positive integer (or a grid.batchSize axis)',
      }),
    );
  }
  issues.push(...checkEarlyStop(input, source));
  return issues;
}

/** A knob of the other rule would be ignored in silence; a grace period as long as the trials could never stop one. */
function checkEarlyStop(input: SweepSpecInput, source: SpecSource): SpecIssue[] {
  const earlyStop = input.earlyStop;
  if (earlyStop === undefined) return [];
  const issues: SpecIssue[] = [];
  const foreign = earlyStop.rule === 'median' ? (['reductionFactor'] as const) : (['minTrials'] as const);
  for (const knob of foreign) {
    if (earlyStop[knob] === undefined) continue;
    const owner = knob === 'minTrials' ? 'median' : 'asha';
    issues.push(
      issueAt(source, ['earlyStop', knob], {
        target: 'key',
        expected: `${knob} only with rule: ${owner}`,
        found: `rule: ${earlyStop.rule}`,
        message: `${knob} applies to rule: ${owner} only, and this spec's rule is ${earlyStop.rule} — remove it, or change the rule`,
      }),
    );
  }
  const grace = earlyStop.gracePeriod;
  if (grace !== undefined && grace >= input.workload.epochs) {
    issues.push(
      issueAt(source, ['earlyStop', 'gracePeriod'], {
        expected: `fewer epochs than workload.epochs (${input.workload.epochs})`,
        found: String(grace),
        message: `${grace} epochs, but trials train for ${input.workload.epochs} — no trial could ever be stopped; lower gracePeriod or remove earlyStop`,
      }),
    );
  }
  return issues;
}

/** A hint for a metric that needs a compiled metric: 'val_acc' → add accuracy to workload.metrics. */
function enablingMetric(name: string, loss: LossName, metrics: readonly string[]): string | undefined {
  const bare = name.startsWith('val_') ? name.slice('val_'.length) : name;
  const metric = METRICS.find((candidate) => !metrics.includes(candidate) && loggedMetricNames(loss, [candidate]).includes(bare));
  return metric === undefined ? undefined : `add ${metric} to workload.metrics to log ${bare} and val_${bare}`;
}

function checkLogged(spec: SweepSpec, source: SpecSource, path: SpecPath, name: string): SpecIssue[] {
  const logged = loggedMetricNames(spec.workload.loss, spec.workload.metrics);
  if (logged.includes(name)) return [];
  const found = JSON.stringify(name);
  const enabling = enablingMetric(name, spec.workload.loss, spec.workload.metrics);
  const suggestion = suggestMetric(name, logged);
  let message = `${found} is not a metric this model logs`;
  if (enabling !== undefined) message += ` (it logs ${logged.join(', ')}) — ${enabling}`;
  else if (suggestion !== undefined) message += ` — did you mean "${suggestion}"?`;
  else message += ` (it logs ${logged.join(', ')})`;
  return [issueAt(source, path, { expected: `one of: ${logged.join(', ')}`, found, message })];
}

/** The real path (symlinks followed) of what exists; the path as given otherwise. */
function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

function isInside(dir: string, file: string): boolean {
  const rel = relative(realPath(dir), realPath(file));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * A spec is data: it may name files next to it, not anywhere its reader can read. Checked
 * before the file is stat-ed, so a spec cannot probe for files elsewhere either.
 */
function confinementIssues(source: SpecSource, path: SpecPath, file: string, confineTo: string | null): SpecIssue[] {
  if (confineTo === null || isInside(confineTo, file)) return [];
  const found = source.found(path);
  return [
    issueAt(source, path, {
      expected: `a file inside the spec's directory ${confineTo}`,
      found,
      message: `${found} — outside the spec's directory ${confineTo} — move the file next to the spec, or pass --allow-paths`,
    }),
  ];
}

function checkFile(source: SpecSource, path: SpecPath, file: string): SpecIssue[] {
  const stats = statSync(file, { throwIfNoEntry: false });
  if (stats?.isFile() === true) return [];
  const found = source.found(path);
  const problem = stats === undefined ? 'no such file' : 'not a file';
  return [issueAt(source, path, { expected: 'an existing file', found, message: `${found} — ${problem}: ${file}` })];
}

function checkSplit(spec: SweepSpec, source: SpecSource): SpecIssue[] {
  const dataset = spec.workload.dataset;
  // A file's sample count is known only when it is read (the loader checks the split then).
  if (dataset.kind === 'csv' || dataset.kind === 'npz') return [];
  const validation = dataset.samples * dataset.validationSplit;
  if (validation >= 1 && dataset.samples - validation >= 1) return [];
  const path = ['workload', 'dataset', 'samples'];
  const found = source.found(path);
  return [
    issueAt(source, path, {
      expected: 'enough samples for a training and a validation set',
      found,
      message: `${found} — too few samples to hold out validationSplit ${dataset.validationSplit} and still train`,
    }),
  ];
}

/** Ranges are sampled: a grid (no search) takes lists only. */
function checkRanges(spec: SweepSpec, source: SpecSource): SpecIssue[] {
  if (spec.search !== undefined) return [];
  return GRID_AXIS_ORDER.flatMap((axis) => {
    const domain = spec.grid[axis];
    if (domain === undefined || !isAxisRange(domain)) return [];
    const how = source.form === 'yaml' ? 'add method: random (or sobol) and count: N to sample it' : 'give the spec a search (method random or sobol) to sample it';
    return [
      issueAt(source, ['grid', axis], {
        expected: 'a list of values (method grid)',
        found: 'a range',
        message: `a range, but method is grid, which runs every listed value — list the values (e.g. [${domain.min}, ${domain.max}]), or ${how}`,
      }),
    ];
  });
}

function checkSize(spec: SweepSpec, source: SpecSource, options: SpecCheckOptions): SpecIssue[] {
  // A grid with a range has no size to check (checkRanges reports the range).
  if (spec.search === undefined && GRID_AXIS_ORDER.some((axis) => { const domain = spec.grid[axis]; return domain !== undefined && isAxisRange(domain); })) return [];
  const configs = configCount(spec);
  const trials = configs * spec.repeats;
  if (options.allowLarge || trials <= options.maxTrials) return [];
  const count = (n: number): string => n.toLocaleString('en-US');
  const what = spec.search === undefined ? 'configs' : `${spec.search.method} points`;
  const shrink = spec.search === undefined ? 'shrink the grid' : 'lower count';
  return [
    issueAt(source, spec.search === undefined || source.form !== 'yaml' ? ['grid'] : ['count'], {
      target: 'key',
      expected: `at most ${count(options.maxTrials)} trials`,
      found: `${count(trials)} trials`,
      message: `${count(configs)} ${what} × ${count(spec.repeats)} repeats = ${count(trials)} trials, over the limit of ${count(options.maxTrials)} — ${options.overLimitAdvice ?? `${shrink}, or pass --allow-large`}`,
    }),
  ];
}

/** On the compiled spec: cross-field rules, files, size. */
export function checkSpec(spec: SweepSpec, source: SpecSource, options: SpecCheckOptions): SpecIssue[] {
  const issues = [...checkLogged(spec, source, ['plateau', 'monitor'], spec.plateau.monitor)];
  // An objective that defaulted to the monitor would only repeat the monitor's problem.
  if (spec.objective.metric !== spec.plateau.monitor) issues.push(...checkLogged(spec, source, ['objective', 'metric'], spec.objective.metric));
  issues.push(...checkSplit(spec, source));
  const dataset = spec.workload.dataset;
  const model = spec.workload.model;
  const files: [SpecPath, FileRef][] = [];
  if (dataset.kind === 'csv') files.push([['workload', 'dataset', 'train'], dataset.train], [['workload', 'dataset', 'validation'], dataset.validation]);
  if (dataset.kind === 'npz') {
    files.push([['workload', 'dataset', 'train'], dataset.train]);
    if (dataset.validation !== undefined) files.push([['workload', 'dataset', 'validation'], dataset.validation]);
  }
  if (model.kind === 'modelJson') files.push([['workload', 'model', source.form === 'yaml' ? 'modelJson' : 'file'], model.file]);
  for (const [path, ref] of files) {
    // An artifact is checked by its holder (the coordinator), by hash; only paths are confined.
    if (ref.kind === 'artifact') continue;
    const outside = confinementIssues(source, path, ref.path, options.confineTo);
    issues.push(...outside);
    // A shared file lives on the agents' mount, which the client need not have.
    if (outside.length === 0 && options.checkFiles && ref.kind === 'local') issues.push(...checkFile(source, path, ref.path));
  }
  issues.push(...checkRanges(spec, source));
  issues.push(...checkSize(spec, source, options));
  return issues;
}
