// What the red-team tests (issue 19) share: a one-trial sweep, an honest agent's lease on it,
// and the INVALID_ARGUMENT a hostile request must end in.
import type { AgentChannel, TrialLease } from '../../src/rpc/agent-channel.js';
import { InvalidRequestError } from '../../src/rpc/rpc-errors.js';
import type { SweepClient } from '../../src/rpc/sweep-client.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import { tinySweepSpec } from '../coordinator/fixtures.js';

export const oneConfig = (name: string): SweepSpec => tinySweepSpec({ name, grid: { learningRate: [0.1], factor: [0.5], patience: [1] } });

/** Submits a one-trial sweep named `name` and leases its trial to a freshly registered honest agent. */
export async function leaseOne(client: SweepClient, agent: AgentChannel, name = 'leased'): Promise<TrialLease> {
  await client.submit(oneConfig(name), name);
  const { agentId } = await agent.register({ hostname: 'honest', slots: 1, backend: 'cpu', version: '0' });
  const lease = await agent.poll({ agentId, waitMs: 1_000 });
  if (lease === null) throw new Error('expected a lease');
  return lease;
}

/** The INVALID_ARGUMENT `call` ends in; anything else (success included) fails the test. */
export async function refusal(call: Promise<unknown>): Promise<InvalidRequestError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof InvalidRequestError) return error;
    throw error;
  }
  throw new Error('expected INVALID_ARGUMENT');
}
