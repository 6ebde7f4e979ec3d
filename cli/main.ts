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
    throw error;
  }
}
