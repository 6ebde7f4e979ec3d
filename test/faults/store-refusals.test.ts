// `plateau coordinator` refuses, at start, a store it could not work with: exit code 2 and one
// line naming the path and the reason, never a coordinator that starts "healthy" and fails at
// its first write, nor an empty store standing in for a lost one.
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { storeFileName, SweepStore } from '../../coordinator/sweep-store.js';
import { killAllPlateauProcesses, spawnPlateau } from '../support/plateau-process.js';
import { bindReadOnly, readOnlyCopyOf, smallDiskRefusal, unmountSmallDisks } from '../support/small-disk.js';
import { removeTempDirs, tempDir } from '../support/temp-dirs.js';
import { knownAnswerSpec, writeSpec } from '../e2e/fixtures.js';

afterEach(() => {
  killAllPlateauProcesses();
  unmountSmallDisks();
  removeTempDirs();
});

/** Starts the real CLI on `dataDir` and returns how it ended. */
async function startCoordinator(dataDir: string): Promise<{ code: number | string; errorLines: string[]; stderr: string }> {
  const finished = await spawnPlateau(['coordinator', '--port', '0', '--metrics-port', 'off', '--data-dir', dataDir]).finished();
  return { code: finished.code, errorLines: finished.stderr.split('\n').filter((line) => line.includes('ERROR')), stderr: finished.stderr };
}

function expectOneLineRefusal(outcome: { code: number | string; errorLines: string[]; stderr: string }, path: string, reason: RegExp): void {
  expect(outcome.code).toBe(2);
  expect(outcome.errorLines).toHaveLength(1);
  expect(outcome.errorLines[0]).toContain(path);
  expect(outcome.errorLines[0]).toMatch(reason);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
}

/** A closed store with its schema, in a fresh data dir. */
function existingStore(dataDir: string): void {
  SweepStore.open(dataDir, 1_000).close();
}

describe('plateau coordinator refuses at start', () => {
  it('a data dir that is a file', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    expectOneLineRefusal(await startCoordinator(file), file, /is a file, not a directory/);
  });

  it('a data dir under a file', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const under = join(file, 'data');
    expectOneLineRefusal(await startCoordinator(under), under, /runs through a file/);
  });

  it('a 0-byte store file, instead of starting an empty store in its place', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, storeFileName);
    writeFileSync(file, '');
    expectOneLineRefusal(await startCoordinator(dataDir), file, /EMPTY_STORE.*empty \(0 bytes\)/);
  });

  it('a store file that is not SQLite', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, storeFileName);
    writeFileSync(file, 'this is not sqlite\n'.repeat(100));
    expectOneLineRefusal(await startCoordinator(dataDir), file, /SQLITE_NOTADB/);
  });

  it('a SQLite database that is not a plateau store', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, storeFileName);
    const other = new Database(file);
    other.exec('CREATE TABLE notes (text TEXT)');
    other.close();
    expectOneLineRefusal(await startCoordinator(dataDir), file, /NOT_A_STORE/);
  });

  // A read-only mount refuses root too (mode bits do not), so this is the faithful test as root.
  it.skipIf(smallDiskRefusal !== undefined)('a data dir on a read-only filesystem (a real read-only tmpfs mount: EROFS)', async () => {
    const disk = readOnlyCopyOf((dir) => existingStore(join(dir, 'data')));
    const dataDir = join(disk.dir, 'data');
    expectOneLineRefusal(await startCoordinator(dataDir), dataDir, /EROFS.*not writable/);
  });

  // The directory stays writable; only the file is read-only, so SQLite opens it read-only and writes answer SQLITE_READONLY.
  it.skipIf(smallDiskRefusal !== undefined)('a store file that cannot be written (bind-mounted read-only onto itself: SQLITE_READONLY)', async () => {
    const dataDir = tempDir();
    existingStore(dataDir);
    const file = join(dataDir, storeFileName);
    bindReadOnly(file);
    expectOneLineRefusal(await startCoordinator(dataDir), file, /SQLITE_READONLY.*read-only/);
  });
});

describe('plateau run (embedded coordinator) refuses at start', () => {
  it('a 0-byte store file, naming it, with exit code 2', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'store');
    const spec = writeSpec(dir, knownAnswerSpec);
    existingStore(dataDir);
    const file = join(dataDir, storeFileName);
    writeFileSync(file, '');
    const finished = await spawnPlateau(['run', spec, '--agents', '1', '--out', join(dir, 'out'), '--data-dir', dataDir]).finished();
    expect(finished.code).toBe(2);
    expect(finished.stderr).toContain(file);
    expect(finished.stderr).toMatch(/EMPTY_STORE/);
    expect(finished.stderr).not.toMatch(/\n\s+at /);
  });
});
