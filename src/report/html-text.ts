// Text that goes into report.html safely: escaped for HTML, and JSON or JavaScript that
// cannot end the <script> element it sits in.

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** For element content and attribute values (double- or single-quoted). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * JSON for a `<script type="application/json">` element. Every `<` becomes `\u003c`, so
 * neither `</script>` nor `<!--` can appear; U+2028/2029 are escaped for older parsers.
 * JSON.parse reads the text back unchanged.
 */
export function jsonForScriptElement(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * JavaScript source for an inline `<script>`. `</script` and `<!--` can only occur inside
 * strings, regular expressions or comments, where `<\/` and `<\u0021--` mean the same.
 */
export function scriptForInlineElement(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\u0021--');
}
