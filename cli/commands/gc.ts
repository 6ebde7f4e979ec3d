// `plateau gc --data-dir DIR`: removes blobs no sweep of the store references, and partial
// uploads, once older than --min-age (a client uploads before it submits, so a fresh blob
// not yet referenced is on its way to a sweep). Safe beside a running coordinator: the store
// is only read.
import type { Command } from 'commander';
import { ArtifactStore } from '../../coordinator/artifact-store.js';
import { SweepStore } from '../../coordinator/sweep-store.js';
import { formatBytes } from '../../src/artifacts/format-bytes.js';
import { ExitCode } from '../exit-codes.js';
import { parseDuration } from '../option-values.js';

interface GcOptions {
  readonly dataDir: string;
  readonly minAge: string;
  readonly json?: boolean;
}

export function registerGcCommand(program: Command): void {
  program
    .command('gc')
    .description('remove uploaded files (blobs) that no sweep in the store references, and stale partial uploads')
    .requiredOption('--data-dir <dir>', "the coordinator's data directory")
    .option('--min-age <duration>', 'keep blobs and partial uploads younger than this', '1h')
    .option('--json', 'print {removedBlobs, removedBytes, removedPartials} as JSON')
    .addHelpText('after', '\nExample:\n  $ plateau gc --data-dir /var/lib/plateau --min-age 1h\n')
    .action(async (options: GcOptions) => {
      let minAgeMs: number;
      try {
        minAgeMs = parseDuration(options.minAge, '--min-age', { allowZero: true });
      } catch (error) {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = ExitCode.badInput;
        return;
      }
      let referenced: Set<string>;
      try {
        referenced = SweepStore.readReferencedArtifacts(options.dataDir);
      } catch (error) {
        process.stderr.write(`--data-dir: cannot read the store in ${options.dataDir} (${error instanceof Error ? error.message : String(error)})\n`);
        process.exitCode = ExitCode.badInput;
        return;
      }
      const report = await new ArtifactStore(options.dataDir).gc(referenced, minAgeMs, Date.now());
      if (options.json === true) process.stdout.write(`${JSON.stringify(report)}\n`);
      else process.stdout.write(`Removed ${report.removedBlobs} blob${report.removedBlobs === 1 ? '' : 's'} (${formatBytes(report.removedBytes)}) and ${report.removedPartials} partial upload${report.removedPartials === 1 ? '' : 's'}; ${referenced.size} referenced kept\n`);
      process.exitCode = ExitCode.ok;
    });
}
