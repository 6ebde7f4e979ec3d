// How many members of a fused bundle fit a memory budget, and how to cut a bundle into chunks
// that do: a bundle of big networks trains chunk after chunk instead of running out of memory.
// Pure: the runner measures nothing, it estimates from the network's shape.
import type { OptimizerName } from '../../trial/types.js';

/** Optimizer state arrays per weight, as tfjs-core keeps them (and the kernels mirror). */
export const OPTIMIZER_SLOTS: Readonly<Record<OptimizerName, number>> = { sgd: 0, momentum: 1, adam: 2, rmsprop: 2, adagrad: 1, adadelta: 2, adamax: 2 };

/** Default budget per fused run (one agent slot): 1 GiB. */
export const DEFAULT_FUSED_MEMORY_BYTES = 2 ** 30;

/**
 * Bytes one member holds while it trains, float32: its weights, their gradients and optimizer
 * slots, and a batch's activations (forward, backward and one temporary per layer).
 */
export function fusedMemberBytes(layerUnits: readonly number[], featureCount: number, batchSize: number, optimizer: OptimizerName): number {
  let inputs = featureCount;
  let weights = 0;
  let activations = 0;
  for (const units of layerUnits) {
    weights += inputs * units + units;
    activations += batchSize * units;
    inputs = units;
  }
  return 4 * (weights * (2 + OPTIMIZER_SLOTS[optimizer]) + 3 * activations);
}

/** Members per chunk under `budgetBytes` (at least one: a member that alone exceeds it still trains). */
export function membersWithinBudget(memberBytes: number, budgetBytes: number): number {
  return Math.max(1, Math.floor(budgetBytes / memberBytes));
}

/**
 * `items` cut into chunks of at most `capacity`, keeping items of one group (equal `groupOf`,
 * e.g. the starting learning rate, whose members share their training until their schedules
 * part) in one chunk where the group fits, packing groups in order of first appearance.
 */
export function chunksOf<T>(items: readonly T[], groupOf: (item: T) => string, capacity: number): T[][] {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity: a whole number ≥ 1, got ${capacity}`);
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = groupOf(item);
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  const chunks: T[][] = [];
  let current: T[] = [];
  for (const group of groups.values()) {
    if (current.length + group.length > capacity && current.length > 0) {
      chunks.push(current);
      current = [];
    }
    for (let start = 0; start < group.length; start += capacity) {
      const piece = group.slice(start, start + capacity);
      if (current.length + piece.length > capacity) {
        chunks.push(current);
        current = [];
      }
      current.push(...piece);
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
