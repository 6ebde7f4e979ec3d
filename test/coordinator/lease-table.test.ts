import { describe, expect, it } from 'vitest';
import { LeaseTable, loopStallMs } from '../../coordinator/lease-table.js';

function table(): LeaseTable {
  let n = 0;
  return new LeaseTable(() => `lease-${++n}`);
}

const grantAt = (leases: LeaseTable, trialKey: string, nowMs: number, agentId = 'agent-a') => leases.grant({ trialKey, agentId, nowMs, timeoutMs: 1_000 });

describe('LeaseTable', () => {
  it('grants a lease that expires one timeout after it was granted', () => {
    const lease = grantAt(table(), 's/t1', 5_000);
    expect(lease).toMatchObject({ leaseId: 'lease-1', trialKey: 's/t1', agentId: 'agent-a', fencingToken: 1, expiresAtMs: 6_000 });
  });

  it('gives each new lease of a trial a strictly larger fencing token', () => {
    const leases = table();
    const tokens = [0, 1, 2].map((i) => grantAt(leases, 's/t1', i * 10).fencingToken);
    expect(tokens).toEqual([1, 2, 3]);
    expect(grantAt(leases, 's/t2', 0).fencingToken).toBe(1);
  });

  it('continues the token sequence from a restored floor', () => {
    const leases = table();
    leases.restoreToken('s/t1', 7);
    leases.restoreToken('s/t1', 3);
    expect(grantAt(leases, 's/t1', 0).fencingToken).toBe(8);
  });

  it('validates only the current lease id with its own token', () => {
    const leases = table();
    const first = grantAt(leases, 's/t1', 0);
    expect(leases.validate(first.leaseId, first.fencingToken).status).toBe('current');
    expect(leases.validate(first.leaseId, first.fencingToken + 1).status).toBe('stale');
    expect(leases.validate('no-such-lease', 1).status).toBe('stale');
  });

  it('makes the older lease of a trial stale when a new one is granted', () => {
    const leases = table();
    const first = grantAt(leases, 's/t1', 0);
    const second = grantAt(leases, 's/t1', 10);
    expect(leases.validate(first.leaseId, first.fencingToken).status).toBe('stale');
    expect(leases.validate(second.leaseId, second.fencingToken).status).toBe('current');
  });

  it('renewing pushes the expiry one timeout past the renewal', () => {
    const leases = table();
    const lease = grantAt(leases, 's/t1', 0);
    const renewed = leases.renew(lease.leaseId, lease.fencingToken, 800);
    expect(renewed.status === 'current' ? renewed.lease.expiresAtMs : null).toBe(1_800);
    expect(leases.expired(1_500)).toEqual([]);
    expect(leases.expired(1_800).map((expired) => expired.leaseId)).toEqual([lease.leaseId]);
  });

  it('refuses to renew a stale lease', () => {
    const leases = table();
    const lease = grantAt(leases, 's/t1', 0);
    expect(leases.renew(lease.leaseId, 99, 10).status).toBe('stale');
  });

  it('lists expired leases oldest expiry first and forgets released ones', () => {
    const leases = table();
    const late = grantAt(leases, 's/t1', 500);
    const early = grantAt(leases, 's/t2', 0);
    expect(leases.expired(2_000).map((lease) => lease.leaseId)).toEqual([early.leaseId, late.leaseId]);
    leases.release(early.leaseId);
    expect(leases.expired(2_000).map((lease) => lease.leaseId)).toEqual([late.leaseId]);
    expect(leases.validate(early.leaseId, early.fencingToken).status).toBe('stale');
    expect(leases.currentFor('s/t2')).toBeUndefined();
    expect(leases.size).toBe(1);
  });

  it('keeps a released trial’s token so its next lease is still larger', () => {
    const leases = table();
    const first = grantAt(leases, 's/t1', 0);
    leases.release(first.leaseId);
    expect(grantAt(leases, 's/t1', 0).fencingToken).toBe(first.fencingToken + 1);
  });

  it('moves the expiry of every lease later by a stall, so no lease expires for time the coordinator was not answering', () => {
    const leases = table();
    grantAt(leases, 's/t1', 0);
    grantAt(leases, 's/t2', 500);
    leases.extendAll(8_000);
    expect(leases.expired(8_999)).toEqual([]);
    expect(leases.expired(9_000).map((lease) => lease.trialKey)).toEqual(['s/t1']);
    expect(leases.currentFor('s/t2')?.expiresAtMs).toBe(9_500);
  });

  it('keeps a lease renewed after a stall valid for its full timeout', () => {
    const leases = table();
    const lease = grantAt(leases, 's/t1', 0);
    leases.extendAll(5_000);
    leases.renew(lease.leaseId, lease.fencingToken, 5_500);
    expect(leases.currentFor('s/t1')?.expiresAtMs).toBe(6_500);
  });
});

describe('loopStallMs', () => {
  it('is zero for a check that ran on time', () => {
    expect(loopStallMs(1_000, 2_000, 1_000)).toBe(0);
  });

  it('is the time past the interval for a check that ran late', () => {
    expect(loopStallMs(1_000, 10_500, 1_000)).toBe(8_500);
  });

  it('is zero when the clock went backwards', () => {
    expect(loopStallMs(5_000, 1_000, 1_000)).toBe(0);
  });
});
