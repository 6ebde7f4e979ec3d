// The bad-spec corpus: each file in bad-specs/ starts with a comment saying what is wrong
// and one `# expect:` line per issue it must produce — exactly, with file, line, column,
// YAML path and message (`<dir>` stands for the corpus directory).
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { formatSpecIssue, SpecError } from '../../src/spec/spec-error.js';

const corpus = resolve(import.meta.dirname, 'bad-specs');
const files = readdirSync(corpus)
  .filter((file) => file.endsWith('.yaml'))
  .sort();

function expectations(file: string): string[] {
  return readFileSync(join(corpus, file), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('# expect: '))
    .map((line) => line.slice('# expect: '.length));
}

function reported(file: string): string[] {
  try {
    loadSweepSpecFile(join(corpus, file));
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    return error.issues.map((issue) => formatSpecIssue({ ...issue, file: basename(issue.file) }).replaceAll(corpus, '<dir>'));
  }
  return [];
}

describe('the bad-spec corpus', () => {
  it('holds at least 30 specs, each with its expected message', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    for (const file of files) expect(expectations(file), file).not.toEqual([]);
  });

  it.each(files)('%s is refused with exactly the expected issues', (file) => {
    expect(reported(file)).toEqual(expectations(file));
  });
});
