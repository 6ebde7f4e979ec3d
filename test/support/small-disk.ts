// A real small filesystem (tmpfs) that a test can fill to the last byte and free again, so a
// "disk full" is the kernel's ENOSPC under SQLite (SQLITE_FULL), not a mock. Mounting needs
// root (or CAP_SYS_ADMIN); where it is refused, `smallDiskRefusal` says why and the tests
// that need one are skipped with that reason printed.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  /** The mount point. */
  readonly dir: string;
  /** Takes every free byte (a filler file written until ENOSPC). */
  fill(): void;
  /** Gives the filler's space back: the disk has room again. */
  free(): void;
  /** Unmounts and removes the mount point. Safe to call twice. */
  unmount(): void;
}

const mounted = new Set<SmallDisk>();

function mountTmpfs(sizeBytes: number, readOnly = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'plateau-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}${readOnly ? ',ro' : ''}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmdirSync(dir);
    throw error;
  }
  return dir;
}

function unmountDir(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  } catch {
    // Already unmounted.
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Why a tmpfs cannot be mounted here, or undefined when it can. */
export const smallDiskRefusal: string | undefined = (() => {
  try {
    unmountDir(mountTmpfs(64 * 1024));
    return undefined;
  } catch (error) {
    const reason = `cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    process.stderr.write(`\n*** SKIPPED full-disk tests: ${reason}\n\n`);
    return reason;
  }
})();

export function mountSmallDisk(sizeBytes = 4 * 1024 * 1024): SmallDisk {
  const dir = mountTmpfs(sizeBytes);
  const filler = join(dir, 'filler');
  const disk: SmallDisk = {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024, 0x5a);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if (!(error instanceof Error && 'code' in error && error.code === 'ENOSPC')) throw error;
        // The last chunk did not fit whole: take what is left, byte by byte in smaller pieces.
        for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
          try {
            for (;;) writeSync(fd, chunk, 0, size);
          } catch {
            // This size no longer fits; try a smaller one.
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      mounted.delete(disk);
      unmountDir(dir);
    },
  };
  mounted.add(disk);
  return disk;
}

/** A directory on a read-only mount that holds what `populate` wrote before it was made read-only. */
export function readOnlyCopyOf(populate: (dir: string) => void): SmallDisk {
  const disk = mountSmallDisk();
  populate(disk.dir);
  execFileSync('mount', ['-o', 'remount,ro', disk.dir], { stdio: 'pipe' });
  return disk;
}

const boundReadOnly = new Set<string>();

/** Makes one existing file read-only by bind-mounting it onto itself read-only (refuses root too). */
export function bindReadOnly(path: string): void {
  execFileSync('mount', ['--bind', path, path], { stdio: 'pipe' });
  boundReadOnly.add(path);
  execFileSync('mount', ['-o', 'remount,ro,bind', path], { stdio: 'pipe' });
}

/** Unmounts every disk and read-only binding still mounted (afterEach). */
export function unmountSmallDisks(): void {
  for (const path of [...boundReadOnly]) {
    boundReadOnly.delete(path);
    try {
      execFileSync('umount', [path], { stdio: 'pipe' });
    } catch {
      // Already gone.
    }
  }
  for (const disk of [...mounted]) disk.unmount();
}
