// The built CLI (`bin/plateau` → dist/) as a real child process, for end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const plateauBin = fileURLToPath(new URL('../../bin/plateau', import.meta.url));

export interface PlateauProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr; rejects if the process exits first or after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or the signal's name). */
  exited(): Promise<number | string>;
}

const spawned = new Set<ChildProcess>();

export function spawnPlateau(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): PlateauProcess {
  const child = spawn(process.execPath, [plateauBin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: { ...process.env, ...options.env },
  });
  spawned.add(child);
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const notify = (): void => waiters.forEach((waiter) => waiter());
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    notify();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    notify();
  });
  const exit = once(child, 'exit').then(([code, signal]: unknown[]) => {
    spawned.delete(child);
    notify();
    return typeof code === 'number' ? code : String(signal);
  });
  let exitedAlready = false;
  void exit.then(() => (exitedAlready = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: () => exit,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)}\nstdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
        const check = (): void => {
          const match = pattern.exec(out + err);
          if (match !== null) finish(match);
          else if (exitedAlready) finish(new Error(`process exited before ${String(pattern)}\nstdout:\n${out}\nstderr:\n${err}`));
        };
        const finish = (result: RegExpExecArray | Error): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (result instanceof Error) reject(result);
          else resolve(result);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** SIGKILLs every child still running (afterEach / afterAll). */
export function killAllPlateauProcesses(): void {
  for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  spawned.clear();
}
