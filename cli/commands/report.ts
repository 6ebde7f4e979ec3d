// `plateau report results.json`: (re)write report.html from a results file, e.g. one copied
// off a cluster or written by an older run.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { renderReportHtml } from '../../src/report/render-report.js';
import { writeFileAtomic } from '../../src/fs/atomic-write.js';
import { parseResultsJson, ResultsDocumentError } from '../../src/results/parse-results.js';
import { REPORT_HTML_FILE } from '../../src/results/write-results.js';
import { displayPath } from '../client-command.js';
import { ExitCode } from '../exit-codes.js';

interface ReportOptions {
  readonly out?: string;
  readonly json?: boolean;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('write report.html (charts, ranking, best config; opens offline) from a results.json')
    .argument('<results>', 'a results.json written by `plateau run` or `plateau results`')
    .option('--out <dir>', 'folder to write report.html in, as for `run` and `results` (default: the results file\'s folder)')
    .option('--json', 'print {reportPath} as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  $ plateau report runs/quick/results.json --out reports/quick\n\nExit codes:\n  0  ok\n  2  the results file is missing, unreadable or not a plateau-sweep results document\n',
    )
    .action(async (resultsFile: string, options: ReportOptions) => {
      if (options.out !== undefined && /\.html?$/i.test(options.out)) {
        process.stderr.write(`--out: "${options.out}" — expected a folder (report.html is written in it), as for \`plateau run\` and \`plateau results\`\n`);
        process.exitCode = ExitCode.badInput;
        return;
      }
      const source = resolve(resultsFile);
      let text: string;
      try {
        text = await readFile(source, 'utf8');
      } catch (error) {
        const reason = error instanceof Error && 'code' in error && error.code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
        process.stderr.write(`cannot read ${source}: ${reason}\n`);
        process.exitCode = ExitCode.badInput;
        return;
      }
      let html: string;
      try {
        html = renderReportHtml(parseResultsJson(text, source));
      } catch (error) {
        if (!(error instanceof ResultsDocumentError)) throw error;
        process.stderr.write(`${error.message}\n`);
        process.exitCode = ExitCode.badInput;
        return;
      }
      const reportPath = join(resolve(options.out ?? dirname(source)), REPORT_HTML_FILE);
      await mkdir(dirname(reportPath), { recursive: true });
      await writeFileAtomic(reportPath, html);
      process.stdout.write(options.json === true ? `${JSON.stringify({ reportPath })}\n` : `Report: ${displayPath(reportPath)}\n`);
    });
}
