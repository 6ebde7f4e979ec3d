// The orchestration bench's messages to and from its no-op agent process.
import { describe, expect, it } from 'vitest';
import { formatNoopAgentArgs, isNoopAgentGo, NoopAgentProtocolError, parseNoopAgentArgs, parseNoopAgentMessage } from '../../bench/noop-agent-protocol.js';

describe('no-op agent protocol', () => {
  it('reads back the arguments it formats, for one-trial polls and for bundles, on either transport', () => {
    const single = { address: '127.0.0.1:5000', slots: 4, warmup: 0, trials: 1000, mode: { kind: 'single' }, transport: 'session' } as const;
    const bundle = { address: '[::1]:5000', slots: 16, warmup: 50, trials: 200, mode: { kind: 'bundle', maxBundle: 32 }, transport: 'unary' } as const;
    expect(parseNoopAgentArgs(formatNoopAgentArgs(single))).toEqual(single);
    expect(parseNoopAgentArgs(formatNoopAgentArgs(bundle))).toEqual(bundle);
  });

  it('refuses arguments without a mode or transport, or with a count that is not a positive integer', () => {
    expect(() => parseNoopAgentArgs(['127.0.0.1:1', '4', '0', '10'])).toThrow(NoopAgentProtocolError);
    expect(() => parseNoopAgentArgs(['127.0.0.1:1', '4', '0', '10', 'single'])).toThrow(NoopAgentProtocolError);
    expect(() => parseNoopAgentArgs(['127.0.0.1:1', '4', '0', '10', 'single', 'udp'])).toThrow(NoopAgentProtocolError);
    expect(() => parseNoopAgentArgs(['127.0.0.1:1', '0', '0', '10', 'single', 'session'])).toThrow(NoopAgentProtocolError);
    expect(() => parseNoopAgentArgs(['127.0.0.1:1', '4', '-1', '10', 'single', 'session'])).toThrow(NoopAgentProtocolError);
    expect(() => parseNoopAgentArgs(['127.0.0.1:1', '4', '0', '10', 'bundle:x', 'session'])).toThrow(NoopAgentProtocolError);
  });

  it('parses ready, warm, done and failed messages and refuses anything else', () => {
    expect(parseNoopAgentMessage({ kind: 'ready', agentId: 'a-1' })).toEqual({ kind: 'ready', agentId: 'a-1' });
    expect(parseNoopAgentMessage({ kind: 'warm' })).toEqual({ kind: 'warm' });
    const done = { kind: 'done', dispatchMs: [0.5, 1], cycleMs: [1, 2.5], seconds: 0.01, cpuUs: 10 } as const;
    expect(parseNoopAgentMessage(done)).toEqual(done);
    expect(parseNoopAgentMessage({ kind: 'failed', message: 'boom' })).toEqual({ kind: 'failed', message: 'boom' });
    expect(() => parseNoopAgentMessage({ kind: 'done', dispatchMs: [1], cycleMs: ['1'], cpuUs: 1 })).toThrow(NoopAgentProtocolError);
    expect(() => parseNoopAgentMessage({ kind: 'done', cycleMs: [1], cpuUs: 1 })).toThrow(NoopAgentProtocolError);
    expect(() => parseNoopAgentMessage({ kind: 'done', dispatchMs: [1], cycleMs: [1], cpuUs: 1 })).toThrow(NoopAgentProtocolError);
    expect(() => parseNoopAgentMessage('ready')).toThrow(NoopAgentProtocolError);
  });

  it('knows the go message', () => {
    expect(isNoopAgentGo({ kind: 'go' })).toBe(true);
    expect(isNoopAgentGo({ kind: 'ready' })).toBe(false);
  });
});
