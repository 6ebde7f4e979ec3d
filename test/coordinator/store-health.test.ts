// The store's health state, without a disk: which errors mean "the disk cannot take a write",
// how the probe backs off, and that a probe that gets through makes the store healthy again.
import { describe, expect, it } from 'vitest';
import { diskWriteErrorCode, probeDelayMs, StoreHealthMonitor, type StoreHealth } from '../../coordinator/store-health.js';

function coded(code: string): Error {
  return Object.assign(new Error(code), { code });
}

describe('diskWriteErrorCode', () => {
  it.each([
    ['SQLITE_FULL', 'SQLITE_FULL'],
    ['SQLITE_IOERR_WRITE', 'SQLITE_IOERR_WRITE'],
    ['SQLITE_IOERR_FSYNC', 'SQLITE_IOERR_FSYNC'],
    ['SQLITE_READONLY_DBMOVED', 'SQLITE_READONLY_DBMOVED'],
    ['ENOSPC', 'ENOSPC'],
    ['EIO', 'EIO'],
    ['SQLITE_CONSTRAINT_PRIMARYKEY', undefined],
    ['SQLITE_CORRUPT', undefined],
    ['EIOX', undefined],
  ])('classifies %s', (code, expected) => {
    expect(diskWriteErrorCode(coded(code))).toBe(expected);
  });

  it('says nothing of an error without a code', () => {
    expect(diskWriteErrorCode(new Error('plain'))).toBeUndefined();
  });
});

describe('probeDelayMs', () => {
  it('doubles from the first delay and stops at the cap', () => {
    const policy = { initialMs: 100, maxMs: 2_000 };
    expect([0, 1, 2, 3, 4, 5, 60].map((failed) => probeDelayMs(policy, failed))).toEqual([100, 200, 400, 800, 1_600, 2_000, 2_000]);
  });
});

describe('StoreHealthMonitor', () => {
  it('turns unwritable with the reason of the failed write, then healthy once a probe gets through', async () => {
    let diskFull = true;
    const changes: StoreHealth[] = [];
    const monitor = new StoreHealthMonitor(
      () => {
        if (diskFull) throw coded('SQLITE_FULL');
      },
      { initialMs: 1, maxMs: 1 },
      () => 42,
    );
    const healthy = new Promise<void>((resolve) =>
      monitor.onChange((health) => {
        changes.push(health);
        if (health.state === 'healthy') resolve();
        // The space comes back once the store has said it cannot write.
        else diskFull = false;
      }),
    );
    monitor.writeFailed('SQLITE_FULL', new Error('database or disk is full'));
    expect(monitor.health).toEqual({ state: 'unwritable', code: 'SQLITE_FULL', reason: 'database or disk is full', sinceMs: 42, failedProbes: 0 });
    await healthy;
    expect(changes.map((health) => health.state)).toEqual(['unwritable', 'healthy']);
    monitor.close();
  });
});
