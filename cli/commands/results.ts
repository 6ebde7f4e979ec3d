// `plateau results SWEEP`: fetch a sweep's results from a running coordinator, write
// results.json, results.csv and report.html, and print the ranking and the best snippets.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseResultsDocument } from '../../src/results/parse-results.js';
import { writeResultsFiles } from '../../src/results/write-results.js';
import { addCoordinatorOption, type CoordinatorConnectionOptions, CLIENT_EXIT_CODES_HELP, displayPath, resultsFolderName, runClientCommand } from '../client-command.js';
import { ExitCode } from '../exit-codes.js';
import { renderRankingTable } from '../render/ranking-table.js';
import { MAX_TABLE_ROWS, OptionValueError, parseInteger } from '../option-values.js';
import { resolveSweepReference } from '../sweep-reference.js';
import { describeSweepError } from '../../src/trial/workload-error.js';

interface ResultsOptions extends CoordinatorConnectionOptions {
  readonly out?: string;
  readonly top: string;
  readonly json?: boolean;
}

export function registerResultsCommand(program: Command): void {
  const command = program
    .command('results')
    .description('fetch a sweep\'s results: write results.json, results.csv and report.html, print the ranking and the best config')
    .argument('<sweep>', 'sweep id (from `plateau submit` or `plateau status`), or its name where unique')
    .option('--out <dir>', 'output folder (default: runs/<sweep name>)')
    .option('--top <n>', 'rows of the ranking table to print', '10')
    .option('--json', 'print {sweepId, state, files, ranking, best} as JSON instead of the table');
  addCoordinatorOption(command)
    .addHelpText(
      'after',
      `\nA sweep that is still running gives its results so far. Exit 1 when the sweep failed.\n\nExample:\n  $ plateau results 3f9c2a7d1b04 --coordinator 127.0.0.1:50051 --out runs/quick\n  $ open runs/quick/report.html\n${CLIENT_EXIT_CODES_HELP}\n`,
    )
    .action(async (reference: string, options: ResultsOptions) => {
      let top: number;
      try {
        top = parseInteger(options.top, '--top', { max: MAX_TABLE_ROWS, what: 'of rows' });
      } catch (error) {
        if (!(error instanceof OptionValueError)) throw error;
        process.stderr.write(`${error.message}\n`);
        process.exitCode = ExitCode.badInput;
        return;
      }
      process.exitCode = await runClientCommand(options, async (client, address) => {
        const sweepId = await resolveSweepReference(client, reference);
        const summary = await client.get(sweepId);
        const doc = parseResultsDocument(await client.results(sweepId), `the results of sweep ${sweepId} from ${address}`);
        const outDir = resolve(options.out ?? join('runs', resultsFolderName(doc.sweep.name)));
        const files = await writeResultsFiles(outDir, doc);
        if (options.json === true) {
          process.stdout.write(`${JSON.stringify({ sweepId, state: summary.state, files, ranking: doc.ranking.slice(0, top), best: doc.best, ...(summary.error === null ? {} : { error: summary.error }) })}\n`);
        } else {
          const color = process.stdout.isTTY === true;
          const out = [renderRankingTable(doc, { top, color, ...(process.stdout.columns === undefined ? {} : { width: process.stdout.columns }) })];
          if (summary.state === 'running') out.push('', `The sweep is still running: these are partial results (${summary.counts.running} running, ${summary.counts.queued} queued).`);
          if (doc.best !== null) out.push('', 'Best schedule — Keras (Python):', '', doc.best.snippets.keras, '', 'Best schedule — tfjs:', '', doc.best.snippets.tfjs);
          out.push('', `Results: ${displayPath(files.jsonPath)}, ${displayPath(files.csvPath)}`, `Report:  ${displayPath(files.reportPath)}`, '');
          process.stdout.write(out.join('\n'));
          if (summary.error !== null) process.stderr.write(`Sweep failed: ${describeSweepError(summary.error)}\n`);
        }
        return summary.state === 'failed' ? ExitCode.sweepFailed : ExitCode.ok;
      });
    });
}
