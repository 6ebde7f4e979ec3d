// The client commands (submit, status, watch, results, cancel) as a user runs them: built CLI
// child processes against a real `plateau coordinator` process, and a real agent for the
// sweep that must finish.
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResultsJson } from '../../src/results/parse-results.js';
import { killAllPlateauProcesses, listeningAddress, runPlateau, spawnPlateau, type FinishedPlateau } from '../support/plateau-process.js';
import { TINY_SPEC, writeTinySpec } from './tiny-sweep.js';

/** `plateau ARGS`, run to its end, as typed at a shell. */
const plateau = (...args: string[]): Promise<FinishedPlateau> => runPlateau(args);

/** Asserts the exit code, showing stderr when it is not the expected one. */
function expectExit(result: FinishedPlateau, code: number): void {
  expect({ code: result.code, stderr: result.code === code ? '' : result.stderr }).toEqual({ code, stderr: '' });
}

describe('client commands against a running coordinator', () => {
  let dir: string;
  let specFile: string;
  let address: string;
  let sweepId: string;

  beforeAll(async () => {
    ({ dir, specFile } = await writeTinySpec('plateau-client-'));
    address = await listeningAddress(spawnPlateau(['--log-level', 'warn', 'coordinator', '--port', '0', '--metrics-port', 'off', '--data-dir', join(dir, 'store')]));
  });

  afterAll(async () => {
    await killAllPlateauProcesses();
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
    expect(JSON.parse(result.stdout)).toEqual({ sweepId, name: 'tiny-report', resumed: true, totalTrials: 8, uploadedBytes: 0, resumedBytes: 0 });
  });

  it('shows one sweep: its summary and a table of running trials', async () => {
    const result = await plateau('status', sweepId, '--coordinator', address);
    expectExit(result, 0);
    expect(result.stdout).toContain(`Sweep "tiny-report" (${sweepId}) — running`);
    expect(result.stdout).toContain('0/8 trials done');
    expect(result.stdout).toContain('No trials running.');
  });

  it('stops watching on Ctrl-C with exit code 130', async () => {
    const watch = spawnPlateau(['watch', sweepId, '--coordinator', address, '--json']);
    await watch.waitFor(/"summary":/);
    watch.child.kill('SIGINT');
    expect(await watch.exited()).toBe(130);
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
    spawnPlateau(['--log-level', 'warn', 'agent', '--coordinator', address, '--slots', '1', '--backend', 'cpu', '--metrics-port', 'off']);
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

  it('addresses a sweep by its name where that name is unique', async () => {
    const result = await plateau('results', 'tiny-report', '--coordinator', address, '--out', join(dir, 'by-name'), '--json');
    expectExit(result, 0);
    expect((JSON.parse(result.stdout) as { sweepId: string }).sweepId).toBe(sweepId);
  });

  it('lists the matching ids with their creation times, and exits 2, when a name is not unique', async () => {
    const twin = join(dir, 'twin.yaml');
    await writeFile(twin, TINY_SPEC.replace('factor: [0.1, 0.5]', 'factor: [0.2, 0.5]'));
    const submitted = JSON.parse((await plateau('submit', twin, '--coordinator', address, '--json')).stdout) as { sweepId: string; name: string };
    expect(submitted.name).toBe('tiny-report');
    const result = await plateau('status', 'tiny-report', '--coordinator', address);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^2 sweeps are named "tiny-report": /);
    expect(result.stderr).toContain(`${submitted.sweepId} (created 20`);
    expect(result.stderr).toContain(`${sweepId} (created 20`);
    await plateau('cancel', submitted.sweepId, '--coordinator', address);
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
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining(`no sweep with the id or name "no-such-sweep" on the coordinator at ${address}`) });
  });

  it.concurrent('says in one line which address it tried and how to start or point at a coordinator when none listens there', async () => {
    const result = await plateau('status', '--coordinator', '127.0.0.1:1');
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'cannot reach a coordinator at 127.0.0.1:1: nothing listens there — start one with `plateau coordinator --data-dir DIR`, or point at a running one with --coordinator HOST:PORT',
    ]);
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
    const securedAddress = await listeningAddress(spawnPlateau(['--log-level', 'warn', 'coordinator', '--port', '0', '--metrics-port', 'off', '--token-file', tokenFile, '--data-dir', join(dir, 'secured-store')]));
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
