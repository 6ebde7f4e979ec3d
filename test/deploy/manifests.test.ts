// An offline check of everything under deploy/ (no Docker engine, no kubectl here): every YAML
// file parses, the Kubernetes manifests hold together (kustomization resources exist, selectors
// match labels, probes hit real ports and paths, GPUs are requested, images pinned), the compose
// file points at real files and ports, the Dockerfiles are multi-stage, non-root and
// health-checked, and every CLI flag the manifests pass is one the built CLI accepts.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const deploy = join(root, 'deploy');
const k8sDir = join(deploy, 'k8s');

type Doc = Record<string, unknown>;

function isDoc(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Walks a path of keys / indices; undefined as soon as one is missing. */
function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === 'number') current = Array.isArray(current) ? current[key] : undefined;
    else current = isDoc(current) ? current[key] : undefined;
  }
  return current;
}

function docs(value: unknown): Doc[] {
  return Array.isArray(value) ? value.filter(isDoc) : [];
}

function filesUnder(dir: string, suffixes: readonly string[]): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path, suffixes);
    return suffixes.some((suffix) => name.endsWith(suffix)) ? [path] : [];
  });
}

function loadAll(file: string): Doc[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((document) => document.toJS() as unknown)
    .filter(isDoc);
}

const kustomization = parse(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')) as Doc;
const resources = (at(kustomization, 'resources') as string[]).map((file) => join(k8sDir, file));
const manifests = resources.filter(existsSync).flatMap(loadAll);
const ofKind = (kind: string): Doc[] => manifests.filter((manifest) => manifest.kind === kind);
const named = (kind: string, name: string): Doc => {
  const found = ofKind(kind).find((manifest) => at(manifest, 'metadata', 'name') === name);
  if (found === undefined) throw new Error(`no ${kind} ${name}`);
  return found;
};
const workloads = [...ofKind('StatefulSet'), ...ofKind('Deployment')];
const containersOf = (workload: Doc): Doc[] => docs(at(workload, 'spec', 'template', 'spec', 'containers'));

/** '--metrics-port=9465' → ['--metrics-port', '9465']. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  for (const [index, arg] of args.entries()) {
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
    if (arg === flag) return args[index + 1];
  }
  return undefined;
}

function imagePinned(image: string): boolean {
  const tag = /:([^/:@]+)$/.exec(image.split('@')[0] ?? '')?.[1];
  return tag !== undefined && tag !== 'latest' && /\d+\.\d+/.test(tag);
}

describe('every YAML file under deploy/', () => {
  const files = filesUnder(deploy, ['.yml', '.yaml']);

  it('finds the files to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  it.each(files.map((file) => [relative(root, file)]))('%s parses without errors', (file) => {
    const documents = parseAllDocuments(readFileSync(join(root, file), 'utf8'));
    expect(documents.flatMap((document) => document.errors.map((error) => error.message))).toEqual([]);
  });
});

describe('the Kubernetes manifests (kustomize)', () => {
  it('lists only resources that exist', () => {
    expect(resources.filter((file) => !existsSync(file)).map((file) => relative(root, file))).toEqual([]);
  });

  it('holds the coordinator StatefulSet, agent Deployment, Services, ServiceMonitors and alert rules', () => {
    expect(manifests.map((manifest) => `${String(manifest.kind)}/${String(at(manifest, 'metadata', 'name'))}`).sort()).toEqual([
      'Deployment/plateau-agent',
      'Namespace/plateau-sweep',
      'PrometheusRule/plateau-sweep',
      'Service/plateau-agent',
      'Service/plateau-coordinator',
      'ServiceMonitor/plateau-agent',
      'ServiceMonitor/plateau-coordinator',
      'StatefulSet/plateau-coordinator',
    ]);
    for (const manifest of manifests) expect(typeof manifest.apiVersion).toBe('string');
  });

  it('generates the dashboard ConfigMap for the Grafana sidecar from an exact copy of the shipped dashboard', () => {
    const generator = docs(at(kustomization, 'configMapGenerator'))[0];
    expect(at(generator, 'options', 'labels', 'grafana_dashboard')).toBe('1');
    const source = (at(generator, 'files', 0) as string).split('=')[1] ?? '';
    const copy = readFileSync(join(k8sDir, source), 'utf8');
    expect(copy).toBe(readFileSync(join(deploy, 'grafana/dashboards/plateau-sweep.json'), 'utf8'));
  });

  it('keeps the PrometheusRule identical to deploy/prometheus/alerts.yml', () => {
    const alerts = parse(readFileSync(join(deploy, 'prometheus/alerts.yml'), 'utf8')) as Doc;
    expect(at(named('PrometheusRule', 'plateau-sweep'), 'spec', 'groups')).toEqual(alerts.groups);
  });

  it('gives the coordinator a persistent volume for its store at its --data-dir', () => {
    const coordinator = named('StatefulSet', 'plateau-coordinator');
    expect(at(coordinator, 'spec', 'replicas')).toBe(1);
    const claim = docs(at(coordinator, 'spec', 'volumeClaimTemplates'))[0];
    expect(at(claim, 'spec', 'resources', 'requests', 'storage')).toMatch(/^\d+Gi$/);
    const container = containersOf(coordinator)[0];
    const dataDir = flagValue(at(container, 'args') as string[], '--data-dir');
    const mount = docs(at(container, 'volumeMounts')).find((volumeMount) => volumeMount.name === at(claim, 'metadata', 'name'));
    expect(mount?.mountPath).toBe(dataDir);
  });

  it('requests one NVIDIA GPU per agent pod and runs one slot on it', () => {
    const container = containersOf(named('Deployment', 'plateau-agent'))[0];
    expect(at(container, 'resources', 'requests', 'nvidia.com/gpu')).toBe(1);
    expect(at(container, 'resources', 'limits', 'nvidia.com/gpu')).toBe(1);
    expect(flagValue(at(container, 'args') as string[], '--gpus')).toBe('0');
  });

  it('probes every container on the port its metrics server listens on, at /healthz, and requests CPU and memory', () => {
    for (const workload of workloads) {
      for (const container of containersOf(workload)) {
        const args = at(container, 'args') as string[];
        expect(flagValue(args, '--metrics-host')).toBe('0.0.0.0');
        const metricsPort = Number(flagValue(args, '--metrics-port'));
        const ports = docs(at(container, 'ports'));
        for (const probe of ['readinessProbe', 'livenessProbe']) {
          const get = at(container, probe, 'httpGet');
          expect(at(get, 'path'), `${String(container.name)} ${probe}`).toBe('/healthz');
          const port = at(get, 'port');
          const resolved = typeof port === 'number' ? port : ports.find((entry) => entry.name === port)?.containerPort;
          expect(resolved, `${String(container.name)} ${probe}`).toBe(metricsPort);
        }
        expect(at(container, 'resources', 'requests', 'cpu')).toBeDefined();
        expect(at(container, 'resources', 'requests', 'memory')).toBeDefined();
      }
    }
  });

  it('runs every pod as a non-root user with pinned images', () => {
    for (const workload of workloads) {
      expect(at(workload, 'spec', 'template', 'spec', 'securityContext', 'runAsNonRoot')).toBe(true);
      for (const container of containersOf(workload)) expect(imagePinned(String(container.image)), String(container.image)).toBe(true);
    }
  });

  it('selects the pods of each workload with its Service, on ports the pods expose', () => {
    for (const workload of workloads) {
      const podLabels = at(workload, 'spec', 'template', 'metadata', 'labels') as Record<string, string>;
      for (const [key, value] of Object.entries(at(workload, 'spec', 'selector', 'matchLabels') as Record<string, string>)) expect(podLabels[key]).toBe(value);
      const service = named('Service', String(at(workload, 'metadata', 'name')));
      for (const [key, value] of Object.entries(at(service, 'spec', 'selector') as Record<string, string>)) expect(podLabels[key]).toBe(value);
      const portNames = containersOf(workload).flatMap((container) => docs(at(container, 'ports')).map((port) => port.name));
      for (const port of docs(at(service, 'spec', 'ports'))) expect(portNames).toContain(port.targetPort);
    }
  });

  it('scrapes each Service with a ServiceMonitor on its metrics port, named as the alerts expect', () => {
    for (const monitor of ofKind('ServiceMonitor')) {
      const service = ofKind('Service').find((candidate) =>
        Object.entries(at(monitor, 'spec', 'selector', 'matchLabels') as Record<string, string>).every(([key, value]) => at(candidate, 'metadata', 'labels', key) === value),
      );
      expect(service).toBeDefined();
      // The job label is the Service name: the alert rules and the dashboard use plateau-coordinator / plateau-agent.
      expect(['plateau-coordinator', 'plateau-agent']).toContain(at(service, 'metadata', 'name'));
      const servicePorts = docs(at(service, 'spec', 'ports')).map((port) => port.name);
      for (const endpoint of docs(at(monitor, 'spec', 'endpoints'))) {
        expect(servicePorts).toContain(endpoint.port);
        expect(endpoint.path).toBe('/metrics');
      }
    }
  });
});

describe('the compose file', () => {
  const composeDir = join(deploy, 'compose');
  const compose = parse(readFileSync(join(composeDir, 'docker-compose.yml'), 'utf8'), { merge: true }) as Doc;
  const services = at(compose, 'services') as Record<string, Doc>;
  const prometheusConfig = parse(readFileSync(join(deploy, 'prometheus/prometheus.yml'), 'utf8')) as Doc;

  it('runs a coordinator, agents, Prometheus and Grafana', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['coordinator', 'agent', 'prometheus', 'grafana']));
  });

  it('builds from Dockerfiles that exist and mounts folders that exist', () => {
    for (const service of Object.values(services)) {
      const build = at(service, 'build');
      if (build !== undefined) expect(existsSync(resolve(composeDir, String(at(build, 'context')), String(at(build, 'dockerfile'))))).toBe(true);
      for (const volume of (at(service, 'volumes') as string[] | undefined) ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('.')) expect(existsSync(resolve(composeDir, source)), volume).toBe(true);
      }
    }
  });

  it('pins every image', () => {
    for (const service of Object.values(services)) expect(imagePinned(String(service.image)), String(service.image)).toBe(true);
  });

  it('starts agents only once the coordinator is healthy', () => {
    expect(at(services.agent, 'depends_on', 'coordinator', 'condition')).toBe('service_healthy');
  });

  it('has Prometheus scrape the ports the coordinator and agents serve metrics on', () => {
    const jobs = docs(at(prometheusConfig, 'scrape_configs'));
    const coordinatorJob = jobs.find((job) => job.job_name === 'plateau-coordinator');
    const agentJob = jobs.find((job) => job.job_name === 'plateau-agent');
    expect(at(coordinatorJob, 'static_configs', 0, 'targets')).toEqual([`coordinator:${flagValue(at(services.coordinator, 'command') as string[], '--metrics-port') ?? ''}`]);
    expect(String(at(agentJob, 'dns_sd_configs', 0, 'port'))).toBe(flagValue(at(services.agent, 'command') as string[], '--metrics-port'));
    expect(at(agentJob, 'dns_sd_configs', 0, 'names')).toContain('agent');
  });

  it('provisions Grafana with the Prometheus service and the mounted dashboards folder', () => {
    const datasource = docs(at(parse(readFileSync(join(deploy, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8')), 'datasources'))[0];
    expect(at(datasource, 'url')).toBe('http://prometheus:9090');
    const provider = docs(at(parse(readFileSync(join(deploy, 'grafana/provisioning/dashboards/plateau-sweep.yml'), 'utf8')), 'providers'))[0];
    const mounts = (at(services.grafana, 'volumes') as string[]).map((volume) => volume.split(':'));
    const dashboards = mounts.find(([, target]) => target === at(provider, 'options', 'path'));
    expect(dashboards?.[0]).toBe('../grafana/dashboards');
  });
});

describe('the Dockerfiles', () => {
  const dockerfiles = ['Dockerfile.cpu', 'Dockerfile.cuda'].map((name) => ({ name, text: readFileSync(join(deploy, 'docker', name), 'utf8') }));

  function finalStage(text: string): string {
    return text.slice(text.lastIndexOf('\nFROM '));
  }

  it.each(dockerfiles.map((file) => [file.name, file.text]))('%s is multi-stage, non-root and health-checked in its final stage', (_name, text) => {
    expect(text.match(/^FROM /gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
    const last = finalStage(text);
    expect(last).toMatch(/^USER (?!root\b|0\b)\S+/m);
    expect(last).toMatch(/^HEALTHCHECK /m);
    expect(last).toMatch(/\/healthz/);
  });

  it.each(dockerfiles.map((file) => [file.name, file.text]))('%s pins its base images', (_name, text) => {
    const args = new Map([...text.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((match) => [match[1] ?? '', match[2] ?? '']));
    const stages = new Set([...text.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((match) => match[1]));
    for (const [, image] of text.matchAll(/^FROM (\S+)/gm)) {
      const resolved = (image ?? '').replace(/^\$\{(\w+)\}$/, (_whole, name: string) => args.get(name) ?? '');
      if (stages.has(resolved)) continue;
      expect(imagePinned(resolved), resolved).toBe(true);
    }
  });

  it('installs tfjs-node-gpu 4.x on the CUDA 11.2 / cuDNN 8 runtime image', () => {
    const cuda = dockerfiles.find((file) => file.name === 'Dockerfile.cuda')?.text ?? '';
    expect(cuda).toMatch(/ARG CUDA_IMAGE=nvidia\/cuda:11\.2\.\d+-cudnn8-runtime-/);
    expect(cuda).toMatch(/ARG TFJS_VERSION=4\./);
    expect(cuda).toMatch(/@tensorflow\/tfjs-node-gpu@\$\{TFJS_VERSION\}/);
  });
});

describe('the CLI flags the deployment passes', () => {
  const plateau = join(root, 'bin/plateau');
  const built = existsSync(join(root, 'dist/cli/main.js'));
  const help = (args: readonly string[]): string => execFileSync(process.execPath, [plateau, ...args, '--help'], { encoding: 'utf8' });
  const compose = parse(readFileSync(join(deploy, 'compose/docker-compose.yml'), 'utf8'), { merge: true }) as Doc;
  const gpuCompose = parse(readFileSync(join(deploy, 'compose/docker-compose.gpu.yml'), 'utf8')) as Doc;
  const commandLines = [
    ...Object.values(at(compose, 'services') as Record<string, Doc>).map((service) => service.command),
    ...Object.values(at(gpuCompose, 'services') as Record<string, Doc>).map((service) => service.command),
    ...workloads.flatMap((workload) => containersOf(workload).map((container) => container.args)),
  ].filter((command): command is string[] => Array.isArray(command) && command.some((arg) => arg === 'coordinator' || arg === 'agent'));

  it.runIf(built)('are all flags the built `plateau` accepts', () => {
    const globalHelp = help([]);
    const commandHelp = new Map(['coordinator', 'agent'].map((command) => [command, help([command])]));
    expect(commandLines.length).toBeGreaterThanOrEqual(5);
    for (const args of commandLines) {
      const command = args.find((arg) => commandHelp.has(arg)) ?? '';
      const commandIndex = args.indexOf(command);
      for (const [index, arg] of args.entries()) {
        if (!arg.startsWith('--')) continue;
        const flag = arg.split('=')[0] ?? arg;
        const helpText = index < commandIndex ? globalHelp : (commandHelp.get(command) ?? '');
        expect(helpText, `${command} ${flag}`).toContain(`${flag} `);
      }
    }
  });
});
