// Value rules shared by the YAML schema (schema.ts) and the compiled-spec schema
// (sweep-spec-schema.ts): one wording per rule, so both routes report alike.
import { z } from 'zod';
import type { Activation, LossName, OptimizerName } from '../trial/types.js';
import { closestName } from './suggest.js';

export const LOSSES = [
  'meanSquaredError',
  'meanAbsoluteError',
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'huberLoss',
] as const satisfies readonly LossName[];

export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'adamax'] as const satisfies readonly OptimizerName[];

export const ACTIVATIONS = [
  'linear',
  'relu',
  'tanh',
  'sigmoid',
  'elu',
  'selu',
  'softplus',
  'softmax',
  'swish',
  'gelu',
] as const satisfies readonly Activation[];

/** Metric names tfjs-layers compiles; see loggedMetricNames for what each logs. */
export const METRICS = [
  'accuracy',
  'acc',
  'binaryAccuracy',
  'categoricalAccuracy',
  'sparseCategoricalAccuracy',
  'mse',
  'mae',
  'mape',
  'meanSquaredError',
  'meanAbsoluteError',
  'meanAbsolutePercentageError',
  'precision',
  'recall',
] as const;

// Compile-time proof that the lists cover the domain unions (a new LossName must be added here).
type Missing<Union, List extends readonly unknown[]> = Exclude<Union, List[number]>;
const coverage: [Missing<LossName, typeof LOSSES>, Missing<OptimizerName, typeof OPTIMIZERS>, Missing<Activation, typeof ACTIVATIONS>] extends [never, never, never]
  ? true
  : false = true;
void coverage;

/** Refinement params: the message for people and, for machines, what was expected. */
export function rule(expected: string, message: string): { message: string; params: { expected: string } } {
  return { message, params: { expected } };
}

/** A number schema whose type error says what kind of number is wanted. */
function numberOf(expected: string): z.ZodNumber {
  return z.number({
    error: (issue) => {
      if (issue.code !== 'invalid_type') return undefined;
      // zod refuses NaN and ±Infinity (YAML .nan, .inf) as not-a-number; say why.
      return typeof issue.input === 'number' ? `expected a finite number (${expected})` : `expected ${expected}`;
    },
  });
}

export function positiveInteger(what: string): z.ZodNumber {
  return numberOf('a positive integer').refine(
    (n) => Number.isInteger(n) && n > 0,
    rule('a positive integer', `${what} must be a positive integer`),
  );
}

/** Patience and cooldown count epochs: whole numbers, zero allowed. */
export function epochCount(what: string): z.ZodNumber {
  return numberOf('a whole number ≥ 0').refine(
    (n) => Number.isInteger(n) && n >= 0,
    rule('a whole number ≥ 0', `${what} must be a whole number of epochs ≥ 0`),
  );
}

export function nonNegative(what: string): z.ZodNumber {
  return numberOf('a number ≥ 0').refine((n) => n >= 0, rule('a number ≥ 0', `${what} must be ≥ 0`));
}

export const learningRate = numberOf('a learning rate > 0').refine(
  (n) => n > 0,
  rule('a number > 0', 'a learning rate must be > 0'),
);

export const decayFactor = numberOf('a decay factor in (0, 1)').refine(
  (n) => n > 0 && n < 1,
  rule('a number in (0, 1)', 'a decay factor must be in (0, 1)'),
);

export const validationSplit = numberOf('a fraction in (0, 1)').refine(
  (n) => n > 0 && n < 1,
  rule('a number in (0, 1)', 'validationSplit must be in (0, 1)'),
);

export const dropoutRate = numberOf('a dropout rate in [0, 1)').refine(
  (n) => n >= 0 && n < 1,
  rule('a number in [0, 1)', 'a dropout rate must be in [0, 1)'),
);

/** Classes of a synthetic-classification dataset. */
export const MAX_CLASSES = 1_000;

export const classCount = numberOf('a class count (a whole number from 2 to 1000)').refine(
  (n) => Number.isInteger(n) && n >= 2 && n <= MAX_CLASSES,
  rule(`a whole number from 2 to ${MAX_CLASSES}`, `classes must be a whole number from 2 to ${MAX_CLASSES}`),
);

/** A kernel regularizer's l1 or l2 factor. */
export function penaltyFactor(what: string): z.ZodNumber {
  return nonNegative(what);
}

