// The agent's telemetry: its metrics fed from the Agent's typed events, and the /metrics +
// /healthz HTTP server. Agents answer health over HTTP (they serve no gRPC): 200 while they
// run, 503 once they start draining.
import type { Registry } from 'prom-client';
import type { Logger } from '../src/log/logger.js';
import { AgentMetrics, agentTrialStatuses } from '../src/metrics/agent-metrics.js';
import { startMetricsServer, type HealthReport, type RunningMetricsServer } from '../src/metrics/metrics-server.js';
import { createMetricsRegistry } from '../src/metrics/registry.js';
import { holdoutSizes } from '../src/train/datasets/holdout.js';
import type { DatasetSpec } from '../src/trial/types.js';
import type { AgentEventName, AgentListener } from './agent-events.js';
import { packageVersion } from '../src/package-root.js';

/** What the binding reads of the agent (the real Agent satisfies it). */
export interface AgentMetricsSource {
  on<K extends AgentEventName>(event: K, listener: AgentListener<K>): () => void;
  readonly slots: number;
  readonly runningTrialIds: readonly string[];
}

/** Samples one epoch trains on, when the spec alone says (built-in datasets); null for CSV files. */
export function trainingSamplesPerEpoch(dataset: DatasetSpec): number | null {
  if (dataset.kind === 'csv') return null;
  try {
    return holdoutSizes(dataset.samples, dataset.validationSplit).train;
  } catch {
    // The worker reports the spec error as the trial's failure; nothing trained, nothing to count.
    return null;
  }
}

export interface AgentMetricsBindingOptions {
  /** Milliseconds on a monotonic clock. Default performance.now. */
  readonly now?: () => number;
  /** Default: this package's version. */
  readonly version?: string;
}

/** The `operation` of the agent's connection-lost events. */
const agentCallOperations = ['register', 'poll', 'report'] as const;

/** The agent label before the coordinator has given this agent an id. */
export const unregisteredAgent = 'unregistered';

interface SlotClock {
  lastMs: number;
  readonly samplesPerEpoch: number | null;
}

export class AgentMetricsBinding {
  private readonly now: () => number;
  private readonly version: string;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly slotClocks = new Map<number, SlotClock>();
  private agent = unregisteredAgent;
  private state: 'running' | 'stopping' | 'stopped' = 'running';

  constructor(
    private readonly source: AgentMetricsSource,
    private readonly metrics: AgentMetrics,
    options: AgentMetricsBindingOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.version = options.version ?? packageVersion();
    this.subscribe();
    this.refresh();
  }

  /** The id the coordinator gave this agent (the `agent` label), or 'unregistered'. */
  get agentId(): string {
    return this.agent;
  }

  /** Sets the slot gauges from the agent. */
  refresh(): void {
    const busy = Math.min(this.source.runningTrialIds.length, this.source.slots);
    this.metrics.slots.set({ agent: this.agent, state: 'busy' }, busy);
    this.metrics.slots.set({ agent: this.agent, state: 'free' }, this.state === 'running' ? this.source.slots - busy : 0);
  }

  /** /healthz: healthy while the agent runs; draining and stopped agents answer 503. */
  health(): HealthReport {
    return {
      healthy: this.state === 'running',
      details: { state: this.state, agent: this.agent, slots: this.source.slots, busy: this.source.runningTrialIds.length },
    };
  }

  /** The agent began draining (first SIGTERM): probes should stop counting on it. */
  markStopping(): void {
    if (this.state === 'running') this.state = 'stopping';
    this.refresh();
  }

  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** Known label values start at 0, so rate() sees a series before the first event. */
  private initCounters(): void {
    const m = this.metrics;
    const labels = { agent: this.agent };
    for (const counter of [m.epochs, m.samples, m.workerCrashes, m.partsMoved, m.leaseLosses]) counter.inc(labels, 0);
    for (const status of agentTrialStatuses) m.trialsFinished.inc({ ...labels, status }, 0);
    for (const operation of agentCallOperations) m.reconnects.inc({ ...labels, operation }, 0);
  }

  private subscribe(): void {
    const m = this.metrics;
    const source = this.source;
    this.unsubscribe.push(
      source.on('registered', ({ agentId, backend }) => {
        m.registrations.inc();
        if (agentId !== this.agent) {
          // A new id (first registration, or the coordinator forgot us): old-id series go.
          m.info.reset();
          m.slots.reset();
          this.agent = agentId;
        }
        m.info.set({ agent: agentId, backend, version: this.version }, 1);
        this.initCounters();
        this.refresh();
      }),
      source.on('trial-started', ({ slot, lease }) => {
        this.slotClocks.set(slot, { lastMs: this.now(), samplesPerEpoch: trainingSamplesPerEpoch(lease.trial.workload.dataset) });
        this.refresh();
      }),
      source.on('trial-epoch', ({ slot }) => {
        const labels = { agent: this.agent };
        m.epochs.inc(labels);
        const clock = this.slotClocks.get(slot);
        if (clock === undefined) return;
        const nowMs = this.now();
        m.epochDuration.observe(labels, Math.max(0, nowMs - clock.lastMs) / 1000);
        clock.lastMs = nowMs;
        if (clock.samplesPerEpoch !== null) m.samples.inc(labels, clock.samplesPerEpoch);
      }),
      source.on('trial-finished', ({ slot, result }) => {
        this.slotClocks.delete(slot);
        m.trialsFinished.inc({ agent: this.agent, status: result?.outcome.status ?? 'no-result' });
        this.refresh();
      }),
      source.on('worker-crashed', () => m.workerCrashes.inc({ agent: this.agent })),
      source.on('lease-lost', () => m.leaseLosses.inc({ agent: this.agent })),
      source.on('bundle-part-taken', () => m.partsMoved.inc({ agent: this.agent })),
      source.on('connection-lost', ({ operation }) => m.reconnects.inc({ agent: this.agent, operation })),
      source.on('stopped', () => {
        this.state = 'stopped';
        this.refresh();
      }),
    );
  }
}

export interface AgentTelemetryOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly agent: AgentMetricsSource;
  readonly logger?: Logger;
  /** Default: a fresh registry with the default process metrics. */
  readonly registry?: Registry;
  readonly version?: string;
}

/** The agent's registry, binding and HTTP server, for one process. */
export class AgentTelemetry {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly registry: Registry,
    readonly binding: AgentMetricsBinding,
    private readonly server: RunningMetricsServer,
  ) {}

  /** Starts the HTTP server (MetricsServerBindError when the port cannot be had). */
  static async start(options: AgentTelemetryOptions): Promise<AgentTelemetry> {
    const registry = options.registry ?? createMetricsRegistry();
    const binding = new AgentMetricsBinding(options.agent, new AgentMetrics(registry), options.version === undefined ? {} : { version: options.version });
    try {
      const server = await startMetricsServer({
        host: options.host,
        port: options.port,
        registry,
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        beforeScrape: () => binding.refresh(),
        health: () => binding.health(),
      });
      return new AgentTelemetry(registry, binding, server);
    } catch (error) {
      binding.close();
      throw error;
    }
  }

  get address(): string {
    return this.server.address;
  }

  get port(): number {
    return this.server.port;
  }

  get url(): string {
    return this.server.url;
  }

  markStopping(): void {
    this.binding.markStopping();
  }

  /** Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.binding.close();
      await this.server.close();
    })();
    return this.closing;
  }
}
