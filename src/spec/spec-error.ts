// A spec that cannot run: every problem found, each naming file, YAML path, line, what
// was expected and what was found. `format()` is for people, `toJSON()` for machines.

export interface SpecIssue {
  /** The spec file as the user named it ('<submitted>' for a spec that arrived as JSON). */
  readonly file: string;
  /** YAML path, e.g. 'grid.factor[2]'; '' for the document as a whole. */
  readonly path: string;
  /** 1-based; null when the spec has no source text (JSON). */
  readonly line: number | null;
  readonly column: number | null;
  readonly expected: string;
  readonly found: string;
  /** The whole explanation after the path, e.g. '1.5 — a decay factor must be in (0, 1)'. */
  readonly message: string;
}

/** One line: `sweep.yaml:14:12 grid.factor[2]: 1.5 — a decay factor must be in (0, 1)`. */
export function formatSpecIssue(issue: SpecIssue): string {
  const where = issue.line === null ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

export interface SpecErrorJson {
  readonly name: 'SpecError';
  readonly file: string;
  readonly issues: readonly SpecIssue[];
}

export class SpecError extends Error {
  override readonly name = 'SpecError';
  readonly issues: readonly SpecIssue[];

  constructor(
    readonly file: string,
    issues: readonly SpecIssue[],
  ) {
    super(issues.map(formatSpecIssue).join('\n'));
    this.issues = issues;
  }

  /** One line per issue, in source order. */
  format(): string {
    return this.issues.map(formatSpecIssue).join('\n');
  }

  toJSON(): SpecErrorJson {
    return { name: 'SpecError', file: this.file, issues: this.issues };
  }
}
