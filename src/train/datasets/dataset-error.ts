// A dataset that cannot be loaded: names the file and line (and the column) where it went wrong.
// The message never quotes text read from the file (a header or a value): a spec may point at
// any file the agent can read, and an error travels to whoever submitted the sweep.

export interface DatasetErrorLocation {
  /** The file as the user named it (a display name), not necessarily the local path read. */
  readonly file?: string;
  /** 1-based, as editors show it. */
  readonly line?: number;
  /** 1-based column number. */
  readonly column?: number;
}

export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  constructor(
    readonly reason: string,
    readonly location: DatasetErrorLocation = {},
  ) {
    super(DatasetError.describe(reason, location));
  }

  private static describe(reason: string, location: DatasetErrorLocation): string {
    const where = location.file === undefined ? '' : `${location.file}${location.line === undefined ? '' : `:${location.line}`}: `;
    const column = location.column === undefined ? '' : `column ${location.column}: `;
    return `${where}${column}${reason}`;
  }
}
