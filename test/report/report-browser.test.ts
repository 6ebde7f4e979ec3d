// report.html as a person opens it: headless Debian chromium, offline, loading the report of
// a real sweep run by the real CLI. Skipped only where /usr/bin/chromium is not installed
// (CI installs it: apt-get install chromium).
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderReportHtml } from '../../src/report/render-report.js';
import { parseResultsJson } from '../../src/results/parse-results.js';
import type { ResultsDocument } from '../../src/results/results-document.js';
import { mixedSweepDocument, stoppedSweepDocument } from './report-fixtures.js';
import { runTinySweep } from './tiny-sweep.js';
import { describeWithTool } from '../support/required-tool.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const screenshotDir = fileURLToPath(new URL('../../test-output/report/', import.meta.url));

/** What a reader of the document expects on the page: chart id → number of series. */
function expectedSeries(doc: ResultsDocument): Record<string, number> {
  const withHistory = doc.trials.filter((trial) => trial.history.length > 0).length;
  const expected: Record<string, number> = { 'chart-objective': withHistory, 'chart-lr': withHistory };
  const healthy = (entry: ResultsDocument['ranking'][number]): boolean => entry.objective !== null && !entry.flags.includes('diverged') && !entry.flags.includes('failed');
  for (const patience of new Set(doc.ranking.map((entry) => entry.config.patience))) {
    const configs = doc.ranking.filter((entry) => entry.config.patience === patience);
    expected[`chart-heatmap-patience-${patience}`] = configs.every(healthy) ? 1 : 2;
  }
  if (doc.axisEffects.length > 0) expected['chart-effects'] = doc.axisEffects.length;
  expected['chart-parallel'] = doc.trials.some((trial) => trial.status === 'diverged' || trial.status === 'failed') ? 2 : 1;
  return expected;
}

interface OpenedReport {
  readonly page: Page;
  readonly problems: string[];
  readonly requests: string[];
}

