// Runs a zod schema over spec data and turns its issues into SpecIssues: the path into
// the YAML line, the value as written, and a "did you mean" for unknown keys and names.
import { z } from 'zod';
import { SpecError, type SpecIssue } from './spec-error.js';
import { issueAt, type SpecPath, type SpecSource } from './spec-source.js';
import { closestName } from './suggest.js';

type RawIssue = z.core.$ZodRawIssue;
type FinalIssue = z.core.$ZodIssue;

const ARTICLE: Readonly<Record<string, string>> = {
  number: 'a number',
  string: 'a string',
  object: 'a mapping',
  array: 'a list',
  boolean: 'true or false',
  int: 'an integer',
};

function toSpecPath(path: readonly PropertyKey[] | undefined): SpecPath {
  return (path ?? []).map((segment) => (typeof segment === 'number' ? segment : String(segment)));
}

function pathKey(path: SpecPath): string {
  return JSON.stringify(path);
}

/** A discriminated union's allowed tags ride on its issue, outside zod's typed fields. */
function discriminatorOptions(issue: object): readonly string[] | undefined {
  const options: unknown = 'options' in issue ? issue.options : undefined;
  return Array.isArray(options) ? options.map(String) : undefined;
}

/** A discriminated union reports the whole object as input; the tag is what was misspelt. */
function discriminatorValue(issue: object): unknown {
  const discriminator: unknown = 'discriminator' in issue ? issue.discriminator : undefined;
  const input: unknown = 'input' in issue ? issue.input : undefined;
  if (typeof discriminator !== 'string' || typeof input !== 'object' || input === null) return undefined;
  return (input as Record<string, unknown>)[discriminator];
}

/** Messages for zod's own issue codes; schemas with their own wording (rules.ts) take precedence. */
function messageFor(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${ARTICLE[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `expected one of: ${issue.values.map(String).join(', ')}`;
    case 'invalid_union': {
      const options = discriminatorOptions(issue);
      return options === undefined ? 'does not match any allowed form' : `expected one of: ${options.join(', ')}`;
    }
    default:
      return undefined;
  }
}

function didYouMean(found: unknown, candidates: readonly string[]): string {
  if (typeof found !== 'string') return '';
  const suggestion = closestName(found, candidates);
  return suggestion === undefined ? '' : ` — did you mean "${suggestion}"?`;
}

interface Mapped {
  readonly issue: SpecIssue;
  /** For an unknown key: the parent path and the key it was probably meant to be. */
  readonly meant?: { readonly parent: string; readonly key: string };
  /** For a required key that is absent: its parent path and name. */
  readonly missing?: { readonly parent: string; readonly key: string };
}

/** Unknown keys reported one by one per mapping; the rest are counted (each costs a source lookup). */
const MAX_UNKNOWN_KEYS_LISTED = 20;
/** Problems reported per spec: a machine-made spec with thousands of errors needs the first ones, quickly. */
const MAX_ISSUES_MAPPED = 200;

function mapIssue(issue: FinalIssue, knownKeys: ReadonlyMap<string, readonly string[]>, source: SpecSource): Mapped[] {
  const path = toSpecPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys.get(pathKey(path)) ?? [];
    const unlisted = issue.keys.length - MAX_UNKNOWN_KEYS_LISTED;
    const more: Mapped[] =
      unlisted <= 0
        ? []
        : [
            {
              issue: issueAt(source, path, {
                target: 'key',
                expected: `only the keys: ${known.join(', ')}`,
                found: `${issue.keys.length} unknown keys`,
                message: `… and ${unlisted} more unknown keys`,
              }),
            },
          ];
    const listed = issue.keys.slice(0, MAX_UNKNOWN_KEYS_LISTED).map((key) => {
      const suggestion = closestName(key, known);
      const hint = suggestion === undefined ? ` — expected one of: ${known.join(', ')}` : ` — did you mean "${suggestion}"?`;
      const mapped: Mapped = {
        issue: issueAt(source, [...path, key], {
          target: 'key',
          expected: `one of: ${known.join(', ')}`,
          found: JSON.stringify(key),
          message: `unknown key "${key}"${hint}`,
        }),
      };
      return suggestion === undefined ? mapped : { ...mapped, meant: { parent: pathKey(path), key: suggestion } };
    });
    return [...listed, ...more];
  }
  const found = source.found(path);
  if (issue.code === 'invalid_value' || issue.code === 'invalid_union') {
    const options = issue.code === 'invalid_value' ? issue.values.map(String) : (discriminatorOptions(issue) ?? []);
    return [
      {
        issue: issueAt(source, path, {
          expected: options.length > 0 ? `one of: ${options.join(', ')}` : 'one of the allowed forms',
          found,
          message: `${found} — ${issue.message}${didYouMean(discriminatorValue(issue) ?? issue.input, options)}`,
        }),
      },
    ];
  }
  let expected = 'a valid value';
  if (issue.code === 'invalid_type') expected = ARTICLE[issue.expected] ?? issue.expected;
  if (issue.code === 'custom' && typeof issue.params?.['expected'] === 'string') expected = issue.params['expected'];
  const mapped: Mapped = { issue: issueAt(source, path, { expected, found, message: `${found} — ${issue.message}` }) };
  const key = path.at(-1);
  if (issue.code === 'invalid_type' && issue.input === undefined && typeof key === 'string') {
    return [{ ...mapped, missing: { parent: pathKey(path.slice(0, -1)), key } }];
  }
  return [mapped];
}

/** Source order: by line, then column; issues without a position last. */
export function sortIssues(issues: readonly SpecIssue[]): SpecIssue[] {
  const rank = (n: number | null): number => n ?? Number.MAX_SAFE_INTEGER;
  return [...issues].sort((a, b) => rank(a.line) - rank(b.line) || rank(a.column) - rank(b.column));
}

/** Parses `data` with `schema`; on failure throws a SpecError listing every issue. */
export function parseWithSchema<Schema extends z.ZodType>(schema: Schema, data: unknown, source: SpecSource): z.output<Schema> {
  // zod reports an unknown key without the keys it allows; the error map sees the object
  // schema that raised it, so collect those keys per path for the "did you mean".
  const knownKeys = new Map<string, readonly string[]>();
  const result = schema.safeParse(data, {
    reportInput: true,
    error: (issue) => {
      if (issue.code === 'unrecognized_keys' && issue.inst instanceof z.ZodObject) {
        knownKeys.set(pathKey(toSpecPath(issue.path)), Object.keys(issue.inst.shape));
      }
      return messageFor(issue);
    },
  });
  if (result.success) return result.data;
  const mapped = result.error.issues.slice(0, MAX_ISSUES_MAPPED).flatMap((issue) => mapIssue(issue, knownKeys, source));
  // `learning_rate:` both is unknown and leaves learningRate missing: the "did you mean" says it all.
  const meant = new Set(mapped.flatMap((m) => (m.meant === undefined ? [] : [pathKey([m.meant.parent, m.meant.key])])));
  const issues = mapped.filter((m) => m.missing === undefined || !meant.has(pathKey([m.missing.parent, m.missing.key]))).map((m) => m.issue);
  throw new SpecError(source.file, sortIssues(issues));
}
