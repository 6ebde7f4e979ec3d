// report.html tells what went wrong: a banner for a sweep-level workload error, and every failed
// or diverged trial with its last error — escaped, as everything on the page.
import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../src/report/render-report.js';
import { buildResultsDocument } from '../../src/results/results-document.js';
import { snapshot, trial } from '../rank/sweep-fixtures.js';

const message = '/data/<train>.csv:1: the target column "y" is not in the header';

function failedSweepHtml(): string {
  const first = { ...trial({ id: 'first', config: { learningRate: 0.001 }, state: 'failed' }), result: null };
  const failedRecord = { ...first, attempts: [{ attempt: 1, agentId: 'agent-1', startedAtMs: 0, endedAtMs: 1, ending: `failed: workload: ${message}` }] };
  return renderReportHtml(
    buildResultsDocument(
      snapshot([failedRecord, trial({ id: 'second', config: { learningRate: 0.01 }, state: 'cancelled' })], {
        error: { kind: 'workload', message, trialId: 'first', scope: 'sweep', atMs: Date.UTC(2025, 0, 2, 3, 5, 0) },
      }),
    ),
  );
}

describe('errors in report.html', () => {
  it('opens with a banner naming the workload error, its trial and that the sweep was stopped', () => {
    const html = failedSweepHtml();
    const banner = /<div class="sweep-error" role="alert">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '';
    expect(banner).toContain('Workload error — no retry can fix it');
    expect(banner).toContain('/data/&lt;train&gt;.csv:1: the target column &quot;y&quot; is not in the header');
    expect(banner).toContain('<code>first</code>');
    expect(banner).toContain('The sweep was stopped');
    expect(html.indexOf('class="sweep-error"')).toBeLessThan(html.indexOf('class="cards"'));
  });

  it('marks the sweep failed in its header', () => {
    expect(failedSweepHtml()).toContain('<span class="state state-failed">failed</span>');
  });

  it('lists every failed or diverged trial with its last error', () => {
    const html = renderReportHtml(
      buildResultsDocument(
        snapshot([
          trial({ id: 'crashed', config: { learningRate: 0.001 }, state: 'failed', error: { kind: 'WorkerCrashedError', message: 'worker died (signal SIGKILL)' } }),
          trial({ id: 'boom', config: { learningRate: 0.1 }, state: 'diverged' }),
          trial({ id: 'fine', config: { learningRate: 0.01 } }),
        ]),
      ),
    );
    const table = /<section class="panel" id="failures"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(table).toMatch(/<code>crashed<\/code>.*<td>failed<\/td><td class="num">1<\/td><td>WorkerCrashedError<\/td><td class="message">worker died \(signal SIGKILL\)<\/td>/);
    expect(table).toMatch(/<code>boom<\/code>.*<td>diverged<\/td>.*<td>diverged<\/td><td class="message">the loss was not a finite number at epoch 2<\/td>/);
    expect(table).not.toContain('<code>fine</code>');
  });

  it('has neither banner nor failures section for a clean sweep', () => {
    const html = renderReportHtml(buildResultsDocument(snapshot([trial({ id: 'fine' })])));
    expect(html).not.toContain('class="sweep-error"');
    expect(html).not.toContain('id="failures"');
  });
});
