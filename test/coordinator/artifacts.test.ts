// The coordinator's blob store over real gRPC on loopback, with real files: uploads, resumes,
// refusals, fetches and gc, as a client and an agent see them.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startCoordinatorServer, type RunningCoordinator } from '../../coordinator/grpc-server.js';
import type { ArtifactClient } from '../../src/artifacts/artifact-client.js';
import { stageSpec } from '../../src/artifacts/stage.js';
import { createGrpcArtifactClient } from '../../src/rpc/grpc-artifact-client.js';
import { createGrpcSweepClient } from '../../src/rpc/grpc-sweep-client.js';
import { CoordinatorRpcError, InvalidRequestError, UnauthenticatedError } from '../../src/rpc/rpc-errors.js';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import { removeTempDirs, tempDir } from '../support/temp-dirs.js';

const open: { close(): void | Promise<void> }[] = [];

afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
  removeTempDirs();
});

async function coordinator(options: { maxArtifactBytes?: number; token?: string } = {}): Promise<RunningCoordinator> {
  const server = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir: join(tempDir(), 'data'), ...options });
  open.push(server);
  return server;
}

function artifactClient(server: RunningCoordinator, token?: string): ArtifactClient {
  const client = createGrpcArtifactClient(server.address, token === undefined ? {} : { token });
  open.push(client);
  return client;
}

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** A CSV spec in its own folder: the client side of a submit. */
function csvSpec(trainText = 'a,b,y\n1,2,3\n4,5,6\n7,8,9\n'): { dir: string; spec: SweepSpec; train: string } {
  const dir = tempDir();
  const train = join(dir, 'train.csv');
  writeFileSync(train, trainText);
  writeFileSync(join(dir, 'val.csv'), 'a,b,y\n2,3,4\n');
  const file = join(dir, 'sweep.yaml');
  writeFileSync(
    file,
    `name: csv
workload:
  dataset: { kind: csv, train: train.csv, validation: val.csv, target: y }
  model: { layers: [ { dense: 1 } ] }
  batchSize: 2
  epochs: 1
  seed: 1
grid: { learningRate: [0.01], factor: [0.5], patience: [1] }
`,
  );
  return { dir, spec: loadSweepSpecFile(file), train };
}

async function fetchAll(client: ArtifactClient, hash: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of client.fetch(hash, 0)) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('uploads', () => {
  it('uploads the files a spec names, and a second submit of the same data uploads 0 bytes', async () => {
    const server = await coordinator();
    const client = artifactClient(server);
    const { spec } = csvSpec();
    const first = await stageSpec(spec, client);
    expect(first.report).toMatchObject({ files: 2, blobsUploaded: 2, bytesResumed: 0 });
    expect(first.report.bytesUploaded).toBe(first.report.bytesHashed);
    const second = await stageSpec(spec, client);
    expect(second.report).toMatchObject({ files: 2, blobsUploaded: 0, bytesUploaded: 0 });
    expect(second.spec).toEqual(first.spec);
  });

  it('names files by content in the staged spec: sha256, size and base name, never a client path', async () => {
    const server = await coordinator();
    const { spec, train } = csvSpec();
    const { spec: staged } = await stageSpec(spec, artifactClient(server));
    const bytes = readFileSync(train);
    expect(staged.workload.dataset).toMatchObject({ train: { kind: 'artifact', sha256: sha256(bytes), size: bytes.length, name: 'train.csv' } });
    expect(JSON.stringify(staged)).not.toContain(train);
  });

  it('resumes an interrupted upload from the bytes the coordinator kept', async () => {
    const server = await coordinator();
    const client = artifactClient(server);
    const { spec, train } = csvSpec(`a,b,y\n${'1,2,3\n'.repeat(400_000)}`);
    const bytes = readFileSync(train);
    const held = 1024 * 1024;
    // The stream breaks after the first MiB: the bytes stay in the partial file.
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield bytes.subarray(0, held);
      throw new Error('connection lost');
    }
    await expect(server.coordinator.artifacts.receive({ sha256: sha256(bytes), size: bytes.length, name: 'train.csv', offset: 0 }, broken())).rejects.toThrow('connection lost');
    expect(await client.missing([sha256(bytes)])).toEqual([{ sha256: sha256(bytes), heldBytes: held }]);
    const { report } = await stageSpec(spec, client);
    expect(report.bytesResumed).toBe(held);
    expect(report.bytesUploaded).toBe(bytes.length - held + readFileSync(join(train, '..', 'val.csv')).length);
    expect(sha256(await fetchAll(client, sha256(bytes)))).toBe(sha256(bytes));
  });

  it('refuses bytes that do not hash to the announced sha256, and stores nothing', async () => {
    const server = await coordinator();
    const client = artifactClient(server);
    const dir = tempDir();
    const path = join(dir, 'data.csv');
    writeFileSync(path, 'the real bytes');
    const claimed = sha256('other bytes');
    const error = await rejection(client.upload({ sha256: claimed, size: 14, name: 'data.csv', path }, 0));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).details).toContain(`not the announced ${claimed}`);
    expect(await client.missing([claimed])).toEqual([{ sha256: claimed, heldBytes: 0 }]);
  });

  it('refuses a file over --max-artifact-size, naming the file and both sizes', async () => {
    const server = await coordinator({ maxArtifactBytes: 1024 });
    const { spec } = csvSpec(`a,b,y\n${'1,2,3\n'.repeat(400)}`);
    const error = await rejection(stageSpec(spec, artifactClient(server)));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).details).toBe("train.csv is 2.3 KiB, over this coordinator's --max-artifact-size of 1 KiB");
  });

  it('asks artifact calls for the token, like every other call', async () => {
    const server = await coordinator({ token: 's3cret-token-0123456789' });
    await expect(artifactClient(server).missing(['a'.repeat(64)])).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(await artifactClient(server, 's3cret-token-0123456789').missing(['a'.repeat(64)])).toHaveLength(1);
  });

  it('refuses more than 1,024 hashes in one question', async () => {
    const server = await coordinator();
    const hashes = Array.from({ length: 1_025 }, (_, index) => sha256(String(index)));
    await expect(artifactClient(server).missing(hashes)).rejects.toBeInstanceOf(InvalidRequestError);
  });
});

