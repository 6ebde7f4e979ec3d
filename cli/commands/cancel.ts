// `plateau cancel SWEEP`: stop a sweep on a running coordinator; finished trials are kept.
import type { Command } from 'commander';
import { finishedCount } from '../../src/rpc/sweep-progress.js';
import { addCoordinatorOption, type CoordinatorConnectionOptions, CLIENT_EXIT_CODES_HELP, runClientCommand } from '../client-command.js';
import { ExitCode } from '../exit-codes.js';
import { resolveSweepReference } from '../sweep-reference.js';

interface CancelOptions extends CoordinatorConnectionOptions {
  readonly json?: boolean;
}

export function registerCancelCommand(program: Command): void {
  const command = program
    .command('cancel')
    .description('cancel a sweep: queued trials are dropped, running ones are stopped, finished ones kept')
    .argument('<sweep>', 'sweep id (from `plateau submit` or `plateau status`), or its name where unique')
    .option('--json', "print the sweep's summary as JSON");
  addCoordinatorOption(command)
    .addHelpText('after', `\nExample:\n  $ plateau cancel 3f9c2a7d1b04 --coordinator 127.0.0.1:50051\n${CLIENT_EXIT_CODES_HELP}\n`)
    .action(async (reference: string, options: CancelOptions) => {
      process.exitCode = await runClientCommand(options, async (client) => {
        const summary = await client.cancel(await resolveSweepReference(client, reference));
        if (options.json === true) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else {
          const kept = finishedCount(summary.counts) - summary.counts.cancelled;
          process.stdout.write(`Cancelled sweep "${summary.name}" (${summary.sweepId}): ${kept} of ${summary.totalTrials} trials had finished and are kept; running trials stop at their next heartbeat.\n`);
        }
        return ExitCode.ok;
      });
    });
}
