// `plateau coordinator` as a real child process running the built CLI (dist/, built by `npm test`).
import { afterEach, describe, expect, it } from 'vitest';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import { killAllPlateauProcesses, listeningAddress, runPlateau, spawnPlateau } from '../support/plateau-process.js';
import { removeTempDirs, tempDataDir } from './fixtures.js';

afterEach(async () => {
  await killAllPlateauProcesses();
  removeTempDirs();
});

describe('plateau coordinator', () => {
  it('serves on the port it prints and exits 0 on SIGTERM', async () => {
    const coordinator = spawnPlateau(['--log-format', 'json', 'coordinator', '--host', '127.0.0.1', '--port', '0', '--data-dir', tempDataDir(), '--lease-timeout', '5s']);
    const address = await listeningAddress(coordinator);
    const client = createGrpcSweepClient(address);
    try {
      await expect(client.list()).resolves.toEqual([]);
    } finally {
      client.close();
    }
    coordinator.child.kill('SIGTERM');
    const { code, stderr } = await coordinator.finished();
    expect(code).toBe(0);
    const events = stderr
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { event: string }).event);
    expect(events).toEqual(expect.arrayContaining(['coordinator.listening', 'coordinator.stopping', 'coordinator.stopped']));
  });

  it('refuses a lease timeout without a unit, with an example, instead of reading it as milliseconds', async () => {
    const { code, stderr } = await runPlateau(['coordinator', '--port', '0', '--data-dir', tempDataDir(), '--lease-timeout', '5']);
    expect(code).toBe(2);
    expect(stderr).toContain('--lease-timeout');
    expect(stderr).toContain('5s');
  });

  it('refuses a lease timeout too short to be held, saying why', async () => {
    const { code, stderr } = await runPlateau(['coordinator', '--port', '0', '--data-dir', tempDataDir(), '--lease-timeout', '200ms']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--lease-timeout.*at least 1s.*heartbeat/);
  });

  it('exits 2 on a --max-trials that is not a whole number ≥ 1, naming the option', async () => {
    const { code, stderr } = await runPlateau(['coordinator', '--port', '0', '--data-dir', tempDataDir(), '--max-trials', '0']);
    expect(code).toBe(2);
    expect(stderr).toContain('--max-trials');
  });

  it('exits 2 on a lease timeout it cannot read', async () => {
    const { code, stderr } = await runPlateau(['coordinator', '--port', '0', '--data-dir', tempDataDir(), '--lease-timeout', 'soon']);
    expect(code).toBe(2);
    expect(stderr).toContain('--lease-timeout');
  });
});
