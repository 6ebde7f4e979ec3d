import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/fs/atomic-write.js';
import { parseResultsJson } from '../../src/results/parse-results.js';
import { resultsCsv } from '../../src/results/results-csv.js';
import { buildResultsDocument, serializeResultsDocument } from '../../src/results/results-document.js';
import { writeResultsFiles } from '../../src/results/write-results.js';
import { renderReportHtml } from '../../src/report/render-report.js';
import { snapshot, trial } from '../rank/sweep-fixtures.js';

const doc = buildResultsDocument(snapshot([trial({ id: 'a', objective: 0.2 }), trial({ id: 'b', config: { learningRate: 0.1 }, state: 'diverged' })]));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plateau-results-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeResultsFiles', () => {
  it('writes complete results.json, results.csv and report.html and returns their paths', async () => {
    const paths = await writeResultsFiles(dir, doc);
    expect(paths).toEqual({ jsonPath: join(dir, 'results.json'), csvPath: join(dir, 'results.csv'), reportPath: join(dir, 'report.html') });
    const json = await readFile(paths.jsonPath, 'utf8');
    expect(json).toBe(serializeResultsDocument(doc));
    expect(parseResultsJson(json)).toEqual(doc);
    expect(await readFile(paths.csvPath, 'utf8')).toBe(resultsCsv(doc));
    expect(await readFile(paths.reportPath, 'utf8')).toBe(renderReportHtml(doc));
  });

  it('leaves no temporary file behind', async () => {
    await writeResultsFiles(dir, doc);
    expect((await readdir(dir)).sort()).toEqual(['report.html', 'results.csv', 'results.json']);
  });

  it('creates the output folder when it does not exist', async () => {
    const nested = join(dir, 'runs', 'quick');
    const { jsonPath } = await writeResultsFiles(nested, doc);
    expect(parseResultsJson(await readFile(jsonPath, 'utf8')).sweep.name).toBe('mlp-plateau');
  });

  it('replaces files from an earlier run whole', async () => {
    await writeResultsFiles(dir, buildResultsDocument(snapshot([trial({ id: 'old' })])));
    await writeResultsFiles(dir, doc);
    expect(parseResultsJson(await readFile(join(dir, 'results.json'), 'utf8')).trials.map((t) => t.id)).toEqual(['a', 'b']);
  });

  it('fails without leaving a temporary file when the target cannot be replaced', async () => {
    await mkdir(join(dir, 'results.json'));
    await expect(writeResultsFiles(dir, doc)).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['results.json']);
  });
});

describe('writeFileAtomic', () => {
  it('replaces an existing file with the new content', async () => {
    const target = join(dir, 'notes.txt');
    await writeFileAtomic(target, 'first');
    await writeFileAtomic(target, 'second, longer than the first');
    expect(await readFile(target, 'utf8')).toBe('second, longer than the first');
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });

  it('rejects, writing nothing, when the folder does not exist', async () => {
    await expect(writeFileAtomic(join(dir, 'missing-folder', 'notes.txt'), 'text')).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });
});
