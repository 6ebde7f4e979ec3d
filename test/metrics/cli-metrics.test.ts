// `--metrics-port` on the real CLI: the coordinator serves /metrics and /healthz on the port
// it prints, a port the user asked for must be had, and a taken default port costs only /metrics.
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../e2e/fixtures.js';
import { killAllPlateauProcesses, spawnPlateau } from '../support/plateau-process.js';
import { sampleValue } from './exposition.js';

const listeners: Server[] = [];
afterEach(() => {
  killAllPlateauProcesses();
  for (const server of listeners.splice(0)) server.close();
});
afterAll(() => removeTempDirs());

/** Holds a loopback port (a given one, or any free one); null when someone else already holds it. */
function holdPort(port = 0): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      listeners.push(server);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : null);
    });
  });
}

describe('plateau coordinator --metrics-port', () => {
  it('serves /metrics and /healthz on the port it prints, and exits cleanly on SIGTERM', async () => {
    const coordinator = spawnPlateau(['coordinator', '--port', '0', '--metrics-port', '0', '--data-dir', join(tempDir(), 'store')]);
    const [, url] = await coordinator.waitFor(/coordinator metrics on (http:\S+)/);
    const metrics = await (await fetch(url ?? '')).text();
    expect(sampleValue(metrics, 'plateau_agents_connected')).toBe(0);
    const healthz = await fetch((url ?? '').replace(/\/metrics$/, '/healthz'));
    expect(healthz.status).toBe(200);
    coordinator.child.kill('SIGTERM');
    expect(await coordinator.exited()).toBe(0);
  });

  it('exits 2 when the metrics port it was given is taken', async () => {
    const taken = await holdPort();
    const coordinator = spawnPlateau(['coordinator', '--port', '0', '--metrics-port', String(taken), '--data-dir', join(tempDir(), 'store')]);
    expect(await coordinator.exited()).toBe(2);
    expect(coordinator.stderr()).toContain('coordinator.cannot-serve-metrics');
  });

  it('runs without /metrics, saying so, when the default metrics port is taken', async () => {
    await holdPort(9464);
    const coordinator = spawnPlateau(['coordinator', '--port', '0', '--data-dir', join(tempDir(), 'store')]);
    await coordinator.waitFor(/coordinator listening on/);
    await coordinator.waitFor(/metrics\.disabled|coordinator metrics on/);
    // Another process may hold 9464 instead of this test: either way the coordinator serves gRPC.
    expect(coordinator.stdout()).toContain('coordinator listening on');
    coordinator.child.kill('SIGTERM');
    expect(await coordinator.exited()).toBe(0);
  });

  it('refuses a metrics port that is not a port', async () => {
    const coordinator = spawnPlateau(['coordinator', '--port', '0', '--metrics-port', 'lots', '--data-dir', join(tempDir(), 'store')]);
    expect(await coordinator.exited()).toBe(2);
    expect(coordinator.stderr()).toContain('--metrics-port');
  });
});
