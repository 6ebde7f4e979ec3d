import { parseBytes } from '../src/artifacts/format-bytes.js';

// Every number, size and duration a command-line option takes is read here, so every
// command refuses the same wrong input the same way: one line naming the option, what was
// given and what is expected (exit code 2 where the command catches OptionValueError).

export class OptionValueError extends Error {
  override readonly name = 'OptionValueError';
  constructor(
    readonly option: string,
    readonly found: string,
    readonly expected: string,
  ) {
    super(`${option}: ${JSON.stringify(found)} — expected ${expected}`);
  }
}

const durationUnits: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A day is longer than any lease, drain or epoch timeout anybody means; past it, a typo is likelier. */
const MAX_DURATION_MS = 24 * 3_600_000;

export interface DurationBounds {
  /** Smallest accepted value in ms (default 1 ms). */
  readonly minMs?: number;
  /** Why the minimum is what it is, said in the error. */
  readonly minReason?: string;
  /** Accept a bare `0` (meaning "none" for that option). */
  readonly allowZero?: boolean;
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

/**
 * '30s' | '500ms' | '2m' | '1h' | '1.5s' → milliseconds. A number without a unit is refused:
 * `--lease-timeout 5` once meant 5 ms and every lease expired mid-epoch.
 */
export function parseDuration(text: string, option: string, bounds: DurationBounds = {}): number {
  const trimmed = text.trim();
  if (bounds.allowZero === true && /^0+(?:\.0+)?(?:ms|s|m|h)?$/.test(trimmed)) return 0;
  const example = 'a duration with a unit, such as 30s, 500ms, 2m or 1h';
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) throw new OptionValueError(option, text, `${example} (a number alone has no unit: write ${trimmed}s for seconds)`);
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(trimmed);
  const amount = match?.[1];
  const unit = match?.[2];
  if (amount === undefined || unit === undefined) throw new OptionValueError(option, text, example);
  const ms = Math.round(Number(amount) * (durationUnits[unit] ?? 1));
  const minMs = bounds.minMs ?? 1;
  if (!Number.isFinite(ms) || ms < minMs) {
    const reason = bounds.minReason === undefined ? '' : ` (${bounds.minReason})`;
    throw new OptionValueError(option, text, `a duration of at least ${formatMs(minMs)}${reason}${bounds.allowZero === true ? ', or 0 for none' : ''}`);
  }
  if (ms > MAX_DURATION_MS) throw new OptionValueError(option, text, `a duration of at most ${formatMs(MAX_DURATION_MS)}`);
  return ms;
}

export interface IntegerBounds {
  readonly min?: number;
  readonly max?: number;
  /** What the number counts, for the error (e.g. "agent slots"). */
  readonly what?: string;
}

/** Upper bounds of the counting options: far above any real use, low enough to catch a typo. */
export const MAX_SLOTS = 256;
export const MAX_FUSE = 4_096;
export const MAX_FUSE_MEMORY_MB = 1_048_576;
export const MAX_EPOCHS = 1_000_000;
export const MAX_TABLE_ROWS = 100_000;

/** A whole number written in digits (no signs, exponents, units or fractions) within bounds. */
export function parseInteger(text: string, option: string, bounds: IntegerBounds = {}): number {
  const min = bounds.min ?? 1;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  const what = bounds.what === undefined ? '' : ` ${bounds.what}`;
  const range = max === Number.MAX_SAFE_INTEGER ? (min === 1 ? `a positive whole number${what}` : `a whole number${what} ≥ ${min}`) : `a whole number${what} from ${min} to ${max}`;
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw new OptionValueError(option, text, range);
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new OptionValueError(option, text, range);
  return value;
}

/** A TCP port; 0 asks the system for a free one. `orElse` names what else the option takes (e.g. "off"). */
export function parsePort(text: string, option: string, orElse?: string): number {
  const expected = `a port number from 0 to 65535 (0: any free port)${orElse === undefined ? '' : `, or ${orElse}`}`;
  const trimmed = text.trim();
  const port = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || port > 65_535) throw new OptionValueError(option, text, expected);
  return port;
}

/** A size such as 512MiB, 8GiB, 20GB (binary units either way) or a number of bytes, within 1 byte..1 PiB. */
export function parseByteSize(text: string, option: string): number {
  const bytes = parseBytes(text);
  if (bytes === undefined || bytes > 2 ** 50) throw new OptionValueError(option, text, 'a size such as 512MiB or 8GiB (at most 1PiB)');
  return bytes;
}
