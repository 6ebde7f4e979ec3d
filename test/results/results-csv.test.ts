import { describe, expect, it } from 'vitest';
import { csvField, RESULTS_CSV_COLUMNS, resultsCsv } from '../../src/results/results-csv.js';
import { buildResultsDocument } from '../../src/results/results-document.js';
import { snapshot, trial } from '../rank/sweep-fixtures.js';

/** A strict RFC 4180 reader, enough to check what the writer produced. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? '';
    if (char === '"' && field === '') {
      index += 1;
      for (;;) {
        const inner = text[index] ?? '';
        if (inner === '"' && text[index + 1] === '"') {
          field += '"';
          index += 2;
        } else if (inner === '"') {
          index += 1;
          break;
        } else {
          field += inner;
          index += 1;
        }
      }
    } else if (char === ',') {
      row.push(field);
      field = '';
      index += 1;
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index += 2;
    } else {
      field += char;
      index += 1;
    }
  }
  return rows;
}

const doc = buildResultsDocument(
  snapshot([
    trial({ id: 'a0', config: { learningRate: 0.003 }, repeat: 0, objective: 0.05, lrReductions: [4, 7] }),
    trial({ id: 'a1', config: { learningRate: 0.003 }, repeat: 1, objective: 0.07 }),
    trial({ id: 'boom', config: { learningRate: 0.1 }, state: 'diverged' }),
    trial({ id: 'crash', config: { learningRate: 0.03 }, state: 'failed', error: { kind: 'WorkerCrashedError', message: 'exit 1, said "oom"\nthen died' } }),
  ]),
);

describe('resultsCsv', () => {
  it('writes a header and one CRLF-terminated row per trial', () => {
    const text = resultsCsv(doc);
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = readCsv(text);
    expect(rows[0]).toEqual([...RESULTS_CSV_COLUMNS]);
    expect(rows).toHaveLength(1 + doc.trials.length);
    expect(rows.every((row) => row.length === RESULTS_CSV_COLUMNS.length)).toBe(true);
  });

  it('fills each column from the trial and its config’s rank', () => {
    const rows = readCsv(resultsCsv(doc));
    const header = rows[0] ?? [];
    const a0 = Object.fromEntries(header.map((column, index) => [column, rows[1]?.[index]]));
    expect(a0).toEqual({
      id: 'a0',
      learningRate: '0.003',
      factor: '0.5',
      patience: '2',
      minDelta: '0.0001',
      cooldown: '0',
      minLr: '0',
      batchSize: '64',
      repeat: '0',
      seed: '1000',
      status: 'succeeded',
      attempts: '1',
      epochs: '10',
      lrReductions: '2',
      final_val_loss: '0.05',
      objective: '0.05',
      wallSeconds: '1.5',
      rank: '1',
      agent: 'agent-1',
      error: '',
      stop: '',
    });
  });

  it('writes a diverged trial’s NaN loss as NaN and its missing objective as empty', () => {
    const rows = readCsv(resultsCsv(doc));
    const header = rows[0] ?? [];
    const boom = rows.find((row) => row[0] === 'boom') ?? [];
    expect(boom[header.indexOf('final_val_loss')]).toBe('NaN');
    expect(boom[header.indexOf('objective')]).toBe('');
    expect(boom[header.indexOf('rank')]).toBe('2');
  });

  it('quotes a field with commas, quotes or line breaks so it reads back intact', () => {
    const rows = readCsv(resultsCsv(doc));
    const crash = rows.find((row) => row[0] === 'crash') ?? [];
    expect(crash[RESULTS_CSV_COLUMNS.indexOf('error')]).toBe('WorkerCrashedError: exit 1, said "oom"\nthen died');
    expect(resultsCsv(doc)).toContain('"WorkerCrashedError: exit 1, said ""oom""\nthen died"');
  });

  it('leaves plain fields unquoted', () => {
    expect(csvField('succeeded')).toBe('succeeded');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
  });
});