const MAX_SEED = 0xffff_ffff;

export const seed = numberOf('a seed (an integer in [0, 4294967295])').refine(
  (n) => Number.isInteger(n) && n >= 0 && n <= MAX_SEED,
  rule('an integer in [0, 4294967295]', 'a seed must be an integer in [0, 4294967295]'),
);

/** Longest sweep name: it is listed, logged and shown in every status table. */
export const MAX_SWEEP_NAME_LENGTH = 200;
/** Longest other spec string (paths, column and metric names). */
export const MAX_SPEC_STRING_LENGTH = 4_096;

const controlCharacters = /[\u0000-\u001f\u007f]/;

/** A non-empty string of at most `maxLength` characters, none of them control characters. */
export function nonEmptyString(what: string, maxLength: number = MAX_SPEC_STRING_LENGTH): z.ZodString {
  return z
    .string({ error: (issue) => (issue.code === 'invalid_type' ? `expected ${what} (a string)` : undefined) })
    .refine((s) => s.trim() !== '', rule(`${what} (a non-empty string)`, `${what} must not be empty`))
    .refine((s) => s.length <= maxLength, rule(`${what} of at most ${maxLength.toLocaleString('en-US')} characters`, `${what} must be at most ${maxLength.toLocaleString('en-US')} characters`))
    .refine((s) => !controlCharacters.test(s), rule(`${what} without control characters`, `${what} must not hold control characters (tabs, newlines, NUL…)`));
}

/** The sweep's name. */
export function sweepName(): z.ZodString {
  return nonEmptyString('a sweep name', MAX_SWEEP_NAME_LENGTH);
}

/** The longest array key accepted in an .npz spec (numpy keys are Python identifiers in practice). */
export const MAX_ARRAY_KEY_LENGTH = 255;

/** The key of an array in an .npz archive: `x` in np.savez(file, x=…). */
export const arrayKey = nonEmptyString('an array name')
  .max(MAX_ARRAY_KEY_LENGTH, rule(`an array name of at most ${MAX_ARRAY_KEY_LENGTH} characters`, `an array name must be at most ${MAX_ARRAY_KEY_LENGTH} characters`))
  .refine((key) => !/[/\\\0]/.test(key), rule('an array name without / or \\', 'an array name has no / or \\ (it names an entry of the archive)'));

export const plateauMode = z.enum(['auto', 'min', 'max']);
export const objectiveGoal = z.enum(['minimize', 'maximize']);
export const objectiveUse = z.enum(['final', 'best']);
export const stopRule = z.enum(['median', 'asha']);
export const rankStopped = z.enum(['below', 'together']);

/** ASHA's η: a whole number ≥ 2, so every rung (gracePeriod·η^k) is a whole epoch. */
export const reductionFactor = numberOf('a whole number ≥ 2').refine(
  (n) => Number.isInteger(n) && n >= 2,
  rule('a whole number ≥ 2', 'reductionFactor must be a whole number ≥ 2'),
);
export const loss = z.enum(LOSSES);
export const optimizer = z.enum(OPTIMIZERS);
export const activation = z.enum(ACTIVATIONS);
export const padding = z.enum(['valid', 'same']);
export const metric = z.enum(METRICS);

/** A grid axis: a non-empty list of distinct values, each valid on its own. */
export function gridAxis(axis: string, element: z.ZodNumber): z.ZodArray<z.ZodNumber> {
  return z
    .array(element, { error: (issue) => (issue.code === 'invalid_type' ? `expected a list of values, e.g. ${axis}: [${AXIS_EXAMPLE[axis] ?? '1, 2'}]` : undefined) })
    .superRefine((values, context) => {
      if (values.length === 0) {
        context.addIssue({ code: 'custom', input: values, ...rule('at least one value', `grid.${axis} needs at least one value`) });
      }
      const firstIndex = new Map<number, number>();
      values.forEach((value, index) => {
        const first = firstIndex.get(value);
        if (first === undefined) firstIndex.set(value, index);
        else context.addIssue({ code: 'custom', input: value, path: [index], ...rule('distinct values', `duplicate value, already listed as ${axis}[${first}]`) });
      });
    });
}

const AXIS_EXAMPLE: Readonly<Record<string, string>> = {
  learningRate: '0.001, 0.01',
  factor: '0.1, 0.5',
  patience: '2, 5',
  minDelta: '0, 0.0001',
  cooldown: '0, 2',
  minLr: '0, 0.00001',
  batchSize: '32, 64',
};

