import { describe, expect, it } from 'vitest';
import { fenceSection, spliceSection } from '../../bench/benchmarks-document.js';

const doc = ['# Benchmarks', '', ...fenceSection('cnn', ['## CNN', 'old figure']), '', '## Orchestration', 'kept'].join('\n');

describe('BENCHMARKS.md sections', () => {
  it('replaces only the named section and keeps the text around it', () => {
    const out = spliceSection(doc, 'cnn', fenceSection('cnn', ['## CNN', 'new figure']));
    expect(out).toContain('new figure');
    expect(out).not.toContain('old figure');
    expect(out.startsWith('# Benchmarks\n\n')).toBe(true);
    expect(out.endsWith('## Orchestration\nkept')).toBe(true);
  });

  it('appends a section the document does not have yet', () => {
    const out = spliceSection(doc, 'pruners', fenceSection('pruners', ['## Pruners']));
    expect(out).toContain('old figure');
    expect(out.trimEnd().endsWith('<!-- section:pruners -->\n## Pruners\n<!-- /section:pruners -->')).toBe(true);
  });

  it('puts the provenance line first inside the fence', () => {
    expect(fenceSection('cnn', ['## CNN'], 'Measured on 2026-12-05.')).toEqual(['<!-- section:cnn -->', 'Measured on 2026-12-05.', '', '## CNN', '<!-- /section:cnn -->']);
  });

  it('does not mistake one section for another whose name starts the same', () => {
    const two = [...fenceSection('cnn-peer', ['peer']), ...fenceSection('cnn', ['mine'])].join('\n');
    const out = spliceSection(two, 'cnn', fenceSection('cnn', ['replaced']));
    expect(out).toContain('peer');
    expect(out).toContain('replaced');
    expect(out).not.toContain('mine');
  });
});
