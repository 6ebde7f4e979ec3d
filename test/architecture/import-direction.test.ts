// The layers import downhill: cli/ → coordinator/, agent/ → src/ (the library) → gen/ only through
// src/rpc. A library module reaching up into a process (or into the command line) would drag
// servers and child processes into every program that uses the library.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPackageRoot } from '../../src/package-root.js';

const root = findPackageRoot(import.meta.url);

/** Relative module specifiers of static imports, re-exports and dynamic imports in a source text. */
export function relativeImports(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const match of source.matchAll(pattern)) if (match[1] !== undefined) specifiers.push(match[1]);
  return specifiers;
}

function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Top folder (src, cli, coordinator, agent, gen, …) each import of a file lands in, with the file it names. */
function importTargets(file: string): { readonly folder: string; readonly target: string }[] {
  const text = readFileSync(join(root, file), 'utf8');
  return relativeImports(text).map((specifier) => {
    const target = relative(root, resolve(root, dirname(file), specifier));
    return { folder: target.split(sep)[0] ?? '', target };
  });
}

function violations(folders: readonly string[], forbidden: (from: string, to: { folder: string; target: string }) => boolean): string[] {
  const found: string[] = [];
  for (const folder of folders)
    for (const file of sourceFiles(folder)) for (const to of importTargets(file)) if (forbidden(file, to)) found.push(`${file} imports ${to.target}`);
  return found;
}

describe('import direction', () => {
  it('finds static, re-exported and dynamic relative imports', () => {
    const text = [
      "import { a } from '../coordinator/a.js';",
      "export { b } from './b.js';",
      "const c = await import('../../agent/c.js');",
      "import './side-effect.js';",
      "import { d } from 'node:fs';",
    ].join('\n');
    expect(relativeImports(text)).toEqual(['../coordinator/a.js', './b.js', '../../agent/c.js', './side-effect.js']);
  });

  it('keeps the library (src/) free of imports from coordinator/, agent/ and cli/, except the package entry src/index.ts', () => {
    const found = violations(['src'], (file, to) => file !== join('src', 'index.ts') && ['coordinator', 'agent', 'cli'].includes(to.folder));
    expect(found).toEqual([]);
  });

  it('keeps the package entry src/index.ts free of the command line (cli/)', () => {
    expect(importTargets(join('src', 'index.ts')).filter((to) => to.folder === 'cli')).toEqual([]);
  });

  it('keeps coordinator/ and agent/ free of imports from cli/', () => {
    expect(violations(['coordinator', 'agent'], (_file, to) => to.folder === 'cli')).toEqual([]);
  });

  it('reaches generated code (gen/) only through its thin adapters', () => {
    // The adapters: src/rpc (clients and wire conversion), the coordinator's gRPC servers, and the
    // loader of the compiled wasm kernels. Anything else goes through them.
    const adapters = [join('src', 'rpc') + sep, join('coordinator', 'grpc-server.ts'), join('coordinator', 'agent-session.ts'), join('coordinator', 'grpc-health.ts'), join('src', 'train', 'fused', 'kernel', 'kernel-module.ts')];
    const found = violations(['src', 'cli', 'coordinator', 'agent'], (file, to) => to.folder === 'gen' && !adapters.some((adapter) => file === adapter || (adapter.endsWith(sep) && file.startsWith(adapter))));
    expect(found).toEqual([]);
  });
});
