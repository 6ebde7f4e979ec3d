// Whether the sweep store can write, as one visible state: `healthy`, or `unwritable` with the
// disk's reason (full, I/O error, remounted read-only) while a probe retries the write with a
// capped backoff. The first successful write or probe makes it healthy again: a full disk that
// is freed needs no restart. The gRPC health service and /healthz follow this state.

export type StoreHealth =
  | { readonly state: 'healthy' }
  | {
      readonly state: 'unwritable';
      /** SQLite's or the system's code, e.g. SQLITE_FULL, SQLITE_IOERR_WRITE, ENOSPC. */
      readonly code: string;
      readonly reason: string;
      /** Wall-clock time of the write that failed first. */
      readonly sinceMs: number;
      /** Probes that have failed since. */
      readonly failedProbes: number;
    };

export const healthyStore: StoreHealth = { state: 'healthy' };

/** A write refused or failed because the store's disk cannot take it now: retry later (UNAVAILABLE). */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(
    readonly file: string,
    readonly code: string,
    readonly reason: string,
  ) {
    super(`${file}: the sweep store cannot write (${code}: ${reason}); retry once it recovers`);
  }
}

/**
 * The error's code when it says the disk could not take a write, else undefined. SQLite's
 * extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, …) count with their base code;
 * the system codes come from the store's own fsync of the WAL.
 */
export function diskWriteErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') return undefined;
  return /^(SQLITE_FULL|SQLITE_IOERR|SQLITE_READONLY|SQLITE_CANTOPEN)|^(ENOSPC|EDQUOT|EIO|EROFS)$/.test(error.code) ? error.code : undefined;
}

/** How often an unwritable store tries to write again: initialMs, doubling, at most maxMs. */
export interface WriteProbePolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const defaultWriteProbe: WriteProbePolicy = { initialMs: 100, maxMs: 2_000 };

/** The wait before the next probe, after `failedProbes` probes failed. Pure. */
export function probeDelayMs(policy: WriteProbePolicy, failedProbes: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** failedProbes);
}

export type StoreHealthListener = (health: StoreHealth) => void;

/**
 * Holds the store's health and owns the probe timer. `probe` attempts a write and throws when
 * it fails; the monitor never runs it while the store is healthy.
 */
export class StoreHealthMonitor {
  private current: StoreHealth = healthyStore;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<StoreHealthListener>();
  private closed = false;

  constructor(
    private readonly probe: () => void,
    private readonly policy: WriteProbePolicy = defaultWriteProbe,
    private readonly now: () => number = Date.now,
  ) {}

  get health(): StoreHealth {
    return this.current;
  }

  /** A write failed for want of disk (`code` from diskWriteErrorCode): unwritable until a probe succeeds. */
  writeFailed(code: string, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    if (this.current.state === 'healthy') {
      this.change({ state: 'unwritable', code, reason, sinceMs: this.now(), failedProbes: 0 });
    }
    this.schedule();
  }

  /** A write went through: healthy again. */
  writeSucceeded(): void {
    if (this.current.state === 'healthy') return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.change(healthyStore);
  }

  /** Subscribes to changes of state; returns the function that unsubscribes. */
  onChange(listener: StoreHealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops probing. Safe to call twice. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private schedule(): void {
    const current = this.current;
    if (this.closed || this.timer !== undefined || current.state === 'healthy') return;
    this.timer = setTimeout(() => this.runProbe(), probeDelayMs(this.policy, current.failedProbes));
    // The probe keeps watch; it must not keep a finished process alive.
    this.timer.unref();
  }

  private runProbe(): void {
    this.timer = undefined;
    if (this.closed) return;
    try {
      this.probe();
    } catch (error) {
      const current = this.current;
      if (current.state === 'unwritable') {
        // Same state, fresher reason: a listener need not hear of every failed probe.
        this.current = {
          ...current,
          code: diskWriteErrorCode(error) ?? current.code,
          reason: error instanceof Error ? error.message : String(error),
          failedProbes: current.failedProbes + 1,
        };
      }
      this.schedule();
      return;
    }
    this.writeSucceeded();
  }

  private change(next: StoreHealth): void {
    this.current = next;
    for (const listener of [...this.listeners]) listener(next);
  }
}
