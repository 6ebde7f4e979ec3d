// The built CLI (`bin/plateau` → dist/) as a real child process, for end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const plateauBin = fileURLToPath(new URL('../../bin/plateau', import.meta.url));

/** How a `plateau` process ended, and everything it printed. */
export interface FinishedPlateau {
  /** The exit code, or the name of the signal that ended it. */
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PlateauProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr; rejects if the process exits first or after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or the signal's name). */
  exited(): Promise<number | string>;
  /** Ctrl-C as a terminal sends it: SIGINT to the process's whole group, children included. */
  interrupt(): void;
  /**
   * Resolves once the process has exited and its stdout and stderr have ended. Unlike
   * `exited()`, no output can still be on its way: what it carries is everything printed.
   */
  finished(): Promise<FinishedPlateau>;
}

export interface PlateauSpawnOptions {
  readonly cwd?: string;
  /** Added to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Each running child, with the promise of its exit. */
const spawned = new Map<ChildProcess, Promise<unknown>>();

export function spawnPlateau(args: readonly string[], options: PlateauSpawnOptions = {}): PlateauProcess {
  const child = spawn(process.execPath, [plateauBin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, as a shell gives a foreground job, so `interrupt()` reaches what it spawns.
    detached: true,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: { ...process.env, ...options.env },
  });
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
  spawned.set(child, exit);
  // 'close' comes after 'exit', once the output pipes have ended too.
  const closed = once(child, 'close').then(([code, signal]: unknown[]): FinishedPlateau => ({
    code: typeof code === 'number' ? code : String(signal),
    stdout: out,
    stderr: err,
  }));
  // Handled here so that a run nobody awaits to its end leaves no unhandled rejection behind.
  void closed.catch(() => undefined);
  let exitedAlready = false;
  void exit.then(() => (exitedAlready = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: () => exit,
    finished: () => closed,
    interrupt() {
      if (child.pid !== undefined && !exitedAlready) process.kill(-child.pid, 'SIGINT');
    },
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

/** Runs `plateau ARGS` to its end: for the commands that finish by themselves. */
export function runPlateau(args: readonly string[], options: PlateauSpawnOptions = {}): Promise<FinishedPlateau> {
  return spawnPlateau(args, options).finished();
}

/** The HOST:PORT a `plateau coordinator` process prints once it serves ("coordinator listening on HOST:PORT"). */
export async function listeningAddress(coordinator: PlateauProcess, timeoutMs?: number): Promise<string> {
  const [, address] = await coordinator.waitFor(/coordinator listening on (\S+)/, timeoutMs);
  if (address === undefined) throw new Error('the listening line carries no address');
  return address;
}

/**
 * SIGKILLs every child still running (afterEach / afterAll); resolves once they have all
 * exited, so that their data folders can be removed without a dying process writing into them.
 */
export async function killAllPlateauProcesses(): Promise<void> {
  const exits = [...spawned];
  spawned.clear();
  for (const [child] of exits) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(exits.map(([, exit]) => exit));
}
