// Stable identities. A trial id hashes everything that decides its outcome, so submitting
// the same spec again names the same trials and resumes instead of duplicating them.
import { createHash } from 'node:crypto';
import type { TrialSpec } from '../trial/types.js';
import type { SweepSpec } from './sweep-spec.js';

/** JSON with object keys sorted at every depth (undefined members dropped, as JSON does). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return canonicalObject(Object.entries(value).map(([key, member]): [string, string | undefined] => [key, member === undefined ? undefined : canonicalJson(member)]));
  }
  return JSON.stringify(value) ?? 'null';
}

/** An object's canonical JSON from its members' canonical JSON (undefined: the member is dropped). */
function canonicalObject(members: readonly (readonly [string, string | undefined])[]): string {
  const present = members.filter((member): member is readonly [string, string] => member[1] !== undefined);
  present.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${present.map(([key, text]) => `${JSON.stringify(key)}:${text}`).join(',')}}`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What identifies a trial: the seed follows from workload.seed and repeat. */
export type TrialIdentity = Pick<TrialSpec, 'workload' | 'plateau' | 'config' | 'repeat' | 'objective'>;

/** 16 hex chars of sha256 over the canonical identity. */
export function trialId(trial: TrialIdentity): string {
  return trialIdHasher()(trial);
}

/**
 * trialId for the many trials of one sweep: the canonical JSON of a member object that trials
 * share (the same workload, plateau and objective objects) is built once, not once per trial.
 * The text, and so the id, is exactly trialId's.
 */
export function trialIdHasher(): (trial: TrialIdentity) => string {
  const shared = new WeakMap<object, string>();
  const memo = (value: object): string => {
    let text = shared.get(value);
    if (text === undefined) {
      text = canonicalJson(value);
      shared.set(value, text);
    }
    return text;
  };
  return ({ workload, plateau, config, repeat, objective }) =>
    sha256Hex(
      canonicalObject([
        ['workload', memo(workload)],
        ['plateau', memo(plateau)],
        ['config', canonicalJson(config)],
        ['repeat', canonicalJson(repeat)],
        ['objective', memo(objective)],
      ]),
    ).slice(0, 16);
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
