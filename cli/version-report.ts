// `plateau --version`: this package's version; with --json, what a bug report needs besides:
// node, tfjs and each backend package (null when not installed), and the gRPC protocol.
import { dependencyVersion, packageVersion } from '../src/package-root.js';
import { protocolPackage } from '../src/rpc/wire.js';

export interface VersionReport {
  readonly plateau: string;
  readonly node: string;
  readonly proto: string;
  /** Installed version of each tfjs package; null where an optional backend is not installed. */
  readonly tfjs: Readonly<Record<string, string | null>>;
}

const TFJS_PACKAGES = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
] as const;

export function versionReport(): VersionReport {
  return {
    plateau: packageVersion(),
    node: process.version,
    proto: protocolPackage,
    tfjs: Object.fromEntries(TFJS_PACKAGES.map((name) => [name, dependencyVersion(name)])),
  };
}

/** Flags that ask for the version, and only for it (`plateau -V`, `plateau --version --json`). */
export function asksForVersion(args: readonly string[]): { readonly json: boolean } | null {
  if (!args.some((arg) => arg === '-V' || arg === '--version')) return null;
  if (!args.every((arg) => arg === '-V' || arg === '--version' || arg === '--json')) return null;
  return { json: args.includes('--json') };
}

export function formatVersion(report: VersionReport, json: boolean): string {
  return json ? JSON.stringify(report) : `plateau-sweep ${report.plateau}`;
}
