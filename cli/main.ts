import { Command, CommanderError } from 'commander';
import { ExitCode } from './exit-codes.js';
import { registerCommands } from './commands/index.js';
import { asksForVersion, formatVersion, versionReport } from './version-report.js';

/** Runs the CLI and returns its exit code (never calls process.exit itself). */
export async function main(argv: readonly string[]): Promise<number> {
  // Answered before commander parses: it has no notion of `--version --json`.
  const version = asksForVersion(argv.slice(2));
  if (version !== null) {
    process.stdout.write(`${formatVersion(versionReport(), version.json)}\n`);
    return ExitCode.ok;
  }
  const program = new Command('plateau')
    .description('Find the best ReduceLROnPlateau schedule: sweep learning rate × factor × patience.')
    .option('--log-format <format>', 'log lines as "pretty" or "json"', 'pretty')
    .option('--log-level <level>', 'debug | info | warn | error', 'info')
    // Answered in main() above; declared here so that --help lists it.
    .option('-V, --version', 'print the version (with --json: node, tfjs and its backends, the protocol)')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
      return ExitCode.badInput;
    }
    // Not an error a command reports itself: one readable line, the stack only when asked for.
    const debug = program.opts<{ logLevel?: string }>().logLevel === 'debug';
    process.stderr.write(`${describeUnexpected(error, debug)}\n`);
    return ExitCode.sweepFailed;
  }
}

/** `plateau: Name: message`, with the stack under --log-level debug (and a hint where it is not). */
export function describeUnexpected(error: unknown, withStack: boolean): string {
  if (!(error instanceof Error)) return `plateau: ${String(error)}`;
  const line = `plateau: ${error.name}: ${error.message}`;
  if (withStack) return error.stack === undefined ? line : `${line}\n${error.stack}`;
  return `${line} (--log-level debug prints where it came from)`;
}
