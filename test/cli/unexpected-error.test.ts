import { describe, expect, it } from 'vitest';
import { describeUnexpected } from '../../cli/main.js';

class DiskGoneError extends Error {
  override readonly name = 'DiskGoneError';
}

describe('an unexpected error at the command line', () => {
  it('reads as one line naming the error, with a hint where the stack is', () => {
    const text = describeUnexpected(new DiskGoneError('the data dir vanished'), false);
    expect(text).toBe('plateau: DiskGoneError: the data dir vanished (--log-level debug prints where it came from)');
    expect(text.split('\n')).toHaveLength(1);
  });

  it('adds the stack under --log-level debug', () => {
    const text = describeUnexpected(new DiskGoneError('the data dir vanished'), true);
    expect(text.split('\n')[0]).toBe('plateau: DiskGoneError: the data dir vanished');
    expect(text).toMatch(/\n\s+at /);
  });

  it('says what was thrown when it is not an Error', () => {
    expect(describeUnexpected('a string', false)).toBe('plateau: a string');
  });
});
