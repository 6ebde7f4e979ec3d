// The one reader of numeric, size and duration options: what it accepts and how it refuses.
import { describe, expect, it } from 'vitest';
import { OptionValueError, parseDuration, parseInteger, parsePort } from '../../cli/option-values.js';

function refusal(read: () => unknown): OptionValueError {
  try {
    read();
  } catch (error) {
    if (error instanceof OptionValueError) return error;
    throw error;
  }
  throw new Error('expected an OptionValueError');
}

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1.5s', 1_500],
    [' 45s ', 45_000],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text, '--lease-timeout')).toBe(ms);
  });

  it('refuses a number without a unit and shows it with one', () => {
    const error = refusal(() => parseDuration('5', '--lease-timeout'));
    expect(error.message).toBe('--lease-timeout: "5" — expected a duration with a unit, such as 30s, 500ms, 2m or 1h (a number alone has no unit: write 5s for seconds)');
  });

  it.each(['', 'soon', '-1s', '5 days', '1e3s', '0x10s', 'NaN', 'Infinitys', '30S'])('refuses %j, naming the option', (text) => {
    expect(refusal(() => parseDuration(text, '--drain')).option).toBe('--drain');
  });

  it('refuses a duration below the minimum with the reason given', () => {
    const error = refusal(() => parseDuration('200ms', '--lease-timeout', { minMs: 1_000, minReason: 'too short to heartbeat' }));
    expect(error.message).toContain('at least 1s (too short to heartbeat)');
  });

  it('refuses zero unless zero means none for that option', () => {
    expect(refusal(() => parseDuration('0s', '--epoch-timeout')).option).toBe('--epoch-timeout');
    expect(parseDuration('0', '--drain', { allowZero: true })).toBe(0);
    expect(parseDuration('0s', '--drain', { allowZero: true })).toBe(0);
  });

  it('refuses a duration over a day, where a typo is likelier than a wish', () => {
    expect(refusal(() => parseDuration('25h', '--drain')).message).toContain('at most 24h');
    expect(refusal(() => parseDuration('99999999999999999999h', '--drain')).option).toBe('--drain');
  });
});

describe('parseInteger', () => {
  it('reads whole numbers within bounds', () => {
    expect(parseInteger('4', '--slots', { max: 256 })).toBe(4);
    expect(parseInteger(' 1 ', '--slots')).toBe(1);
  });

  it.each(['0', '-1', '1.5', '1e3', '0x10', 'two', '', '4 slots', '9007199254740993'])('refuses %j', (text) => {
    expect(refusal(() => parseInteger(text, '--fuse')).option).toBe('--fuse');
  });

  it('says the range when a value is above the maximum', () => {
    expect(refusal(() => parseInteger('1000', '--slots', { max: 256, what: 'of slots' })).message).toBe('--slots: "1000" — expected a whole number of slots from 1 to 256');
  });
});

describe('parsePort', () => {
  it('takes 0 as any free port and refuses ports past 65535', () => {
    expect(parsePort('0', '--port')).toBe(0);
    expect(refusal(() => parsePort('65536', '--port')).option).toBe('--port');
  });
});
