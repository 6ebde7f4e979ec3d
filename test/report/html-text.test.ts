import { describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScriptElement, scriptForInlineElement } from '../../src/report/html-text.js';

describe('escapeHtml', () => {
  it('escapes the characters that could open a tag or close an attribute', () => {
    expect(escapeHtml(`<b class="x">Tom & 'Jerry'</b>`)).toBe('&lt;b class=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/b&gt;');
  });
});

describe('jsonForScriptElement', () => {
  const hostile = { name: '</script><script>alert(1)</script>', note: '<!-- comment', line: 'a\u2028b\u2029c', plain: 'x > y & z' };

  it('never contains a closing script tag or an HTML comment opener', () => {
    const text = jsonForScriptElement(hostile);
    expect(text.toLowerCase()).not.toContain('</script');
    expect(text).not.toContain('<!--');
    expect(text).not.toMatch(/[\u2028\u2029]/);
  });

  it('reads back unchanged with JSON.parse', () => {
    expect(JSON.parse(jsonForScriptElement(hostile))).toEqual(hostile);
  });
});

describe('scriptForInlineElement', () => {
  it('keeps a script from closing its element while meaning the same', () => {
    const source = `var s = "</SCRIPT>" + '<!--';`;
    const safe = scriptForInlineElement(source);
    expect(safe.toLowerCase()).not.toContain('</script');
    expect(safe).not.toContain('<!--');
    expect(new Function(`${safe}; return s;`)()).toBe('</SCRIPT><!--');
  });
});
