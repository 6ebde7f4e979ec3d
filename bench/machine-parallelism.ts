// How much two kernel-bound processes get out of this machine at once: the ceiling any
// 2-slot scale-out meets, whatever the split. One process trains a bundle alone, then two train
// one each at the same time; the ratio of work done per second is the machine's, not the sweep's.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import { findPackageRoot } from '../agent/package-root.js';
import { median } from './stats.js';

/** The built child (child processes run built JS, also when this module runs from sources). */
const kernelLoad = join(findPackageRoot(import.meta.url), 'dist', 'bench', 'kernel-load.js');
const reportSchema = z.object({ seconds: z.number() });

function trainOnce(epochs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [kernelLoad, String(epochs)], (error, stdout) => {
      if (error !== null) reject(error);
      else resolve(reportSchema.parse(JSON.parse(stdout)).seconds);
    });
  });
}

export interface MachineParallelism {
  /** One process alone: seconds to train the bundle. */
  readonly aloneSeconds: number;
  /** Two at once: seconds until both finished (the slower one). */
  readonly togetherSeconds: number;
  /** Bundles per second with two processes ÷ with one: 2 on a machine with two free cores. */
  readonly speedUp: number;
}

/** One round: one process alone, then two at once. Callers interleave rounds with what they compare against it. */
export async function timeMachineParallelismRound(epochs = 30): Promise<MachineParallelism> {
  const aloneSeconds = await trainOnce(epochs);
  const togetherSeconds = Math.max(...(await Promise.all([trainOnce(epochs), trainOnce(epochs)])));
  return { aloneSeconds, togetherSeconds, speedUp: (2 * aloneSeconds) / togetherSeconds };
}

/** Medians of rounds' alone and together times (the speed-up from those medians). */
export function medianMachineParallelism(rounds: readonly MachineParallelism[]): MachineParallelism {
  const aloneSeconds = median(rounds.map((round) => round.aloneSeconds));
  const togetherSeconds = median(rounds.map((round) => round.togetherSeconds));
  return { aloneSeconds, togetherSeconds, speedUp: (2 * aloneSeconds) / togetherSeconds };
}
