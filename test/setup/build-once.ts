// vitest globalSetup: tests that fork built JS (dist/agent/worker-main.js, agent and
// coordinator processes) need dist/ to match the sources. Builds once per test run, and
// not at all when dist/ is newer than every source file (e.g. right after `npm run build`).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const stampPath = join(root, 'dist', '.build-stamp');
const sourceDirs = ['src', 'agent', 'coordinator', 'gen'];

function newestSourceMs(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  if (!existsSync(stampPath)) return false;
  const built = statSync(stampPath).mtimeMs;
  return sourceDirs.every((dir) => newestSourceMs(join(root, dir)) < built);
}

export function setup(): void {
  if (isFresh()) return;
  const startedMs = Date.now();
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  } catch (error) {
    // tsc still emits when some file has type errors; tests of the parts that built can run.
    // The errors stay visible here, and `npm run typecheck` is where they fail a build.
    const output = error instanceof Error && 'stdout' in error ? String(error.stdout) : String(error);
    process.stderr.write(`build-once: tsc reported errors (dist/ was still emitted):\n${output}\n`);
    if (!existsSync(join(root, 'dist', 'agent', 'worker-main.js'))) throw error;
    return;
  }
  // Stamp only a clean build, dated when it started: a source edited meanwhile rebuilds next time.
  writeFileSync(stampPath, `${new Date(startedMs).toISOString()}\n`);
  utimesSync(stampPath, new Date(startedMs), new Date(startedMs));
}
