// Commands the CLI prints for a person to paste ("Resume with: …"): they must work from any
// folder, and `plateau` is not on PATH after `npm ci` in a clone, so the program is named by
// the path it was started from unless PATH finds that same file.
import { realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** Quotes `text` for a POSIX shell when it needs quoting. */
export function shellQuote(text: string): string {
  return /^[\w./:=@%+,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function realpathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** `plateau` when PATH finds the running program under that name, else the program's absolute path. */
export function plateauInvocation(scriptPath: string | undefined = process.argv[1], path: string = process.env['PATH'] ?? ''): string {
  if (scriptPath === undefined) return 'plateau';
  const running = realpathOrNull(resolve(scriptPath));
  if (running === null) return 'plateau';
  for (const dir of path.split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    if (realpathOrNull(join(dir, 'plateau')) === running) return 'plateau';
  }
  return shellQuote(running);
}

/** One pasteable command line: the program, then each argument quoted, paths made absolute by the caller. */
export function pasteableCommand(args: readonly string[]): string {
  return [plateauInvocation(), ...args.map(shellQuote)].join(' ');
}
