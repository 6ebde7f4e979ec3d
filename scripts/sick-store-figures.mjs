// Before/after figures for RELIABILITY.md "Sick store" (issue 19): a coordinator whose data dir
// sits on a 4 MiB tmpfs that is filled to its last byte, then freed; and start-up on an empty
// store file, a read-only mount and a read-only store file. Needs root (mount). Run from the
// repository root (it resolves @grpc/grpc-js from here) against any built tree:
//   npx tsc -p tsconfig.build.json && node scripts/sick-store-figures.mjs "$PWD"
// For "before", build `git archive main` into another folder and pass that folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { credentials } from '@grpc/grpc-js';
const tree = process.argv[2];
const { startCoordinatorServer } = await import(join(tree, 'dist/coordinator/grpc-server.js'));
const { CoordinatorTelemetry } = await import(join(tree, 'dist/coordinator/coordinator-telemetry.js'));
const { HealthClient } = await import(join(tree, 'dist/gen/grpc/health/v1/health.js'));
const { createGrpcAgentChannel } = await import(join(tree, 'dist/src/rpc/grpc-agent-channel.js'));
const { createGrpcSweepClient } = await import(join(tree, 'dist/src/rpc/grpc-sweep-client.js'));
const counts = new Map();
const mk = () => ({ debug: c, info: c, warn: c, error: c, child: () => mk() });
function c(event) { counts.set(event, (counts.get(event) ?? 0) + 1); }
const dir = mkdtempSync(join(tmpdir(), 'sickfig-'));
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4194304', 'tmpfs', dir]);
const dataDir = join(dir, 'data');
const telemetry = await CoordinatorTelemetry.start({ host: '127.0.0.1', port: 0, dataDir, refreshIntervalMs: 0 });
const running = await startCoordinatorServer({ host: '127.0.0.1', port: 0, dataDir, leaseTimeoutMs: 200, expiryCheckIntervalMs: 100, logger: mk(), shutdownGraceMs: 200 });
telemetry.attach(running);
const agent = createGrpcAgentChannel(running.address, { transport: 'unary' });
const client = createGrpcSweepClient(running.address);
const health = new HealthClient(running.address, credentials.createInsecure());
const check = () => new Promise((res) => health.check({ service: '' }, (e, r) => res(e ? `error ${e.code}` : r.status === 1 ? 'SERVING' : 'NOT_SERVING')));
const healthz = async () => (await fetch(`http://${telemetry.address}/healthz`)).status;
const spec = {name:'tiny',workload:{dataset:{kind:'synthetic-regression',samples:64,features:2,noise:0.1,seed:1,validationSplit:0.25},model:{kind:'layers',layers:[{kind:'dense',units:1,activation:'linear'}]},loss:'meanSquaredError',metrics:[],optimizer:'sgd',batchSize:16,epochs:3,seed:7},plateau:{monitor:'val_loss',mode:'auto',minDelta:1e-4,cooldown:0,minLr:0},grid:{learningRate:[0.1],factor:[0.5],patience:[1]},repeats:1,objective:{metric:'val_loss',goal:'minimize',use:'final'},maxAttempts:2};
await client.submit(spec, '');
const { agentId } = await agent.register({ hostname: 'h', slots: 1, backend: 'cpu', version: '0' });
const lease = await agent.poll({ agentId, waitMs: 0 });
const { agentId: other } = await agent.register({ hostname: 'h4', slots: 1, backend: 'cpu', version: '0' });
await client.submit({ ...spec, name: 'second' }, '');
const lease2 = await agent.poll({ agentId: other, waitMs: 0 });
console.log(lease2 === null ? 'no second lease' : 'second lease held, never reported');
await new Promise((r) => setTimeout(r, 50));
// fill
const fd = openSync(join(dir, 'filler'), 'a');
for (const size of [65536, 4096, 512, 1]) { try { for (;;) writeSync(fd, Buffer.alloc(size)); } catch {} }
closeSync(fd);
const code = async (p) => p.then(() => 'OK', (e) => e.code ?? e.name);
const heartbeatCode = await code(agent.heartbeat({ leaseId: lease.leaseId, fencingToken: lease.fencingToken }, [{ epoch: 1, loss: 1, val_loss: 1, lr: 0.1 }]));
await new Promise((r) => setTimeout(r, 20));
const registerCode = await code(agent.register({ hostname: 'h2', slots: 1, backend: 'cpu', version: '0' }));
const result = { trialId: lease.trialId, outcome: { status: 'succeeded' }, history: [{ epoch: 1, loss: 1, val_loss: 1, lr: 0.1 }], lrReductions: [], objective: 1, wallSeconds: 1, backend: 'cpu', seed: 7 };
const completeCode = await code(agent.complete({ leaseId: lease.leaseId, fencingToken: lease.fencingToken }, result));
const whileFull = { grpcHealth: await check(), healthz: await healthz() };
await new Promise((r) => setTimeout(r, 3000));
const expiredLines = counts.get('lease.expired') ?? 0;
rmSync(join(dir, 'filler'));
const t0 = performance.now();
let recoveredMs = null;
while (performance.now() - t0 < 20_000) {
  if ((await code(agent.register({ hostname: 'h3', slots: 1, backend: 'cpu', version: '0' }))) === 'OK') { recoveredMs = Math.round(performance.now() - t0); break; }
  await new Promise((r) => setTimeout(r, 20));
}
const after = { grpcHealth: await check(), healthz: await healthz() };
console.log(JSON.stringify({ heartbeatCode, registerCode, completeCode, whileFull, leaseExpiredLinesFor2Leases: expiredLines, recoveredMs, after, counts: Object.fromEntries(counts) }));
health.close(); agent.close(); client.close();
await running.close(); await telemetry.close();
execFileSync('umount', ['-l', dir]); rmSync(dir, { recursive: true, force: true });
// start-up refusals via the CLI
const cli = (dataDir) => { const r = spawnSync(process.execPath, [join(tree, 'bin/plateau'), 'coordinator', '--port', '0', '--metrics-port', 'off', '--data-dir', dataDir], { timeout: 8000 }); console.log(String(r.stderr).split('\n').filter(Boolean).slice(-2).join(' | ').slice(0, 300)); return r.status ?? 'still running after 8 s'; };
const empty = mkdtempSync(join(tmpdir(), 'sickfig-')); writeFileSync(join(empty, 'plateau.db'), '');
const ro = mkdtempSync(join(tmpdir(), 'sickfig-')); execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1048576', 'tmpfs', ro]);
spawnSync(process.execPath, ['-e', `const c=require('child_process').spawn(process.execPath,[process.argv[1],'coordinator','--port','0','--metrics-port','off','--data-dir',process.argv[2]],{stdio:'inherit'});setTimeout(()=>c.kill('SIGTERM'),4000)`, join(tree, 'bin/plateau'), ro], { stdio: 'ignore' });
execFileSync('mount', ['-o', 'remount,ro', ro]);
const rof = mkdtempSync(join(tmpdir(), 'sickfig-'));
spawnSync(process.execPath, ['-e', `const c=require('child_process').spawn(process.execPath,[process.argv[1],'coordinator','--port','0','--metrics-port','off','--data-dir',process.argv[2]],{stdio:'inherit'});setTimeout(()=>c.kill('SIGTERM'),4000)`, join(tree, 'bin/plateau'), rof], { stdio: 'ignore' });
execFileSync('mount', ['--bind', join(rof, 'plateau.db'), join(rof, 'plateau.db')]); execFileSync('mount', ['-o', 'remount,ro,bind', join(rof, 'plateau.db')]);
console.log(JSON.stringify({ emptyStoreExit: cli(empty), readOnlyDirExit: cli(ro), readOnlyFileExit: cli(rof) }));
execFileSync('umount', [join(rof, 'plateau.db')]); rmSync(rof, { recursive: true });
execFileSync('umount', [ro]); rmSync(ro, { recursive: true }); rmSync(empty, { recursive: true });
process.exit(0);
