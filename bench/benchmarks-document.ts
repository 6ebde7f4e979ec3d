// BENCHMARKS.md as named sections between HTML comments, so that `npm run bench -- --only NAME`
// re-measures one section in place and keeps the others (each says when and how it was measured).
// Pure: text in, text out.

const open = (name: string): string => `<!-- section:${name} -->`;
const close = (name: string): string => `<!-- /section:${name} -->`;

/** The lines of a named section, fenced so that a later `--only NAME` can find and replace them. */
export function fenceSection(name: string, lines: readonly string[], provenance?: string): string[] {
  return [open(name), ...(provenance === undefined ? [] : [provenance, '']), ...lines, close(name)];
}

/**
 * The document with the named section replaced by `fenced` (as fenceSection returns it), or with it
 * appended where the document has no such section yet. Text outside the fences is kept as it is.
 */
export function spliceSection(document: string, name: string, fenced: readonly string[]): string {
  const block = fenced.join('\n');
  const start = document.indexOf(open(name));
  const endMarker = close(name);
  const end = start < 0 ? -1 : document.indexOf(endMarker, start);
  if (start < 0 || end < 0) return `${document.replace(/\n*$/, '')}\n\n${block}\n`;
  return `${document.slice(0, start)}${block}${document.slice(end + endMarker.length)}`;
}
