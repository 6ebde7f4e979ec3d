// `plateau report results.json` as a user runs it: the built CLI as a child process.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../src/report/render-report.js';
import { serializeResultsDocument } from '../../src/results/results-document.js';
import { runPlateau, type FinishedPlateau } from '../support/plateau-process.js';
import { mixedSweepDocument } from './report-fixtures.js';

/** `plateau ARGS`, run to its end, as typed at a shell. */
const plateau = (...args: string[]): Promise<FinishedPlateau> => runPlateau(args);

describe('plateau report', () => {
  const doc = mixedSweepDocument();
  let dir: string;
  let resultsFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plateau-report-cli-'));
    resultsFile = join(dir, 'results.json');
    await writeFile(resultsFile, serializeResultsDocument(doc));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes report.html next to the results file by default', async () => {
    const result = await plateau('report', resultsFile, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ reportPath: join(dir, 'report.html') });
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toBe(renderReportHtml(doc));
  });

  it('writes report.html in the folder --out names, as run and results do, creating it', async () => {
    const out = join(dir, 'reports', 'mlp');
    const result = await plateau('report', resultsFile, '--out', out);
    expect(result.code).toBe(0);
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('<title>mlp-plateau — plateau-sweep report</title>');
  });

  it('refuses an --out that names an .html file, saying it takes a folder', async () => {
    const result = await plateau('report', resultsFile, '--out', join(dir, 'elsewhere.html'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^--out: ".*elsewhere\.html" — expected a folder \(report\.html is written in it\)/);
  });

  it('exits 2 naming the path when the results file does not exist', async () => {
    const missing = join(dir, 'missing.json');
    const result = await plateau('report', missing);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot read ${missing}: no such file`);
  });

  it('exits 2 naming the path and the problem when the file is not a results document', async () => {
    const wrong = join(dir, 'wrong.json');
    await writeFile(wrong, JSON.stringify({ schemaVersion: 1, trials: 'none' }));
    const result = await plateau('report', wrong);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${wrong} is not a valid plateau-sweep results document`);
  });
});
