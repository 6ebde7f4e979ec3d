// The agent's side of artifacts, with a real coordinator on loopback and real files: one
// download per blob whatever the number of trials, corrupt copies detected by hash, LRU
// eviction that spares blobs in use, and shared paths read only under --allow-paths.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ArtifactCache } from '../../agent/artifact-cache.js';
import { WorkloadFiles, WorkloadFileError } from '../../agent/workload-files.js';
import { startCoordinatorServer, type RunningCoordinator } from '../../coordinator/grpc-server.js';
import type { ArtifactClient } from '../../src/artifacts/artifact-client.js';
import type { ArtifactRef, FileRef } from '../../src/artifacts/file-ref.js';
import { resolvedFileResolver } from '../../src/artifacts/file-resolver.js';
import { createGrpcArtifactClient } from '../../src/rpc/grpc-artifact-client.js';
import { stageSpec, StageError } from '../../src/artifacts/stage.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { DatasetError } from '../../src/train/datasets/dataset-error.js';
import { silentLogger } from '../../src/log/logger.js';
import { selectBackend } from '../../src/train/backend.js';
import { buildModel } from '../../src/train/model-builder.js';
import { clearDatasetCache, loadDataset } from '../../src/train/datasets/load-dataset.js';
import type { WorkloadSpec } from '../../src/trial/types.js';
import { removeTempDirs, tempDir } from '../support/temp-dirs.js';

const open: { close(): void | Promise<void> }[] = [];

afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
  clearDatasetCache();
  removeTempDirs();
});

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

async function coordinatorWith(files: Record<string, string>): Promise<{ client: ArtifactClient; refs: Record<string, ArtifactRef> }> {
  const server: RunningCoordinator = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir: join(tempDir(), 'data') });
  open.push(server);
  const client = createGrpcArtifactClient(server.address);
  open.push(client);
  const dir = tempDir();
  const refs: Record<string, ArtifactRef> = {};
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    writeFileSync(path, text);
    const ref: ArtifactRef = { kind: 'artifact', sha256: sha256(text), size: Buffer.byteLength(text), name };
    await client.upload({ ...ref, path }, 0);
    refs[name] = ref;
  }
  return { client, refs };
}

function cache(client: ArtifactClient, maxBytes = 1024 * 1024): ArtifactCache {
  const made = new ArtifactCache({ dir: join(tempDir(), 'cache'), maxBytes, client });
  open.push(made);
  return made;
}

function csvWorkload(train: FileRef, validation = train): WorkloadSpec {
  return {
    dataset: { kind: 'csv', train, validation, target: 'y', standardize: false },
    model: { kind: 'layers', layers: [{ kind: 'dense', units: 1, activation: 'linear' }] },
    loss: 'meanSquaredError',
    metrics: [],
    optimizer: 'adam',
    batchSize: 2,
    epochs: 1,
    seed: 1,
  };
}

describe('the artifact cache', () => {
  it('downloads a blob once for any number of trials asking at once, and verifies it', async () => {
    const { client, refs } = await coordinatorWith({ 'train.csv': 'a,y\n1,2\n3,4\n' });
    const ref = refs['train.csv'];
    if (ref === undefined) throw new Error('no ref');
    const blobs = cache(client);
    const held = await Promise.all(Array.from({ length: 8 }, () => blobs.acquire(ref, 'workload.dataset.train')));
    expect(new Set(held.map((blob) => blob.path)).size).toBe(1);
    expect(blobs.bytesFetched).toBe(ref.size);
    expect(readFileSync(held[0]?.path ?? '', 'utf8')).toBe('a,y\n1,2\n3,4\n');
  });

  it('detects a flipped byte in a cached blob by its hash, and fetches it again', async () => {
    const { client, refs } = await coordinatorWith({ 'train.csv': 'a,y\n1,2\n3,4\n' });
    const ref = refs['train.csv'];
    if (ref === undefined) throw new Error('no ref');
    const first = cache(client);
    const { path } = await first.acquire(ref, 'workload.dataset.train');
    const bytes = readFileSync(path);
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    writeFileSync(path, bytes);
    // A new agent process on the same cache dir: the blob is hashed before its first use.
    const second = new ArtifactCache({ dir: join(path, '..', '..'), maxBytes: 1024 * 1024, client });
    open.push(second);
    const again = await second.acquire(ref, 'workload.dataset.train');
    expect(second.bytesFetched).toBe(ref.size);
    expect(readFileSync(again.path, 'utf8')).toBe('a,y\n1,2\n3,4\n');
  });

  it('evicts the least recently used blob when over its size, never one in use', async () => {
    const { client, refs } = await coordinatorWith({ 'a.csv': 'x'.repeat(600), 'b.csv': 'y'.repeat(600), 'c.csv': 'z'.repeat(600) });
    const [a, b, c] = [refs['a.csv'], refs['b.csv'], refs['c.csv']];
    if (a === undefined || b === undefined || c === undefined) throw new Error('no refs');
    const blobs = cache(client, 1_000);
    const heldA = await blobs.acquire(a, 'a');
    const heldB = await blobs.acquire(b, 'b');
    heldB.release();
    await blobs.acquire(c, 'c');
    // a is in use, b is not: b goes; a stays even though the cache is over its size.
    expect(readFileSync(heldA.path, 'utf8')).toBe('x'.repeat(600));
    const fetchedBefore = blobs.bytesFetched;
    await blobs.acquire(b, 'b');
    expect(blobs.bytesFetched).toBe(fetchedBefore + 600);
  });

  it('fails with a workload error naming the field, the file and the hash when the coordinator lacks the blob', async () => {
    const { client } = await coordinatorWith({});
    const ref: ArtifactRef = { kind: 'artifact', sha256: 'c'.repeat(64), size: 3, name: 'train.csv' };
    const error = await new WorkloadFiles(cache(client), []).acquire(csvWorkload(ref)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkloadFileError);
    expect((error as WorkloadFileError).kind).toBe('workload');
    expect((error as WorkloadFileError).message).toContain(`workload.dataset.train: cannot fetch train.csv (sha256 ${'c'.repeat(64)})`);
  });
});

