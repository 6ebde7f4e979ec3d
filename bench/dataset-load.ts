// `node --expose-gc dist/bench/dataset-load.js [--rows N]`: time to load large CSV, .npy and
// .npz files, the CPU they cost, and the longest the event loop waited meanwhile (a worker must
// keep answering heartbeats while it loads). Prints a markdown table; the files are made here
// (seeded), so the figures need no Python and no download.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { zipSync } from 'fflate';
import { readCsvFile } from '../src/train/datasets/csv.js';
import { readNpyFile } from '../src/train/datasets/npy.js';
import { readNpzArrays } from '../src/train/datasets/npz.js';
import { SeededRandom } from '../src/train/seeded-random.js';

const FEATURES = 16;

function npyBytes(descr: string, shape: readonly number[], data: Uint8Array): Uint8Array {
  const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const padded = `${header}${' '.repeat(63 - ((10 + header.length) % 64))}\n`;
  const bytes = new Uint8Array(10 + padded.length + data.length);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(bytes.buffer).setUint16(8, padded.length, true);
  bytes.set(new TextEncoder().encode(padded), 10);
  bytes.set(data, 10 + padded.length);
  return bytes;
}

interface Row {
  readonly what: string;
  readonly megabytes: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxDelayMs: number;
}

async function measure(what: string, megabytes: number, load: () => Promise<unknown>): Promise<Row> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await load();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  delay.disable();
  return { what, megabytes, wallMs, cpuMs: (used.user + used.system) / 1000, maxDelayMs: delay.max / 1e6 };
}

async function main(): Promise<void> {
  const rowsArg = process.argv.indexOf('--rows');
  const rows = rowsArg < 0 ? 1_000_000 : Number(process.argv[rowsArg + 1]);
  const dir = mkdtempSync(join(tmpdir(), 'plateau-bench-data-'));
  try {
    const random = new SeededRandom(16);
    const x = new Float32Array(rows * FEATURES).map(() => random.normal());
    const y = new Float64Array(rows).map(() => random.normal());
    const xNpy = npyBytes('<f4', [rows, FEATURES], new Uint8Array(x.buffer));
    const yNpy = npyBytes('<f8', [rows], new Uint8Array(y.buffer));
    writeFileSync(join(dir, 'x.npy'), xNpy);
    const x64 = new Float64Array(x);
    const x64Be = new Uint8Array(x64.byteLength);
    const view = new DataView(x64Be.buffer);
    x64.forEach((value, i) => view.setFloat64(i * 8, value, false));
    writeFileSync(join(dir, 'x-be.npy'), npyBytes('>f8', [rows, FEATURES], x64Be));
    writeFileSync(join(dir, 'data.npz'), zipSync({ 'x.npy': [xNpy, { level: 1 }], 'y.npy': [yNpy, { level: 1 }] }));
    const csvRows = Math.floor(rows / 5);
    const lines = [`${Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',')},y`];
    for (let i = 0; i < csvRows; i++) lines.push(`${Array.from(x.subarray(i * FEATURES, (i + 1) * FEATURES), (v) => v.toPrecision(7)).join(',')},${(y[i] ?? 0).toPrecision(7)}`);
    const csv = `${lines.join('\n')}\n`;
    writeFileSync(join(dir, 'data.csv'), csv);
    const mb = (bytes: number): number => bytes / 2 ** 20;
    const results = [
      await measure(`.npy <f4, ${rows} × ${FEATURES}`, mb(xNpy.length), () => readNpyFile(join(dir, 'x.npy'), 'x.npy')),
      await measure(`.npy >f8 (big-endian), ${rows} × ${FEATURES}`, mb(x64Be.length), () => readNpyFile(join(dir, 'x-be.npy'), 'x-be.npy')),
      await measure(`.npz deflated, x and y of ${rows} samples`, mb(xNpy.length + yNpy.length), () => readNpzArrays(join(dir, 'data.npz'), 'data.npz', ['x', 'y'])),
      await measure(`.csv, ${csvRows} rows × ${FEATURES + 1}`, mb(Buffer.byteLength(csv)), () => readCsvFile(join(dir, 'data.csv'), 'data.csv', 'y')),
    ];
    process.stdout.write('| file | MiB (uncompressed) | wall ms | CPU ms | MiB/s (CPU) | longest event-loop wait ms |\n|---|---|---|---|---|---|\n');
    for (const row of results) {
      process.stdout.write(`| ${row.what} | ${row.megabytes.toFixed(0)} | ${row.wallMs.toFixed(0)} | ${row.cpuMs.toFixed(0)} | ${(row.megabytes / (row.cpuMs / 1000)).toFixed(0)} | ${row.maxDelayMs.toFixed(1)} |\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
