// Artifacts over loopback: upload and download MB/s of one large file through a real
// `plateau coordinator` process, the RSS growth of the coordinator (sampled from /proc) and of
// the fetching process meanwhile, and the time from an agent's start to its first finished
// trial with a cold and with a warm --cache-dir. `--artifact-mib N` sets the file size.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { ArtifactCache } from '../agent/artifact-cache.js';
import { createGrpcArtifactClient } from '../src/rpc/grpc-artifact-client.js';
import { plateauBin } from './command.js';

export interface ArtifactTiming {
  readonly mib: number;
  readonly uploadMBps: number;
  readonly downloadMBps: number;
  readonly coordinatorRssGrowthMB: number;
  readonly fetcherRssGrowthMB: number;
  readonly coldFirstTrialSeconds: number;
  readonly warmFirstTrialSeconds: number;
  readonly csvMib: number;
}

/** VmRSS of a process in MB (Linux); 0 where /proc is not there. */
function rssMB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) / 1024;
  } catch {
    return 0;
  }
}

/** Peak RSS growth of `pid` above its value now, while `work` runs. */
async function peakGrowth<T>(pids: readonly number[], work: () => Promise<T>): Promise<{ result: T; growth: number[] }> {
  const base = pids.map(rssMB);
  const peak = [...base];
  const timer = setInterval(() => pids.forEach((pid, i) => (peak[i] = Math.max(peak[i] ?? 0, rssMB(pid)))), 50);
  try {
    const result = await work();
    pids.forEach((pid, i) => (peak[i] = Math.max(peak[i] ?? 0, rssMB(pid))));
    return { result, growth: peak.map((value, i) => value - (base[i] ?? 0)) };
  } finally {
    clearInterval(timer);
  }
}

async function writeRandomFile(path: string, mib: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let i = 0; i < mib; i++) {
    const chunk = randomBytes(1024 * 1024);
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
  return hash.digest('hex');
}

