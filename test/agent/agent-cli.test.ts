// `plateau agent` as a user runs it: the built CLI (bin/plateau → dist/) in a real process.
import { afterEach, describe, expect, it } from 'vitest';
import { parseAgentCommand, parseGpuList } from '../../cli/commands/agent.js';
import { OptionValueError } from '../../cli/option-values.js';
import { killAllPlateauProcesses, runPlateau, spawnPlateau } from '../support/plateau-process.js';

const defaults = { coordinator: '127.0.0.1:50051', backend: 'auto', drain: '30s' };

afterEach(() => killAllPlateauProcesses());

describe('plateau agent options', () => {
  it('gives one slot per GPU when --gpus is given without --slots', () => {
    expect(parseAgentCommand({ ...defaults, gpus: '0,1' })).toMatchObject({ gpus: [0, 1], slots: undefined });
    expect(parseGpuList(' 2, 3 ')).toEqual([2, 3]);
  });

  it.each([
    [{ coordinator: 'nohost' }, '--coordinator'],
    [{ slots: '0' }, '--slots'],
    [{ slots: 'two' }, '--slots'],
    [{ gpus: '0,a' }, '--gpus'],
    [{ gpus: '1,1' }, '--gpus'],
    [{ backend: 'gpu' }, '--backend'],
  ])('refuses %o, naming %s', (override, option) => {
    const error: unknown = (() => {
      try {
        parseAgentCommand({ ...defaults, ...override });
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(OptionValueError);
    expect(error).toMatchObject({ option });
  });
});

describe('plateau agent', () => {
  it('exits 2 before starting anything when an option is invalid', async () => {
    const exit = await runPlateau(['agent', '--coordinator', '127.0.0.1:1', '--backend', 'quantum']);
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('--backend');
  });

  it('starts one slot per GPU and exits 0 on SIGTERM, even with no coordinator to reach', async () => {
    const agent = spawnPlateau(['agent', '--coordinator', '127.0.0.1:1', '--gpus', '0,1', '--backend', 'cpu']);
    await agent.waitFor(/agent started/);
    agent.child.kill('SIGTERM');
    const exit = await agent.finished();
    expect(exit.stdout).toContain('agent started (2 slots, backend cpu)');
    expect(exit.code).toBe(0);
  });
});
