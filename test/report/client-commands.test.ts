// The client commands (submit, status, watch, results, cancel) as a user runs them: built CLI
// child processes against a real `plateau coordinator` process, and a real agent for the
// sweep that must finish.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResultsJson } from '../../src/results/parse-results.js';
import { plateauBin, TINY_SPEC, writeTinySpec } from './tiny-sweep.js';

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const children: ChildProcess[] = [];

function start(args: readonly string[]): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [plateauBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { child, stdout: () => out, stderr: () => err };
}

async function plateau(...args: string[]): Promise<Finished> {
  const { child, stdout, stderr } = start(args);
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout: stdout(), stderr: stderr() };
}

/** Asserts the exit code, showing stderr when it is not the expected one. */
function expectExit(result: Finished, code: number): void {
  expect({ code: result.code, stderr: result.code === code ? '' : result.stderr }).toEqual({ code, stderr: '' });
}

/**
 * Resolves once `child` has printed a line matching `pattern`. Listens without consuming
 * the stream: ending an async iteration would destroy the pipe, and the child's next write
 * would fail with EPIPE.
 */
function printed(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match === null) return;
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      resolve(match);
    };
    const onExit = (): void => reject(new Error(`exited without printing ${String(pattern)}: ${seen}`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

describe('client commands against a running coordinator', () => {
  let dir: string;
  let specFile: string;
  let address: string;
  let sweepId: string;

  beforeAll(async () => {
    ({ dir, specFile } = await writeTinySpec('plateau-client-'));
    const coordinator = start(['--log-level', 'warn', 'coordinator', '--port', '0', '--metrics-port', 'off', '--data-dir', join(dir, 'store')]);
    const match = await printed(coordinator.child, /coordinator listening on (\S+)/);
    address = match[1] ?? '';
  });

  afterAll(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('lists no sweeps on a fresh coordinator', async () => {
    const result = await plateau('status', '--coordinator', address, '--json');
    expectExit(result, 0);
    expect(JSON.parse(result.stdout)).toEqual([]);
  });

  it('submits a spec and prints the new sweep id and how to watch it', async () => {
    const result = await plateau('submit', specFile, '--coordinator', address);
    expectExit(result, 0);
    const match = /Submitted sweep "tiny-report": (\S+), 8 trials/.exec(result.stdout);
    expect(match).not.toBeNull();
    sweepId = match?.[1] ?? '';
    expect(result.stdout).toContain(`plateau watch ${sweepId} --coordinator ${address}`);
  });

  it('resumes instead of duplicating when the same spec is submitted again', async () => {
    const result = await plateau('submit', specFile, '--coordinator', address, '--json');
    expectExit(result, 0);
    expect(JSON.parse(result.stdout)).toEqual({ sweepId, name: 'tiny-report', resumed: true, totalTrials: 8 });
  });

  it('shows one sweep: its summary and a table of running trials', async () => {
    const result = await plateau('status', sweepId, '--coordinator', address);
    expectExit(result, 0);
    expect(result.stdout).toContain(`Sweep "tiny-report" (${sweepId}) — running`);
    expect(result.stdout).toContain('0/8 trials done');
    expect(result.stdout).toContain('No trials running.');
  });

  it('stops watching on Ctrl-C with exit code 130', async () => {
    const watch = start(['watch', sweepId, '--coordinator', address, '--json']);
    await printed(watch.child, /\n/);
    const exited = once(watch.child, 'exit');
    watch.child.kill('SIGINT');
    expect(await exited).toEqual([130, null]);
  });

  it('cancels a sweep and says what was kept', async () => {
    const other = join(dir, 'cancel-me.yaml');
    await writeFile(other, TINY_SPEC.replace('name: tiny-report', 'name: cancel-me'));
    const submitted = JSON.parse((await plateau('submit', other, '--coordinator', address, '--json')).stdout) as { sweepId: string };
    const result = await plateau('cancel', submitted.sweepId, '--coordinator', address);
    expectExit(result, 0);
    expect(result.stdout).toContain(`Cancelled sweep "cancel-me" (${submitted.sweepId}): 0 of 8 trials had finished`);
    const status = JSON.parse((await plateau('status', submitted.sweepId, '--coordinator', address, '--json')).stdout) as { summary: { state: string } };
    expect(status.summary.state).toBe('cancelled');
  });

  it('watches a sweep live until an agent has run it to the end', async () => {
    start(['--log-level', 'warn', 'agent', '--coordinator', address, '--slots', '1', '--backend', 'cpu', '--metrics-port', 'off']);
    const result = await plateau('watch', sweepId, '--coordinator', address, '--json');
    expectExit(result, 0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { summary: { state: string; counts: { succeeded: number } }; running: { trialId: string; epochs: number }[] });
    expect(events.at(-1)?.summary).toMatchObject({ state: 'succeeded', counts: { succeeded: 8 } });
    const succeeded = events.map((event) => event.summary.counts.succeeded);
    expect(succeeded).toEqual([...succeeded].sort((a, b) => a - b));
    const running = events.flatMap((event) => event.running);
    expect(running.length).toBeGreaterThan(0);
    expect(running.every((trial) => trial.epochs === 6)).toBe(true);
  });

  it('fetches the results: writes results.json, results.csv and report.html and prints the ranking and snippets', async () => {
    const out = join(dir, 'fetched');
    const result = await plateau('results', sweepId, '--coordinator', address, '--out', out);
    expectExit(result, 0);
    expect(result.stdout).toContain(`Sweep "tiny-report" (${sweepId}) — finished`);
    expect(result.stdout).toContain('Best schedule — Keras (Python):');
    expect(result.stdout).toContain(join(out, 'report.html'));
    const doc = parseResultsJson(await readFile(join(out, 'results.json'), 'utf8'));
    expect(doc.trials.filter((trial) => trial.status === 'succeeded')).toHaveLength(8);
    expect((await stat(join(out, 'results.csv'))).size).toBeGreaterThan(0);
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('<title>tiny-report — plateau-sweep report</title>');
  });

  it('lists every sweep with its state, progress and best objective', async () => {
    const result = await plateau('status', '--coordinator', address);
    expectExit(result, 0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SWEEP\s+NAME\s+STATE\s+DONE/);
    expect(lines.find((line) => line.startsWith(sweepId))).toMatch(/tiny-report\s+succeeded\s+8\/8\s.*\d\.\d+ \(lr /);
    expect(lines.find((line) => line.includes('cancel-me'))).toMatch(/cancelled/);
  });

  it.concurrent.each([['status'], ['watch'], ['results'], ['cancel']])('%s of an unknown sweep says so and exits 2', async (command) => {
    const result = await plateau(command, 'no-such-sweep', '--coordinator', address);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining(`no sweep "no-such-sweep" on the coordinator at ${address}`) });
  });

  it.concurrent('names the address and exits 1 when no coordinator listens there', async () => {
    const result = await plateau('status', '--coordinator', '127.0.0.1:1');
    expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot reach the coordinator at 127.0.0.1:1') });
  });

  it.concurrent('refuses an invalid spec with exit 2 before contacting any coordinator', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, TINY_SPEC.replace('factor: [0.1, 0.5]', 'factor: [0.1, 1.5]'));
    const result = await plateau('submit', bad, '--coordinator', '127.0.0.1:1');
    expectExit(result, 2);
    expect(result.stderr).toContain('grid.factor');
  });

  it.concurrent('asks for the token when the coordinator requires one, and gets in with it', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'a-shared-secret-of-32-characters\n');
    const secured = start(['--log-level', 'warn', 'coordinator', '--port', '0', '--metrics-port', 'off', '--token-file', tokenFile, '--data-dir', join(dir, 'secured-store')]);
    const securedAddress = (await printed(secured.child, /coordinator listening on (\S+)/))[1] ?? '';
    const refused = await plateau('status', '--coordinator', securedAddress);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining(`the coordinator at ${securedAddress} refused our credentials`) });
    expectExit(await plateau('status', '--coordinator', securedAddress, '--token-file', tokenFile), 0);
  });

  it.concurrent('refuses a --coordinator that is not HOST:PORT with exit 2', async () => {
    const result = await plateau('status', '--coordinator', 'localhost');
    expectExit(result, 2);
    expect(result.stderr).toContain('expected HOST:PORT');
  });
});
