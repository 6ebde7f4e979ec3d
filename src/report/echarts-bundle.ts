// The charting library, inlined into every report so the file opens with no network. The
// minified UMD build ships in the echarts package; we find it through Node's resolver (its
// "exports" hide dist/echarts.min.js, but "require" resolves to its sibling dist/echarts.js),
// so this works the same from src/ under vitest and from dist/ in a fresh clone.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export class ReportAssetError extends Error {
  override readonly name = 'ReportAssetError';
  constructor(
    readonly asset: string,
    readonly reason: string,
  ) {
    super(`cannot load ${asset} for report.html: ${reason} (is the echarts package installed?)`);
  }
}

let cached: string | undefined;

/** The echarts minified bundle's text, read once per process. */
export function loadEchartsBundle(): string {
  if (cached !== undefined) return cached;
  let file = 'echarts/dist/echarts.min.js';
  try {
    file = join(dirname(createRequire(import.meta.url).resolve('echarts')), 'echarts.min.js');
    cached = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ReportAssetError(file, error instanceof Error ? error.message : String(error));
  }
  return cached;
}