describe('submitting a spec', () => {
  it('refuses a spec naming a client path such as /proc/self/environ, naming the field', async () => {
    const server = await coordinator();
    const sweeps = createGrpcSweepClient(server.address);
    open.push(sweeps);
    const { spec } = csvSpec();
    const environ = { kind: 'local', path: '/proc/self/environ' } as const;
    const hostile: SweepSpec = { ...spec, workload: { ...spec.workload, dataset: { kind: 'csv', train: environ, validation: environ, target: 'y', standardize: false } } };
    const error = await rejection(sweeps.submit(hostile, ''));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).details).toContain('workload.dataset.train');
    expect((error as InvalidRequestError).details).toContain('a coordinator never reads a path a client chose');
    expect(server.coordinator.listSweeps()).toHaveLength(0);
  });

  it('refuses a spec naming a blob the coordinator does not hold, naming the field and the hash', async () => {
    const server = await coordinator();
    const sweeps = createGrpcSweepClient(server.address);
    open.push(sweeps);
    const { spec } = csvSpec();
    const missing = { kind: 'artifact', sha256: 'b'.repeat(64), size: 10, name: 'train.csv' } as const;
    const staged = await stageSpec(spec, artifactClient(server));
    const unheld: SweepSpec = { ...staged.spec, workload: { ...staged.spec.workload, dataset: { ...staged.spec.workload.dataset, kind: 'csv', train: missing, validation: missing, target: 'y', standardize: false } } };
    const error = await rejection(sweeps.submit(unheld, ''));
    expect(error).toBeInstanceOf(CoordinatorRpcError);
    expect((error as CoordinatorRpcError).code).toBe(status.FAILED_PRECONDITION);
    expect((error as CoordinatorRpcError).details).toContain(`workload.dataset.train: train.csv (sha256 ${'b'.repeat(64)}) is not held`);
  });

  it('gives the same sweep id to the same data wherever it was submitted from', async () => {
    const server = await coordinator();
    const client = artifactClient(server);
    const a = await stageSpec(csvSpec().spec, client);
    const b = await stageSpec(csvSpec().spec, client);
    expect((await server.coordinator.submitSweep(a.spec, '')).sweepId).toBe((await server.coordinator.submitSweep(b.spec, '')).sweepId);
    const edited = await stageSpec(csvSpec('a,b,y\n1,2,3\n4,5,7\n').spec, client);
    expect((await server.coordinator.submitSweep(edited.spec, '')).sweepId).not.toBe((await server.coordinator.submitSweep(a.spec, '')).sweepId);
  });
});

describe('fetching and keeping blobs', () => {
  it('serves a stored blob by its hash', async () => {
    const server = await coordinator();
    const client = artifactClient(server);
    const { spec, train } = csvSpec();
    await stageSpec(spec, client);
    expect(await fetchAll(client, sha256(readFileSync(train)))).toEqual(readFileSync(train));
  });

  it('detects a flipped byte in a stored blob: refuses to serve it, deletes it, and names the blob', async () => {
    const server = await coordinator();
    const client = artifactClient(server);
    const { spec, train } = csvSpec();
    await stageSpec(spec, client);
    const hash = sha256(readFileSync(train));
    const blob = server.coordinator.artifacts.blobPath(hash);
    const bytes = readFileSync(blob);
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    writeFileSync(blob, bytes);
    const error = await rejection(fetchAll(client, hash));
    expect(error).toBeInstanceOf(CoordinatorRpcError);
    expect((error as CoordinatorRpcError).code).toBe(status.DATA_LOSS);
    expect((error as CoordinatorRpcError).details).toContain(`blob sha256 ${hash} is corrupt`);
    expect(existsSync(blob)).toBe(false);
    // The client's next submit uploads it again.
    expect((await stageSpec(spec, client)).report.blobsUploaded).toBe(1);
  });

  it('keeps the blobs a sweep references through gc and removes the others', async () => {
    const server = await coordinator();
    const client = artifactClient(server);
    const kept = await stageSpec(csvSpec().spec, client);
    await server.coordinator.submitSweep(kept.spec, '');
    const orphan = await stageSpec(csvSpec('a,b,y\n9,9,9\n').spec, client);
    const report = await server.coordinator.artifacts.gc(new Set(server.coordinator.referencedArtifacts()), 0, Date.now() + 1);
    expect(report).toMatchObject({ removedBlobs: 1, removedPartials: 0 });
    const orphanHash = orphan.spec.workload.dataset.kind === 'csv' && orphan.spec.workload.dataset.train.kind === 'artifact' ? orphan.spec.workload.dataset.train.sha256 : '';
    expect(await client.missing([orphanHash])).toHaveLength(1);
    expect((await stageSpec(csvSpec().spec, client)).report.blobsUploaded).toBe(0);
  });
});
