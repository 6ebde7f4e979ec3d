import { getBackend } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, selectBackend } from '../../src/train/backend.js';
import { recordingLogger } from './recording-logger.js';

// The native backends are optional peers and are not installed in this repository.
describe('selectBackend', () => {
  it('activates an explicitly requested cpu backend', async () => {
    const selection = await selectBackend('cpu', recordingLogger());
    expect(selection).toEqual({ name: 'cpu', skipped: [] });
    expect(getBackend()).toBe('cpu');
  });

  it('loads the wasm backend in Node from the package\'s own .wasm files', async () => {
    const selection = await selectBackend('wasm', recordingLogger());
    expect(selection.name).toBe('wasm');
    expect(getBackend()).toBe('wasm');
  });

  it('refuses an explicit backend that cannot load, with the reason, instead of falling back', async () => {
    const error: unknown = await selectBackend('tensorflow', recordingLogger()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error).toMatchObject({ backend: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed' });
  });

  it('auto picks the fastest that loads and logs why the faster ones were skipped', async () => {
    const logger = recordingLogger();
    const selection = await selectBackend('auto', logger);
    expect(selection.name).toBe('wasm');
    expect(selection.skipped).toEqual([
      { backend: 'tensorflow-gpu', reason: '@tensorflow/tfjs-node-gpu is not installed' },
      { backend: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed' },
    ]);
    const logged = logger.events.find((e) => e.event === 'backend.selected');
    expect(logged?.level).toBe('info');
    expect(logged?.fields).toMatchObject({ backend: 'wasm', requested: 'auto' });
    expect(String(logged?.fields['skipped'])).toContain('tensorflow-gpu: @tensorflow/tfjs-node-gpu is not installed');
  });

  it('is idempotent: a second auto gives the same choice, re-activating it after a switch', async () => {
    const first = await selectBackend('auto', recordingLogger());
    await selectBackend('cpu', recordingLogger());
    const second = await selectBackend('auto', recordingLogger());
    expect(second).toEqual(first);
    expect(getBackend()).toBe(first.name);
  });
});
