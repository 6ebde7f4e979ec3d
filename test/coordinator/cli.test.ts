// `plateau coordinator` as a real child process running the built CLI (dist/, built by `npm test`).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DurationError, parseDurationMs } from '../../src/cli/commands/coordinator.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import { removeTempDirs, tempDataDir } from './fixtures.js';

const plateauBin = fileURLToPath(new URL('../../bin/plateau', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  removeTempDirs();
});

function plateau(args: readonly string[]): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [plateauBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { child, stdout: () => out, stderr: () => err };
}

/** The address from the "coordinator listening on HOST:PORT" line. */
async function listeningAddress(child: ChildProcess): Promise<string> {
  let seen = '';
  for await (const chunk of child.stdout ?? []) {
    seen += String(chunk);
    const match = /coordinator listening on (\S+)/.exec(seen);
    if (match?.[1] !== undefined) return match[1];
  }
  throw new Error(`the coordinator exited before listening: ${seen}`);
}

describe('--lease-timeout durations', () => {
  it.each([
    ['30s', 30_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1500', 1_500],
    ['1.5s', 1_500],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDurationMs(text, '--lease-timeout')).toBe(ms);
  });

  it.each(['', 'soon', '0s', '-1s', '5 days'])('refuses %j', (text) => {
    expect(() => parseDurationMs(text, '--lease-timeout')).toThrow(DurationError);
  });
});

describe('plateau coordinator', () => {
  it('serves on the port it prints and exits 0 on SIGTERM', async () => {
    const { child, stderr } = plateau(['--log-format', 'json', 'coordinator', '--host', '127.0.0.1', '--port', '0', '--data-dir', tempDataDir(), '--lease-timeout', '5s']);
    const address = await listeningAddress(child);
    const client = createGrpcSweepClient(address);
    try {
      await expect(client.list()).resolves.toEqual([]);
    } finally {
      client.close();
    }
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    const events = stderr()
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { event: string }).event);
    expect(events).toEqual(expect.arrayContaining(['coordinator.listening', 'coordinator.stopping', 'coordinator.stopped']));
  });

  it('exits 2 on a lease timeout it cannot read', async () => {
    const { child, stderr } = plateau(['coordinator', '--port', '0', '--data-dir', tempDataDir(), '--lease-timeout', 'soon']);
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr()).toContain('--lease-timeout');
  });
});
