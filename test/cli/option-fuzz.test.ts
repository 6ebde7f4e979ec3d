// Every option of every command that takes a number, a size or a duration, fed wrong units,
// zero, negatives, huge values and non-numbers through the real CLI: each gets one line naming
// the option, what was given and what was expected, and exit code 2 before anything starts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killAllPlateauProcesses, runPlateau } from '../support/plateau-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'plateau-option-fuzz-'));
afterAll(async () => {
  await killAllPlateauProcesses();
  rmSync(dataDir, { recursive: true, force: true });
});

const quickSpec = new URL('../../examples/quick.yaml', import.meta.url).pathname;

type Kind = 'count' | 'duration' | 'port';

/** Bad values of each kind; each option gets the next one in turn, so every value is tried somewhere. */
const badValues: Readonly<Record<Kind, readonly string[]>> = {
  count: ['0', '-3', '1e3', 'two', '99999999999999999999', '2.5', '4MB'],
  // --drain takes a bare 0 (no drain), so the second value, its turn, is a negative one.
  duration: ['5', '-1s', '0s', 'soon', '1e3s', '48h', '30 sec'],
  port: ['65536', '-1', 'http', '80.5', '1e3'],
};

const commands: readonly (readonly [prefix: readonly string[], option: string, kind: Kind])[] = [
  [['run', quickSpec], '--agents', 'count'],
  [['run', quickSpec], '--top', 'count'],
  [['run', quickSpec], '--checkpoint-every', 'count'],
  [['run', quickSpec], '--fuse', 'count'],
  [['run', quickSpec], '--fuse-memory', 'count'],
  [['run', quickSpec], '--metrics-port', 'port'],
  [['coordinator', '--data-dir', dataDir], '--port', 'port'],
  [['coordinator', '--data-dir', dataDir], '--lease-timeout', 'duration'],
  [['coordinator', '--data-dir', dataDir], '--metrics-port', 'port'],
  [['agent', '--coordinator', '127.0.0.1:1'], '--slots', 'count'],
  [['agent', '--coordinator', '127.0.0.1:1'], '--drain', 'duration'],
  [['agent', '--coordinator', '127.0.0.1:1'], '--epoch-timeout', 'duration'],
  [['agent', '--coordinator', '127.0.0.1:1'], '--max-old-space', 'count'],
  [['agent', '--coordinator', '127.0.0.1:1'], '--checkpoint-every', 'count'],
  [['agent', '--coordinator', '127.0.0.1:1'], '--fuse', 'count'],
  [['agent', '--coordinator', '127.0.0.1:1'], '--fuse-memory', 'count'],
  [['agent', '--coordinator', '127.0.0.1:1'], '--metrics-port', 'port'],
  [['results', 'some-sweep', '--coordinator', '127.0.0.1:1'], '--top', 'count'],
];

const used: Record<Kind, number> = { count: 0, duration: 0, port: 0 };
const cases = commands.map(([prefix, option, kind]) => {
  const values = badValues[kind];
  const value = values[used[kind]++ % values.length] ?? '';
  return { command: prefix[0] ?? '', args: [...prefix, `${option}=${value}`], option, value };
});

describe('numeric, size and duration options of every command', () => {
  it.each(cases)('$command $option=$value exits 2 with one line naming the option and the value', async ({ args, option, value }) => {
    const { code, stderr, stdout } = await runPlateau(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(option);
    expect(lines[0]).toContain(JSON.stringify(value).replace(/"/g, ''));
    expect(lines[0]).toContain('expected');
  });
});
