// Small text helpers shared by the CLI renderers: number and duration formats people read
// at a glance, ANSI styling that is a no-op without color, and width handling.

/** Four significant digits, no trailing zeros; exponent form for very small or large values. */
export function formatObjective(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e6) return String(Number(value.toPrecision(4)));
  const [mantissa = '', exponent = ''] = value.toExponential(3).split('e');
  return `${String(Number(mantissa))}e${exponent.replace('+', '')}`;
}

/** A spread (std, range) to two significant digits: enough to judge, short next to a mean. */
export function formatSpread(value: number): string {
  if (!Number.isFinite(value)) return formatObjective(value);
  return String(Number(value.toPrecision(2)));
}

/** 42s, 3m07s, 1h02m. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export type TextStyle = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'boldGreen';

const ANSI: Readonly<Record<TextStyle, string>> = {
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  boldGreen: '\u001b[1;32m',
};
const RESET = '\u001b[0m';

export function styled(text: string, style: TextStyle, color: boolean): string {
  return color ? `${ANSI[style]}${text}${RESET}` : text;
}

/** Cuts `text` to `width` characters, ending in … when cut. Apply before styling. */
export function truncate(text: string, width: number | undefined): string {
  if (width === undefined || text.length <= width) return text;
  if (width <= 1) return text.slice(0, Math.max(0, width));
  return `${text.slice(0, width - 1)}…`;
}
