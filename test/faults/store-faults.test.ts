// A damaged store file is refused at open with its path and a typed error (exit code 2 at
// the CLI, no stack trace); a write that fails midway leaves nothing half-written.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { storeFileName, StoreOpenError, SweepStore } from '../../coordinator/sweep-store.js';
import { expandGrid } from '../../src/spec/grid.js';
import type { TrialResult } from '../../src/trial/types.js';
import { removeTempDirs, resultFor, tempDataDir, tinySweepSpec } from '../coordinator/fixtures.js';
import { killAllPlateauProcesses, spawnPlateau } from '../support/plateau-process.js';

afterEach(() => {
  killAllPlateauProcesses();
  removeTempDirs();
});

function openError(dataDir: string): StoreOpenError {
  try {
    SweepStore.open(dataDir, 1_000).close();
  } catch (error) {
    if (error instanceof StoreOpenError) return error;
    throw error;
  }
  throw new Error('expected a StoreOpenError');
}

/** A store with one sweep, closed, then damaged by `damage`. */
function damagedStore(damage: (bytes: Buffer) => Buffer): string {
  const dataDir = tempDataDir();
  const store = SweepStore.open(dataDir, 1_000);
  const spec = tinySweepSpec({ grid: { learningRate: Array.from({ length: 300 }, (_, i) => (i + 1) / 1000), factor: [0.5], patience: [1] } });
  store.createSweep({ sweepId: 's1', spec, specSource: 'x'.repeat(50_000), trials: expandGrid(spec), nowMs: 1_000 });
  store.close();
  const file = join(dataDir, storeFileName);
  writeFileSync(file, damage(readFileSync(file)));
  return dataDir;
}

describe('opening a damaged store', () => {
  it('refuses a file that is not a database, naming it', () => {
    const dataDir = tempDataDir();
    writeFileSync(join(dataDir, storeFileName), 'this is not sqlite\n'.repeat(100));
    const error = openError(dataDir);
    expect(error.file).toBe(join(dataDir, storeFileName));
    expect(error.code).toBe('SQLITE_NOTADB');
  });

  it('refuses a store whose pages were overwritten', () => {
    const dataDir = damagedStore((bytes) => {
      const copy = Buffer.from(bytes);
      // Keep the header page, scribble over the b-tree pages after it.
      for (let i = 4096; i < copy.length; i += 7) copy[i] = (i * 31) & 0xff;
      return copy;
    });
    expect(openError(dataDir).code).toMatch(/^SQLITE_(CORRUPT|NOTADB)/);
  });

  it('refuses a truncated store', () => {
    const dataDir = damagedStore((bytes) => bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(openError(dataDir).code).toMatch(/^SQLITE_(CORRUPT|NOTADB)/);
  });

  it('makes plateau coordinator exit 2 with the path and no stack trace', async () => {
    const dataDir = tempDataDir();
    writeFileSync(join(dataDir, storeFileName), 'garbage'.repeat(1000));
    const coordinator = spawnPlateau(['coordinator', '--port', '0', '--data-dir', dataDir]);
    expect(await coordinator.exited()).toBe(2);
    expect(coordinator.stderr()).toContain(join(dataDir, storeFileName));
    expect(coordinator.stderr()).not.toMatch(/\n\s+at /);
  });
});

describe('a write that fails midway', () => {
  it('leaves the trial leased and no result row: the transaction rolls back whole', () => {
    const store = SweepStore.open(tempDataDir(), 1_000);
    try {
      const spec = tinySweepSpec();
      const trials = expandGrid(spec);
      store.createSweep({ sweepId: 's1', spec, specSource: '', trials, nowMs: 1_000 });
      const trialId = trials[0]?.id ?? '';
      const ref = { sweepId: 's1', trialId };
      store.leaseTrial(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', nowMs: 2_000 });
      // The state moves first inside recordResult; serializing this result then throws (a BigInt),
      // standing in for an I/O error between the two writes.
      const poisoned = { ...resultFor(trialId), wallSeconds: 1n } as unknown as TrialResult;
      expect(() => store.recordResult(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', result: poisoned, nowMs: 3_000 })).toThrow();
      expect(store.getTrial(ref)?.state).toBe('leased');
      expect(store.resultLease(ref)).toBeUndefined();
      // And the retry with a good result goes through.
      expect(store.recordResult(ref, { leaseId: 'L1', fencingToken: 1, agentId: 'a', result: resultFor(trialId), nowMs: 3_000 })).toBe('succeeded');
    } finally {
      store.close();
    }
  });
});
