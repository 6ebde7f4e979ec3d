// A child command run to its end with its output collected: how the bench runs `plateau run`,
// the peer's Python sweep and the like, timed from spawn to close; and the events its JSON log printed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { z } from 'zod';
import { findPackageRoot } from '../src/package-root.js';

/** The CLI as a user starts it (bin/plateau runs the built JS), from sources or from dist/. */
export const plateauBin = join(findPackageRoot(import.meta.url), 'bin', 'plateau');

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

export function runCommand(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Finished> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
  });
}

/** The records of one event in a `--log-format json` log (one JSON object a line) that match its schema. */
export function logEvents<T>(logText: string, event: string, schema: z.ZodType<T>): T[] {
  return logText
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(`"${event}"`))
    .flatMap((line) => {
      const parsed = schema.safeParse(JSON.parse(line));
      return parsed.success ? [parsed.data] : [];
    });
}