function start(args: readonly string[], cwd: string): { child: ChildProcess; output: () => string; waitFor: (pattern: RegExp) => Promise<RegExpExecArray> } {
  const child = spawn(process.execPath, [plateauBin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString();
    waiters.forEach((waiter) => waiter());
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    child,
    output: () => text,
    waitFor: (pattern) =>
      new Promise((resolve) => {
        const check = (): void => {
          const match = pattern.exec(text);
          if (match === null) return;
          waiters.delete(check);
          resolve(match);
        };
        waiters.add(check);
        check();
      }),
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

function csvSpec(name: string, learningRate: number): string {
  return `name: ${name}
workload:
  dataset: { kind: csv, train: train.csv, validation: validation.csv, target: y }
  model: { layers: [ { dense: 4, activation: relu }, { dense: 1 } ] }
  batchSize: 256
  epochs: 1
  seed: 1
grid: { learningRate: [${learningRate}], factor: [0.5], patience: [1] }
`;
}

/** Seconds from an agent's start to its first finished trial of a sweep submitted before it started. */
async function firstTrialSeconds(address: string, clientDir: string, specFile: string, cacheDir: string): Promise<number> {
  const submit = start(['submit', specFile, '--coordinator', address, '--json'], clientDir);
  await once(submit.child, 'exit');
  const started = performance.now();
  const agent = start(['--log-format', 'json', 'agent', '--coordinator', address, '--backend', 'cpu', '--slots', '1', '--cache-dir', cacheDir, '--metrics-port', '0'], clientDir);
  try {
    await agent.waitFor(/"event":"trial\.finished"/);
    return (performance.now() - started) / 1000;
  } finally {
    await stop(agent.child);
  }
}

export async function timeArtifacts(mib: number, onProgress: (line: string) => void): Promise<ArtifactTiming> {
  const dir = mkdtempSync(join(tmpdir(), 'plateau-bench-artifacts-'));
  const coordinator = start(['coordinator', '--port', '0', '--data-dir', join(dir, 'data'), '--metrics-port', '0', '--max-artifact-size', `${mib + 1}MiB`], dir);
  try {
    const [, address] = await coordinator.waitFor(/coordinator listening on (\S+)/);
    if (address === undefined || coordinator.child.pid === undefined) throw new Error('no coordinator');
    const file = join(dir, 'big.bin');
    onProgress(`writing a ${mib} MiB file`);
    const sha256 = await writeRandomFile(file, mib);
    const size = mib * 1024 * 1024;
    const client = createGrpcArtifactClient(address);
    try {
      onProgress(`uploading ${mib} MiB`);
      const upload = await peakGrowth([coordinator.child.pid, process.pid], async () => {
        const t0 = performance.now();
        await client.upload({ sha256, size, name: 'big.bin', path: file }, 0);
        return (performance.now() - t0) / 1000;
      });
      rmSync(file);
      onProgress(`downloading ${mib} MiB into a cache`);
      const cache = new ArtifactCache({ dir: join(dir, 'cache'), maxBytes: 2 * size, client });
      const download = await peakGrowth([coordinator.child.pid, process.pid], async () => {
        const t0 = performance.now();
        await cache.acquire({ kind: 'artifact', sha256, size, name: 'big.bin' }, 'bench');
        return (performance.now() - t0) / 1000;
      });
      cache.close();

      // Time to first trial: a CSV of a few MiB, so the download (cold) against the verified cache (warm) shows.
      const csvRows = 200_000;
      const rows = Array.from({ length: csvRows }, (_, i) => `${(i % 97) / 97},${(i % 89) / 89},${(i % 13) / 13}`).join('\n');
      writeFileSync(join(dir, 'train.csv'), `a,b,y\n${rows}\n`);
      writeFileSync(join(dir, 'validation.csv'), `a,b,y\n${rows.split('\n').slice(0, 1000).join('\n')}\n`);
      writeFileSync(join(dir, 'cold.yaml'), csvSpec('cold', 0.01));
      writeFileSync(join(dir, 'warm.yaml'), csvSpec('warm', 0.02));
      const csvMib = readFileSync(join(dir, 'train.csv')).length / 2 ** 20;
      onProgress('time to first trial, cold cache then warm cache');
      const coldFirstTrialSeconds = await firstTrialSeconds(address, dir, 'cold.yaml', join(dir, 'agent-cache'));
      const warmFirstTrialSeconds = await firstTrialSeconds(address, dir, 'warm.yaml', join(dir, 'agent-cache'));
      return {
        mib,
        uploadMBps: size / 1e6 / upload.result,
        downloadMBps: size / 1e6 / download.result,
        coordinatorRssGrowthMB: Math.max(upload.growth[0] ?? 0, download.growth[0] ?? 0),
        fetcherRssGrowthMB: Math.max(upload.growth[1] ?? 0, download.growth[1] ?? 0),
        coldFirstTrialSeconds,
        warmFirstTrialSeconds,
        csvMib,
      };
    } finally {
      client.close();
    }
  } finally {
    await stop(coordinator.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function artifactsSection(timing: ArtifactTiming): string[] {
  const f = (value: number, digits = 1): string => value.toFixed(digits);
  return [
    '## Artifacts: data and models travelling with the sweep',
    '',
    `One ${timing.mib} MiB file through a \`plateau coordinator\` process over loopback (1 MiB chunks, sha256 verified on both ends).`,
    'RSS growth is the peak above the value before the transfer (coordinator: its process; client/agent side: the bench process, which uploads and then fetches into an agent cache).',
    '',
    '| Figure | Value |',
    '|---|---|',
    `| Upload (client → coordinator, hashed and fsynced) | ${f(timing.uploadMBps)} MB/s |`,
    `| Download (coordinator → agent cache, hashed) | ${f(timing.downloadMBps)} MB/s |`,
    `| Coordinator RSS growth during the transfers | ${f(timing.coordinatorRssGrowthMB)} MB |`,
    `| Client / agent-cache process RSS growth | ${f(timing.fetcherRssGrowthMB)} MB |`,
    `| Agent start → first trial finished, cold cache (${f(timing.csvMib)} MiB CSV fetched) | ${f(timing.coldFirstTrialSeconds, 2)} s |`,
    `| Agent start → first trial finished, warm cache (verified, not fetched) | ${f(timing.warmFirstTrialSeconds, 2)} s |`,
    '',
  ];
}
