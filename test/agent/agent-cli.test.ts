// `plateau agent` as a user runs it: the built CLI (bin/plateau → dist/) in a real process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AgentCommandError, parseAgentCommand, parseGpuList } from '../../src/cli/commands/agent.js';

const bin = fileURLToPath(new URL('../../bin/plateau', import.meta.url));
const defaults = { coordinator: '127.0.0.1:50051', backend: 'auto', drain: '30s' };

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runCli(args: readonly string[], onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

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
    expect(error).toBeInstanceOf(AgentCommandError);
    expect(error).toMatchObject({ option });
  });
});

describe('plateau agent', () => {
  it('exits 2 before starting anything when an option is invalid', async () => {
    const exit = await runCli(['agent', '--coordinator', '127.0.0.1:1', '--backend', 'quantum']);
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('--backend');
  });

  it('starts one slot per GPU and exits 0 on SIGTERM, even with no coordinator to reach', async () => {
    let signalled = false;
    const exit = await runCli(['agent', '--coordinator', '127.0.0.1:1', '--gpus', '0,1', '--backend', 'cpu'], (stdout, child) => {
      if (!signalled && stdout.includes('agent started')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    expect(exit.stdout).toContain('agent started (2 slots, backend cpu)');
    expect(exit.code).toBe(0);
  });
});
