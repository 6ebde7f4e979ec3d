// A dataset that cannot be loaded: names the file and line (and the 1-based column index) where
// it went wrong. Never the text found there: a file may hold secrets (/proc/self/environ).

export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  constructor(
    readonly reason: string,
    readonly location: { readonly file?: string; readonly line?: number; readonly column?: number } = {},
  ) {
    super(DatasetError.describe(reason, location));
  }

  private static describe(
    reason: string,
    location: { readonly file?: string; readonly line?: number; readonly column?: number },
  ): string {
    const where = location.file === undefined ? '' : `${location.file}${location.line === undefined ? '' : `:${location.line}`}: `;
    const column = location.column === undefined ? '' : `column ${location.column}: `;
    return `${where}${column}${reason}`;
  }
}
