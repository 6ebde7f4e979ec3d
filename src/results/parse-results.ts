// Reads results.json back (e.g. `plateau report results.json`): validated with zod, and the
// nulls that JSON wrote for NaN/Infinity in histories turned back into NaN.
import { z } from 'zod';
import { CONFIG_AXES } from '../rank/config-key.js';
import { CONFIG_FLAGS } from '../rank/schedule-flags.js';
import { sweepSpecSchema } from '../spec/sweep-spec-schema.js';
import { RESULTS_SCHEMA_VERSION, RESULTS_TRIAL_STATUSES, type ResultsDocument } from './results-document.js';

export interface ResultsDocumentIssue {
  /** Dotted path into the document, e.g. `trials.3.history.7.loss`. */
  readonly path: string;
  readonly message: string;
}

export class ResultsDocumentError extends Error {
  override readonly name = 'ResultsDocumentError';
  constructor(
    /** Where the document came from (a file path), when known. */
    readonly source: string | undefined,
    readonly issues: readonly ResultsDocumentIssue[],
  ) {
    const shown = issues.slice(0, 5).map((issue) => `${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`);
    const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
    super(`${source ?? 'results document'} is not a valid plateau-sweep results document: ${shown.join('; ')}${more}`);
  }
}

/** A number JSON may have written as null (it was NaN or ±Infinity): null reads back as NaN. */
const nanable = z
  .number()
  .nullable()
  .transform((value) => value ?? Number.NaN);

const finite = z.number();
const count = z.number().int().nonnegative();

const configSchema = z.object({
  learningRate: finite,
  factor: finite,
  patience: finite,
  minDelta: finite,
  cooldown: finite,
  minLr: finite,
  batchSize: finite,
});

const statusSchema = z.enum(RESULTS_TRIAL_STATUSES);

const summarySchema = z.object({ mean: finite, std: finite, n: count });

const trialSchema = z.object({
  id: z.string(),
  config: configSchema,
  repeat: count,
  seed: finite,
  status: statusSchema,
  attempts: count,
  agent: z.string().nullable(),
  backend: z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).nullable(),
  history: z.array(z.object({ epoch: count, loss: nanable, val_loss: nanable, lr: nanable }).catchall(nanable)),
  lrReductions: z.array(count),
  objective: finite.nullable(),
  wallSeconds: finite.nullable(),
  divergedAtEpoch: count.optional(),
  error: z.object({ kind: z.string(), message: z.string() }).optional(),
  cancelReason: z.string().optional(),
  stop: z.object({ epoch: count, rule: z.enum(['median', 'asha']), value: finite, threshold: finite }).optional(),
});

const flagSchema = z.enum(CONFIG_FLAGS);

const resultsDocumentSchema = z.object({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  sweep: z.object({
    id: z.string(),
    name: z.string(),
    spec: sweepSpecSchema,
    specSource: z.string(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    state: z.enum(['running', 'finished', 'cancelled']),
    error: z
      .object({ kind: z.string(), message: z.string(), trialId: z.string(), scope: z.enum(['sweep', 'config']), at: z.string() })
      .optional(),
  }),
  environment: z.object({
    backends: z.array(z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'])),
    hosts: z.array(z.string()),
    versions: z.record(z.string(), z.string()),
  }),
  trials: z.array(trialSchema),
  ranking: z.array(
    z.object({
      rank: count,
      key: z.string(),
      config: configSchema,
      objective: summarySchema.nullable(),
      trialIds: z.array(z.string()),
      statuses: z.array(statusSchema),
      flags: z.array(flagSchema),
    }),
  ),
  axisEffects: z.array(
    z.object({
      axis: z.enum(CONFIG_AXES),
      values: z.array(
        z.object({ value: finite, mean: finite.nullable(), n: count, trials: count, diverged: count, failed: count }),
      ),
      spread: finite.nullable(),
      bestValue: finite.nullable(),
    }),
  ),
  best: z
    .object({
      config: configSchema,
      objective: summarySchema,
      snippets: z.object({ keras: z.string(), tfjs: z.string() }),
    })
    .nullable(),
});

// Compile-time proof that what the schema accepts is a ResultsDocument.
const schemaMatchesType: (parsed: z.output<typeof resultsDocumentSchema>) => ResultsDocument = (parsed) => parsed;
void schemaMatchesType;

/** Validates a decoded results.json; throws ResultsDocumentError listing what is wrong. */
export function parseResultsDocument(value: unknown, source?: string): ResultsDocument {
  const parsed = resultsDocumentSchema.safeParse(value);
  if (!parsed.success) {
    throw new ResultsDocumentError(
      source,
      parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    );
  }
  return parsed.data;
}

/** Parses results.json's text; malformed JSON is a ResultsDocumentError too. */
export function parseResultsJson(text: string, source?: string): ResultsDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ResultsDocumentError(source, [{ path: '', message: `malformed JSON: ${error instanceof Error ? error.message : String(error)}` }]);
  }
  return parseResultsDocument(value, source);
}