describeWithTool(CHROMIUM, hasChromium, 'report.html in headless chromium', () => {
  let browser: Browser;
  let sweepDir: string;
  let doc: ResultsDocument;
  let report: OpenedReport;

  async function open(file: string): Promise<OpenedReport> {
    const context = await browser.newContext({ viewport: { width: 1320, height: 900 }, deviceScaleFactor: 1 });
    await context.setOffline(true);
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console.${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, problems, requests };
  }

  /** Chart id → series count, read back from echarts itself (browser-side code as text: the tests compile without DOM types). */
  async function renderedSeries(page: Page): Promise<Record<string, number>> {
    return (await page.evaluate(`(() => {
      const counts = {};
      for (const element of document.querySelectorAll('[data-chart]')) counts[element.id] = echarts.getInstanceByDom(element)?.getOption().series.length ?? -1;
      return counts;
    })()`)) as Record<string, number>;
  }

  beforeAll(async () => {
    const run = await runTinySweep('plateau-report-browser-');
    sweepDir = run.dir;
    doc = parseResultsJson(await readFile(join(run.outDir, 'results.json'), 'utf8'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    report = await open(join(run.outDir, 'report.html'));
  });

  afterAll(async () => {
    await browser?.close();
    if (sweepDir !== undefined) await rm(sweepDir, { recursive: true, force: true });
  });

  it('draws every chart of a real sweep with one series per trial, heatmap or axis', async () => {
    expect(doc.trials).toHaveLength(8);
    expect(await renderedSeries(report.page)).toEqual(expectedSeries(doc));
  });

  it('sorts the ranking table by the clicked column, and reverses on a second click', async () => {
    const column = async (index: number): Promise<number[]> =>
      (await report.page.evaluate(`[...document.querySelectorAll('#ranking tbody tr')].map((row) => Number(row.cells[${index}].getAttribute('data-sort')))`)) as number[];
    const lrHeader = report.page.locator('#ranking thead button', { hasText: 'learning rate' });
    await lrHeader.click();
    const ascending = await column(1);
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    expect(new Set(ascending)).toEqual(new Set([0.01, 0.1]));
    await lrHeader.click();
    expect(await column(1)).toEqual([...ascending].sort((a, b) => b - a));
    await report.page.locator('#ranking thead button', { hasText: 'rank' }).click();
    expect(await column(0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('switches the val_loss curves between linear and log scale', async () => {
    const yAxisType = async (): Promise<string> =>
      (await report.page.evaluate(`echarts.getInstanceByDom(document.getElementById('chart-objective')).getOption().yAxis[0].type`)) as string;
    expect(await yAxisType()).toBe('value');
    await report.page.locator('input[data-log-for="chart-objective"]').check();
    expect(await yAxisType()).toBe('log');
    await report.page.locator('input[data-log-for="chart-objective"]').uncheck();
    expect(await yAxisType()).toBe('value');
  });

  it('copies the best config as Keras code', async () => {
    const button = report.page.locator('button[data-copy="snippet-keras"]');
    await button.click();
    await expect.poll(() => button.textContent()).toBe('Copied');
    expect(await report.page.locator('#snippet-keras').textContent()).toBe(doc.best?.snippets.keras);
  });

  it('opens offline: nothing but the file itself is requested', () => {
    expect(report.requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
  });

  it('logs no console errors or warnings and throws no page errors', () => {
    expect(report.problems).toEqual([]);
  });

  it('saves a full-page screenshot under test-output/', async () => {
    await mkdir(screenshotDir, { recursive: true });
    const file = join(screenshotDir, 'report.png');
    await report.page.screenshot({ path: file, fullPage: true });
    expect((await stat(file)).size).toBeGreaterThan(50_000);
  });

  it('draws diverged, failed and pending configs of an unfinished sweep without errors', async () => {
    const mixed = mixedSweepDocument();
    const file = join(sweepDir, 'mixed-report.html');
    await writeFile(file, renderReportHtml(mixed));
    const opened = await open(file);
    expect(await renderedSeries(opened.page)).toEqual(expectedSeries(mixed));
    expect(opened.problems).toEqual([]);
    await mkdir(screenshotDir, { recursive: true });
    await opened.page.screenshot({ path: join(screenshotDir, 'report-mixed.png'), fullPage: true });
  });

  it('shows the trials stopped early: badges, a sortable stopped column and the guard setting, without errors', async () => {
    const stopped = stoppedSweepDocument();
    const file = join(sweepDir, 'stopped-report.html');
    await writeFile(file, renderReportHtml(stopped));
    const opened = await open(file);
    expect(await renderedSeries(opened.page)).toEqual(expectedSeries(stopped));
    const badges = opened.page.locator('#early-stopping .badge-stopped');
    expect(await badges.allTextContents()).toEqual(['stopped@3 (median)', 'stopped@3 (median)', 'stopped@6 (median)']);
    expect(await badges.first().isVisible()).toBe(true);
    expect(await opened.page.locator('#early-stopping table.kv').textContent()).toContain('plateau guardon: a trial is never stopped');
    const stoppedCells = async (): Promise<string[]> =>
      (await opened.page.evaluate(`(() => {
        const index = [...document.querySelectorAll('#ranking thead button')].findIndex((button) => button.textContent === 'stopped');
        return [...document.querySelectorAll('#ranking tbody tr')].map((row) => row.cells[index].textContent);
      })()`)) as string[];
    await opened.page.locator('#ranking thead button', { hasText: 'stopped' }).click();
    expect(await stoppedCells()).toEqual(['stopped@3 (median)', 'stopped@3 (median)', 'stopped@6 (median)', '—', '—', '—']);
    expect(opened.problems).toEqual([]);
    await mkdir(screenshotDir, { recursive: true });
    await opened.page.screenshot({ path: join(screenshotDir, 'report-stopped.png'), fullPage: true });
  });
});
