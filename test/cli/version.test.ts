// `plateau --version` / `-V`, as every CLI people use answers it.
import { describe, expect, it } from 'vitest';
import { runPlateau } from '../support/plateau-process.js';
import { asksForVersion } from '../../cli/version-report.js';

const packageJson = (await import('../../package.json', { with: { type: 'json' } })).default as { version: string };

describe('plateau --version', () => {
  it.each([['--version'], ['-V']])('%s prints the package version and exits 0', async (flag) => {
    const { code, stdout } = await runPlateau([flag]);
    expect(code).toBe(0);
    expect(stdout).toBe(`plateau-sweep ${packageJson.version}\n`);
  });

  it('--version --json reports node, tfjs and its backends, and the protocol', async () => {
    const { code, stdout } = await runPlateau(['--version', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { plateau: string; node: string; proto: string; tfjs: Record<string, string | null> };
    expect(report).toMatchObject({ plateau: packageJson.version, node: process.version, proto: 'plateau.v1' });
    expect(report.tfjs['@tensorflow/tfjs-core']).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.tfjs['@tensorflow/tfjs-backend-wasm']).toMatch(/^\d+\.\d+\.\d+/);
    // An optional native backend that is not installed is reported as absent, not guessed.
    expect(Object.keys(report.tfjs)).toContain('@tensorflow/tfjs-node-gpu');
  });

  it('is not taken for a version request when other arguments come with it', () => {
    expect(asksForVersion(['status', '--json'])).toBeNull();
    expect(asksForVersion(['train', 'spec.yaml', '--version'])).toBeNull();
  });
});
