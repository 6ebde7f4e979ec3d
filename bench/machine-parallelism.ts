// How much two kernel-bound processes get out of this machine at once: the ceiling any
// 2-slot scale-out meets, whatever the split. One process trains a bundle alone, then two train
// one each at the same time; the ratio of work done per second is the machine's, not the sweep's.
// Then one process alone on each of CPUs 0 and 1 (taskset): on a virtual machine the two CPUs
// need not be equally fast, and a 2-slot run always has a slot on the slower one.
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { findPackageRoot } from '../src/package-root.js';
import { median } from './stats.js';

/** The built child (child processes run built JS, also when this module runs from sources). */
const kernelLoad = join(findPackageRoot(import.meta.url), 'dist', 'bench', 'kernel-load.js');
const reportSchema = z.object({ seconds: z.number() });

/** Seconds one kernel process takes to train the bundle; on CPU `cpu` only when given (util-linux's taskset). */
function trainOnce(epochs: number, cpu?: number): Promise<number> {
  const [file, args] = cpu === undefined ? [process.execPath, [kernelLoad, String(epochs)]] : ['taskset', ['-c', String(cpu), process.execPath, kernelLoad, String(epochs)]];
  return new Promise((resolve, reject) => {
    execFile(file, args, (error, stdout) => {
      if (error !== null) reject(error);
      else resolve(reportSchema.parse(JSON.parse(stdout)).seconds);
    });
  });
}

/** CPUs the per-CPU figure pins to: the two a 2-slot run uses, when this process may run on both. */
const PINNED_CPUS = [0, 1] as const;

/** Whether taskset can pin a process to every one of PINNED_CPUS here: asked once per bench process, not every round. */
let pinnable: Promise<boolean> | undefined;

function canPin(): Promise<boolean> {
  pinnable ??=
    availableParallelism() < PINNED_CPUS.length
      ? Promise.resolve(false)
      : new Promise((resolve) => {
          execFile('taskset', ['-c', PINNED_CPUS.join(','), process.execPath, '-e', ''], (error) => resolve(error === null));
        });
  return pinnable;
}

/** Seconds alone on each of PINNED_CPUS, or null where pinning is not possible here (no taskset, fewer CPUs). */
async function trainPinned(epochs: number): Promise<readonly number[] | null> {
  if (!(await canPin())) return null;
  const seconds: number[] = [];
  for (const cpu of PINNED_CPUS) seconds.push(await trainOnce(epochs, cpu));
  return seconds;
}

export interface MachineParallelism {
  /** One process alone: seconds to train the bundle. */
  readonly aloneSeconds: number;
  /** Two at once: seconds until both finished (the slower one). */
  readonly togetherSeconds: number;
  /** Bundles per second with two processes ÷ with one: 2 on a machine with two free cores. */
  readonly speedUp: number;
  /** One process alone pinned to CPU 0, then to CPU 1: seconds each; null where it could not be pinned. */
  readonly perCpuSeconds: readonly number[] | null;
}

/** One round: one process alone, two at once, then one pinned to each CPU. Callers interleave rounds with what they compare against it. */
export async function timeMachineParallelismRound(epochs = 30): Promise<MachineParallelism> {
  const aloneSeconds = await trainOnce(epochs);
  const togetherSeconds = Math.max(...(await Promise.all([trainOnce(epochs), trainOnce(epochs)])));
  const perCpuSeconds = await trainPinned(epochs);
  return { aloneSeconds, togetherSeconds, speedUp: (2 * aloneSeconds) / togetherSeconds, perCpuSeconds };
}

/** Medians of rounds' times, per CPU too (the speed-up from the alone and together medians). */
export function medianMachineParallelism(rounds: readonly MachineParallelism[]): MachineParallelism {
  const aloneSeconds = median(rounds.map((round) => round.aloneSeconds));
  const togetherSeconds = median(rounds.map((round) => round.togetherSeconds));
  const pinned = rounds.flatMap((round) => (round.perCpuSeconds === null ? [] : [round.perCpuSeconds]));
  const perCpuSeconds = pinned.length === 0 ? null : PINNED_CPUS.map((_, cpu) => median(pinned.map((seconds) => seconds[cpu] ?? Number.NaN)));
  return { aloneSeconds, togetherSeconds, speedUp: (2 * aloneSeconds) / togetherSeconds, perCpuSeconds };
}
