// `plateau status [SWEEP]`: every sweep on a coordinator, or one sweep with its running trials.
import type { Command } from 'commander';
import type { SweepClient } from '../../src/rpc/sweep-client.js';
import type { SweepProgress } from '../../src/rpc/sweep-progress.js';
import { addCoordinatorOption, type CoordinatorConnectionOptions, CLIENT_EXIT_CODES_HELP, runClientCommand } from '../client-command.js';
import { ExitCode } from '../exit-codes.js';
import { renderFailedTrials, renderRunningTrials, renderSweepList, renderSweepSummary } from '../render/sweep-status.js';
import { resolveSweepReference } from '../sweep-reference.js';

interface StatusOptions extends CoordinatorConnectionOptions {
  readonly json?: boolean;
}

/** Progress now: the first event of a watch (it carries the running trials; a get does not). */
export async function currentProgress(client: SweepClient, sweepId: string): Promise<SweepProgress> {
  const stop = new AbortController();
  try {
    for await (const progress of client.watch(sweepId, stop.signal)) return progress;
  } finally {
    stop.abort();
  }
  // A watch ends without an event only when aborted; fall back to the summary.
  return { summary: await client.get(sweepId), running: [], failures: [] };
}

export function registerStatusCommand(program: Command): void {
  const command = program
    .command('status')
    .description('list the sweeps on a coordinator, or show one sweep and its running trials')
    .argument('[sweep]', 'sweep id, or its name where unique; without it, every sweep')
    .option('--json', 'print the summaries (and running trials) as JSON');
  addCoordinatorOption(command)
    .addHelpText(
      'after',
      `\nExamples:\n  $ plateau status --coordinator 127.0.0.1:50051\n  $ plateau status 3f9c2a7d1b04 --json | jq '.running[] | {trialId, epoch, valLoss}'\n${CLIENT_EXIT_CODES_HELP}\n`,
    )
    .action(async (reference: string | undefined, options: StatusOptions) => {
      const width = process.stdout.isTTY === true ? process.stdout.columns : undefined;
      process.exitCode = await runClientCommand(options, async (client) => {
        if (reference === undefined) {
          const sweeps = await client.list();
          process.stdout.write(options.json === true ? `${JSON.stringify(sweeps)}\n` : `${renderSweepList(sweeps, width)}\n`);
          return ExitCode.ok;
        }
        const progress = await currentProgress(client, await resolveSweepReference(client, reference));
        process.stdout.write(
          options.json === true ? `${JSON.stringify(progress)}\n` : `${[renderSweepSummary(progress.summary), renderRunningTrials(progress.running, width), renderFailedTrials(progress, width)].filter((part) => part !== '').join('\n\n')}\n`,
        );
        return ExitCode.ok;
      });
    });
}