describe('shared paths on an agent', () => {
  it('refuses a shared path outside --allow-paths as a workload error naming the field (the /proc/self/environ attack)', async () => {
    const files = new WorkloadFiles(null, [tempDir()]);
    const environ = { kind: 'shared', path: '/proc/self/environ' } as const;
    const error = await files.acquire(csvWorkload(environ)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkloadFileError);
    expect((error as WorkloadFileError).kind).toBe('workload');
    expect((error as WorkloadFileError).message).toMatch(/^workload\.dataset\.train: shared path \/proc\/self\/environ is not under this agent's --allow-paths/);
  });

  it('refuses every shared path when the agent allows none', async () => {
    const dir = tempDir();
    const error = await new WorkloadFiles(null, []).acquire(csvWorkload({ kind: 'shared', path: join(dir, 'train.csv') })).catch((e: unknown) => e);
    expect((error as WorkloadFileError).message).toContain('this agent allows no shared paths');
  });

  it('reads a shared path under --allow-paths in place', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'train.csv'), 'a,y\n1,2\n3,4\n');
    const ref = { kind: 'shared', path: join(dir, 'train.csv') } as const;
    const acquired = await new WorkloadFiles(null, [dir]).acquire(csvWorkload(ref));
    const data = await loadDataset(csvWorkload(ref).dataset, resolvedFileResolver(acquired.paths));
    expect(data.train.count).toBe(2);
  });

  it('never echoes the content of an allowed file that is not a dataset, such as /proc/self/environ', async () => {
    process.env['PLATEAU_TEST_SECRET'] = 'hunter2-do-not-leak';
    try {
      const ref = { kind: 'shared', path: '/proc/self/environ' } as const;
      const acquired = await new WorkloadFiles(null, ['/proc/self']).acquire(csvWorkload(ref));
      const error = await loadDataset(csvWorkload(ref).dataset, resolvedFileResolver(acquired.paths)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatasetError);
      expect((error as DatasetError).message).not.toContain('hunter2');
      expect((error as DatasetError).message).not.toContain('PLATEAU_TEST_SECRET');
      expect((error as DatasetError).message).toMatch(/^\/proc\/self\/environ:1: /);
    } finally {
      delete process.env['PLATEAU_TEST_SECRET'];
    }
  });
});

describe('a model.json and its weight shards', () => {
  const fixture = fileURLToPath(new URL('../fixtures/models/tiny-mlp-weights/', import.meta.url));

  function modelSpecFolder(modelJson = readFileSync(join(fixture, 'model.json'), 'utf8')): string {
    const dir = tempDir();
    mkdirSync(join(dir, 'model'));
    writeFileSync(join(dir, 'model', 'model.json'), modelJson);
    copyFileSync(join(fixture, 'weights.bin'), join(dir, 'model', 'weights.bin'));
    writeFileSync(
      join(dir, 'sweep.yaml'),
      `name: model
workload:
  dataset: { kind: synthetic-regression, samples: 64, features: 4, seed: 1 }
  model: { modelJson: model/model.json }
  batchSize: 8
  epochs: 1
  seed: 1
grid: { learningRate: [0.01], factor: [0.5], patience: [1] }
`,
    );
    return join(dir, 'sweep.yaml');
  }

  it('travel as artifacts, the shards named by their manifest path, and load on an agent from its cache', async () => {
    const server: RunningCoordinator = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir: join(tempDir(), 'data') });
    open.push(server);
    const client = createGrpcArtifactClient(server.address);
    open.push(client);
    const { spec } = await stageSpec(loadSweepSpecFile(modelSpecFolder()), client);
    const shard = readFileSync(join(fixture, 'weights.bin'));
    expect(spec.workload.model).toMatchObject({
      kind: 'modelJson',
      file: { kind: 'artifact', name: 'model.json' },
      weights: { 'weights.bin': { kind: 'artifact', sha256: sha256(shard), size: shard.length, name: 'weights.bin' } },
    });
    const acquired = await new WorkloadFiles(cache(client), []).acquire(spec.workload);
    await selectBackend('cpu', silentLogger);
    const model = await buildModel(spec.workload, { featureCount: 4, targetCount: 1 }, 1, resolvedFileResolver(acquired.paths));
    try {
      // The fixture's weights are 0.01·(k+1)·(−1)^k over all 49 values in manifest order.
      const flat = model.getWeights().flatMap((w) => Array.from(w.dataSync()));
      expect(flat).toHaveLength(49);
      flat.forEach((value, k) => expect(value).toBeCloseTo(0.01 * (k + 1) * (k % 2 === 0 ? 1 : -1), 6));
    } finally {
      model.dispose();
    }
  });

  it('refuses a shard path that climbs out of the model.json\'s folder, naming the field', async () => {
    const text = readFileSync(join(fixture, 'model.json'), 'utf8').replace('"weights.bin"', '"../../../etc/passwd"');
    const server: RunningCoordinator = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir: join(tempDir(), 'data') });
    open.push(server);
    const client = createGrpcArtifactClient(server.address);
    open.push(client);
    const error = await stageSpec(loadSweepSpecFile(modelSpecFolder(text)), client).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StageError);
    expect((error as StageError).message).toMatch(/^workload\.model\.file: .*model\.json: weights file 1 of its weightsManifest lies outside the model\.json's directory/);
  });
});
