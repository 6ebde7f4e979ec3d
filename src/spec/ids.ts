// Stable identities. A trial id hashes everything that decides its outcome, so submitting
// the same spec again names the same trials and resumes instead of duplicating them.
import { createHash } from 'node:crypto';
import type { TrialSpec } from '../trial/types.js';
import type { SweepSpec } from './sweep-spec.js';

/** JSON with object keys sorted at every depth (undefined members dropped, as JSON does). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What identifies a trial: the seed follows from workload.seed and repeat. */
export type TrialIdentity = Pick<TrialSpec, 'workload' | 'plateau' | 'config' | 'repeat' | 'objective'>;

/** 16 hex chars of sha256 over the canonical identity. */
export function trialId(trial: TrialIdentity): string {
  const { workload, plateau, config, repeat, objective } = trial;
  return sha256Hex(canonicalJson({ workload, plateau, config, repeat, objective })).slice(0, 16);
}

/** 12 hex chars of sha256 over the canonical compiled spec. */
export function sweepId(spec: SweepSpec): string {
  return sha256Hex(canonicalJson(spec)).slice(0, 12);
}

/**
 * Seed of one repeat: repeat 0 keeps the base seed (what the user wrote); later repeats
 * get a well-mixed 32-bit value (murmur3's finalizer over base and repeat).
 */
export function repeatSeed(baseSeed: number, repeat: number): number {
  if (repeat === 0) return baseSeed;
  let h = (baseSeed >>> 0) ^ Math.imul(repeat, 0x9e3779b9);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