export const axisScale = z.enum(['linear', 'log']);
export const searchMethod = z.enum(['grid', 'random', 'sobol']);

/** Most points a random or sobol search samples (before repeats); --max-trials bounds the total. */
export const MAX_SEARCH_COUNT = 1_000_000;

/** `count:` of a random or sobol search. */
export const searchCount = positiveInteger('count').refine(
  (n) => n <= MAX_SEARCH_COUNT,
  rule(`at most ${MAX_SEARCH_COUNT.toLocaleString('en-US')}`, `count must be at most ${MAX_SEARCH_COUNT.toLocaleString('en-US')}`),
);

interface RangeBounds {
  readonly min: number;
  readonly max: number;
  readonly scale?: 'linear' | 'log' | undefined;
}

/** A range's own rules: min ≤ max, and a log scale only over positive numbers. */
function rangeRules(axis: string): (range: RangeBounds, context: z.RefinementCtx) => void {
  return (range, context) => {
    if (range.min > range.max) {
      context.addIssue({ code: 'custom', input: range.max, path: ['max'], ...rule(`a number ≥ min (${range.min})`, `grid.${axis}.max must be ≥ min (${range.min})`) });
    }
    if (range.scale === 'log' && range.min <= 0) {
      context.addIssue({ code: 'custom', input: range.min, path: ['min'], ...rule('a number > 0 with scale: log', `grid.${axis}.min must be > 0 with scale: log (the log of ${range.min} is undefined)`) });
    }
  };
}

/** A range to sample as written, `{ min, max[, scale] }`: each bound valid as a value of the axis; scale linear unless written. */
export function axisRange(axis: string, element: z.ZodNumber) {
  return z.strictObject({ min: element, max: element, scale: axisScale.optional() }).superRefine(rangeRules(axis));
}

/** A compiled range: the scale always present. */
export function compiledAxisRange(axis: string, element: z.ZodNumber) {
  return z.strictObject({ min: element, max: element, scale: axisScale }).superRefine(rangeRules(axis));
}

/**
 * A list or a range, told apart by shape (a YAML sequence or a mapping) so that each reports its
 * own problems — a bad element at its index, an unknown key of a range — not "matches no form".
 */
function listOrRange<Range extends z.ZodType<RangeBounds>>(axis: string, element: z.ZodNumber, range: Range) {
  const list = gridAxis(axis, element);
  return z.unknown().transform((value, context): readonly number[] | z.output<Range> => {
    const isRange = typeof value === 'object' && value !== null && !Array.isArray(value);
    const result = isRange ? range.safeParse(value, { reportInput: true }) : list.safeParse(value, { reportInput: true });
    if (result.success) return result.data;
    // An unknown key of a range says which key was meant; the meant key is then not reported missing too.
    const meant = new Set<string>();
    for (const issue of result.error.issues) {
      if (issue.code !== 'unrecognized_keys') continue;
      for (const key of issue.keys) {
        const suggestion = closestName(key, RANGE_KEYS);
        if (suggestion !== undefined) meant.add(suggestion);
        const hint = suggestion === undefined ? `expected one of: ${RANGE_KEYS.join(', ')}` : `did you mean "${suggestion}"?`;
        context.addIssue({ code: 'custom', input: key, path: [key], ...rule(`one of: ${RANGE_KEYS.join(', ')}`, `unknown key "${key}" in a range — ${hint}`) });
      }
    }
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') continue;
      const key = issue.path[0];
      if (issue.code === 'invalid_type' && issue.input === undefined && typeof key === 'string' && meant.has(key)) continue;
      context.addIssue({ ...issue });
    }
    return z.NEVER;
  });
}

/** The keys of a range, for "did you mean". */
const RANGE_KEYS = ['min', 'max', 'scale'] as const;

/** An axis as written: a list of values or, for a sampled search, a range (which of them the method allows is checked in checks.ts). */
export function axisDomain(axis: string, element: z.ZodNumber) {
  return listOrRange(axis, element, axisRange(axis, element));
}

/** An axis of the compiled spec. */
export function compiledAxisDomain(axis: string, element: z.ZodNumber) {
  return listOrRange(axis, element, compiledAxisRange(axis, element));
}
