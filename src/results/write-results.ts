// The one I/O shell of the results: results.json, results.csv and report.html under an output folder.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { renderReportHtml } from '../report/render-report.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { resultsCsv } from './results-csv.js';
import { serializeResultsDocument, type ResultsDocument } from './results-document.js';

export const RESULTS_JSON_FILE = 'results.json';
export const RESULTS_CSV_FILE = 'results.csv';
export const REPORT_HTML_FILE = 'report.html';

export interface ResultsFilePaths {
  /** Absolute paths. */
  readonly jsonPath: string;
  readonly csvPath: string;
  readonly reportPath: string;
}

/** Creates `outDir` if needed and writes the three files atomically (each whole or not at all). */
export async function writeResultsFiles(outDir: string, doc: ResultsDocument): Promise<ResultsFilePaths> {
  const directory = resolve(outDir);
  await mkdir(directory, { recursive: true });
  const jsonPath = join(directory, RESULTS_JSON_FILE);
  const csvPath = join(directory, RESULTS_CSV_FILE);
  const reportPath = join(directory, REPORT_HTML_FILE);
  await writeFileAtomic(jsonPath, serializeResultsDocument(doc));
  await writeFileAtomic(csvPath, resultsCsv(doc));
  await writeFileAtomic(reportPath, renderReportHtml(doc));
  return { jsonPath, csvPath, reportPath };
}
