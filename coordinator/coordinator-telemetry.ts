// The coordinator's telemetry, wired for a process: one registry, its metrics, the binding
// to the coordinator's events, and the /metrics + /healthz HTTP server. The CLI starts it
// before the gRPC server (whose handlers count into it) and attaches the coordinator after.
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../src/log/logger.js';
import { CoordinatorMetrics } from '../src/metrics/coordinator-metrics.js';
import { startMetricsServer, type HealthReport, type RunningMetricsServer } from '../src/metrics/metrics-server.js';
import { createMetricsRegistry } from '../src/metrics/registry.js';
import { CoordinatorMetricsBinding, type CoordinatorMetricsSource } from './coordinator-metrics-binding.js';
import type { HealthState } from './grpc-health.js';
import type { StoreHealth } from './store-health.js';

/** 'OK', 'NOT_FOUND', … for a gRPC status code. */
export function grpcCodeName(code: number): string {
  const name: unknown = GrpcStatus[code];
  return typeof name === 'string' ? name : String(code);
}

export interface CoordinatorTelemetryOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The store's directory (plateau_store_size_bytes). */
  readonly dataDir: string;
  readonly logger?: Logger;
  /** Default: a fresh registry with the default process metrics. */
  readonly registry?: Registry;
  /** Gauge refresh without scrapes; 0 turns it off. Default 15 s. */
  readonly refreshIntervalMs?: number;
  /** How long an ended sweep's series stay (see CoordinatorMetricsBinding). Default 5 minutes. */
  readonly endedSweepSeriesMs?: number;
}

/** The running coordinator as telemetry sees it: its domain service and its gRPC health. */
export interface TelemetryTarget {
  /** `storeHealth`, when given, makes /healthz answer 503 with the store's reason while it cannot write. */
  readonly coordinator: CoordinatorMetricsSource & { readonly storeHealth?: StoreHealth };
  readonly health?: { readonly current: HealthState };
}

export class CoordinatorTelemetry {
  private binding: CoordinatorMetricsBinding | null = null;
  private target: TelemetryTarget | null = null;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly registry: Registry,
    readonly metrics: CoordinatorMetrics,
    private readonly server: RunningMetricsServer,
    private readonly options: CoordinatorTelemetryOptions,
  ) {}

  /** Starts the HTTP server (MetricsServerBindError when the port cannot be had). */
  static async start(options: CoordinatorTelemetryOptions): Promise<CoordinatorTelemetry> {
    const registry = options.registry ?? createMetricsRegistry();
    const metrics = new CoordinatorMetrics(registry);
    let telemetry: CoordinatorTelemetry | undefined;
    const server = await startMetricsServer({
      host: options.host,
      port: options.port,
      registry,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      beforeScrape: () => telemetry?.binding?.refresh(),
      health: () => telemetry?.health() ?? { healthy: false, details: { state: 'starting' } },
    });
    telemetry = new CoordinatorTelemetry(registry, metrics, server, options);
    return telemetry;
  }

  /** host:port the metrics server listens on. */
  get address(): string {
    return this.server.address;
  }

  get port(): number {
    return this.server.port;
  }

  get url(): string {
    return this.server.url;
  }

  /** For CoordinatorServerOptions.observeCall: counts each gRPC call by method and status code. */
  readonly observeCall = (method: string, code: number): void => {
    this.metrics.grpcRequests.inc({ method, code: grpcCodeName(code) });
  };

  /** Starts feeding the metrics from `target`; /healthz follows its gRPC health. */
  attach(target: TelemetryTarget): void {
    this.binding?.close();
    this.target = target;
    this.binding = new CoordinatorMetricsBinding(target.coordinator, this.metrics, {
      dataDir: this.options.dataDir,
      logger: this.options.logger ?? silentLogger,
      ...(this.options.refreshIntervalMs === undefined ? {} : { refreshIntervalMs: this.options.refreshIntervalMs }),
      ...(this.options.endedSweepSeriesMs === undefined ? {} : { endedSweepSeriesMs: this.options.endedSweepSeriesMs }),
    });
    this.binding.refresh();
  }

  /** Stops the binding and the HTTP server. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.binding?.close();
      await this.server.close();
    })();
    return this.closing;
  }

  private health(): HealthReport {
    const target = this.target;
    if (target === null) return { healthy: false, details: { state: 'starting' } };
    if (target.coordinator.closed) return { healthy: false, details: { state: 'draining' } };
    const store = target.coordinator.storeHealth;
    if (store?.state === 'unwritable') {
      return { healthy: false, details: { state: 'store-unwritable', store: { code: store.code, reason: store.reason, since: new Date(store.sinceMs).toISOString() } } };
    }
    const serving = target.health === undefined || target.health.current === 'serving';
    return { healthy: serving, details: { state: serving ? 'serving' : 'draining' } };
  }
}
