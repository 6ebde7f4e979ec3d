// `plateau watch SWEEP`: live progress and running trials until the sweep ends. On a terminal
// the view is redrawn in place; into a pipe or log, one line whenever a trial starts or ends.
import type { Command } from 'commander';
import type { SweepProgress } from '../../src/rpc/sweep-progress.js';
import { addCoordinatorOption, type CoordinatorConnectionOptions, CLIENT_EXIT_CODES_HELP, runClientCommand } from '../client-command.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { nextStopSignal } from '../program-logger.js';
import { LiveFrame } from '../render/live-frame.js';
import { renderFailedTrials, renderSweepSummary, renderWatchFrame, renderWatchLine, watchLineKey } from '../render/sweep-status.js';
import { resolveSweepReference } from '../sweep-reference.js';

interface WatchOptions extends CoordinatorConnectionOptions {
  readonly json?: boolean;
}

/** Draws each progress event the way the output wants it. */
interface WatchView {
  show(progress: SweepProgress): void;
}

function viewFor(options: WatchOptions): WatchView {
  if (options.json === true) return { show: (progress) => void process.stdout.write(`${JSON.stringify(progress)}\n`) };
  if (process.stdout.isTTY === true) {
    const frame = new LiveFrame(process.stdout);
    return { show: (progress) => frame.draw(renderWatchFrame(progress, Date.now(), Math.max(40, (process.stdout.columns ?? 100) - 1))) };
  }
  let lastKey: string | undefined;
  return {
    show: (progress) => {
      const key = watchLineKey(progress);
      if (key === lastKey) return;
      lastKey = key;
      process.stdout.write(`${renderWatchLine(progress, Date.now())}\n`);
    },
  };
}

export function registerWatchCommand(program: Command): void {
  const command = program
    .command('watch')
    .description('follow a sweep live: progress, ETA, best so far, and each running trial (epoch, val_loss, LR)')
    .argument('<sweep>', 'sweep id (from `plateau submit` or `plateau status`), or its name where unique')
    .option('--json', 'print every progress event as one JSON line');
  addCoordinatorOption(command)
    .addHelpText(
      'after',
      `\nIt returns when the sweep ends: exit 0 when it succeeded (or was cancelled), 1 when trials failed.\n\nExample:\n  $ plateau watch 3f9c2a7d1b04 --coordinator 127.0.0.1:50051\n${CLIENT_EXIT_CODES_HELP}\n`,
    )
    .action(async (reference: string, options: WatchOptions) => {
      const stopping = new AbortController();
      const interrupted = nextStopSignal(stopping.signal).then((signal) => {
        if (signal !== null) stopping.abort('interrupted');
        return signal;
      });
      try {
        process.exitCode = await runClientCommand(options, async (client, address): Promise<ExitCodeValue> => {
          const sweepId = await resolveSweepReference(client, reference, stopping.signal);
          const view = viewFor(options);
          let latest: SweepProgress | undefined;
          // On a terminal, elapsed time and ETA keep moving between coordinator events.
          const ticker = options.json !== true && process.stdout.isTTY === true ? setInterval(() => latest !== undefined && view.show(latest), 1_000) : undefined;
          try {
            for await (const progress of client.watch(sweepId, stopping.signal)) {
              latest = progress;
              view.show(progress);
            }
          } finally {
            clearInterval(ticker);
          }
          if (stopping.signal.aborted) return ExitCode.interrupted;
          // The stream ends when the sweep does; read the final state once more.
          const summary = await client.get(sweepId);
          if (options.json !== true) {
            if (latest === undefined || latest.summary.state !== summary.state) view.show({ summary, running: [], failures: latest?.failures ?? [] });
            const failures = latest === undefined ? '' : renderFailedTrials({ ...latest, summary });
            process.stdout.write(`\n${renderSweepSummary(summary)}\n${failures === '' ? '' : `\n${failures}\n\n`}Results: plateau results ${sweepId} --coordinator ${address}\n`);
          }
          return summary.state === 'failed' ? ExitCode.sweepFailed : ExitCode.ok;
        });
      } finally {
        stopping.abort('finished');
        await interrupted;
      }
    });
}
