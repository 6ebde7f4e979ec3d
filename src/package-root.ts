// Locates files of this package at run time, the same way from dist/ (built JS) and from
// sources (vitest): walk up from the calling module to the package.json named plateau-sweep.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'plateau-sweep';

export class PackageRootNotFoundError extends Error {
  override readonly name = 'PackageRootNotFoundError';
  constructor(readonly startDir: string) {
    super(`no package.json named "${PACKAGE_NAME}" above ${startDir}`);
  }
}

function namesThisPackage(packageJsonPath: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(packageJsonPath, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && 'name' in parsed && parsed.name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

export function findPackageRoot(fromModuleUrl: string): string {
  const startDir = dirname(fileURLToPath(fromModuleUrl));
  let dir = startDir;
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && namesThisPackage(candidate)) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new PackageRootNotFoundError(startDir);
    dir = parent;
  }
}

function versionIn(packageJsonPath: string): string | null {
  try {
    const parsed: unknown = JSON.parse(readFileSync(packageJsonPath, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string') return parsed.version;
  } catch {
    // Unreadable or absent: the caller says the version is unknown rather than guessing.
  }
  return null;
}

/** This package's version (reported to the coordinator at registration). */
export function packageVersion(): string {
  try {
    return versionIn(join(findPackageRoot(import.meta.url), 'package.json')) ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The installed version of a dependency (read from its package.json under this package's
 * node_modules, so optional peers that are absent answer null without being loaded).
 */
export function dependencyVersion(name: string): string | null {
  try {
    return versionIn(join(findPackageRoot(import.meta.url), 'node_modules', ...name.split('/'), 'package.json'));
  } catch {
    return null;
  }
}
