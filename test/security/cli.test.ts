// The security options of the real CLI processes: an exposed coordinator that refuses to
// start, and agents that bring the right token in — or stop with a clear error.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllPlateauProcesses, spawnPlateau } from '../support/plateau-process.js';
import { goodToken, removeTempDirs, tempDir, wrongToken } from './fixtures.js';

afterEach(() => {
  killAllPlateauProcesses();
  removeTempDirs();
});

function tokenFile(token: string): string {
  const file = join(tempDir(), 'token');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return file;
}

describe('plateau coordinator off loopback', () => {
  it('exits 2 without a token, naming the ways to fix it', async () => {
    const coordinator = spawnPlateau(['coordinator', '--host', '0.0.0.0', '--port', '0', '--data-dir', tempDir()], { env: { PLATEAU_TOKEN: '' } });
    expect(await coordinator.exited()).toBe(2);
    expect(coordinator.stderr()).toMatch(/refusing to listen on 0\.0\.0\.0 without authentication.*--token-file/);
  });

  it('starts with --token-file', async () => {
    const coordinator = spawnPlateau(['coordinator', '--host', '0.0.0.0', '--port', '0', '--data-dir', tempDir(), '--token-file', tokenFile(goodToken)]);
    await coordinator.waitFor(/coordinator listening on/);
    coordinator.child.kill('SIGTERM');
    expect(await coordinator.exited()).toBe(0);
  });

  it('exits 2 for an unusable token file', async () => {
    const coordinator = spawnPlateau(['coordinator', '--port', '0', '--data-dir', tempDir(), '--token-file', tokenFile('short')]);
    expect(await coordinator.exited()).toBe(2);
    expect(coordinator.stderr()).toMatch(/at least 16/);
  });
});

describe('plateau agent against a coordinator with a token', () => {
  async function coordinatorAddress(): Promise<string> {
    const coordinator = spawnPlateau(['coordinator', '--port', '0', '--data-dir', tempDir(), '--token-file', tokenFile(goodToken)]);
    const [, address] = await coordinator.waitFor(/coordinator listening on (\S+)/);
    if (address === undefined) throw new Error('no address');
    return address;
  }

  it('registers with the token from PLATEAU_TOKEN', async () => {
    const address = await coordinatorAddress();
    const agent = spawnPlateau(['--log-format', 'json', 'agent', '--coordinator', address, '--backend', 'cpu'], { env: { PLATEAU_TOKEN: goodToken } });
    await agent.waitFor(/"event":"agent\.registration-accepted"/);
    agent.child.kill('SIGTERM');
    expect(await agent.exited()).toBe(0);
  });

  it('stops with exit code 2 and a clear error when its token is refused', async () => {
    const address = await coordinatorAddress();
    const agent = spawnPlateau(['--log-format', 'json', 'agent', '--coordinator', address, '--backend', 'cpu', '--token-file', tokenFile(wrongToken)]);
    expect(await agent.exited()).toBe(2);
    expect(agent.stderr()).toMatch(/"event":"agent.unauthenticated".*token was refused/);
  });
});
