// `plateau run --metrics-port`: the coordinator's and the local agent's metrics in one process,
// one registry, one /metrics (agent series carry the plateau_agent_ prefix, so nothing clashes).
import { AgentMetricsBinding, type AgentMetricsSource } from '../agent/agent-metrics.js';
import { CoordinatorTelemetry, type TelemetryTarget } from '../coordinator/coordinator-telemetry.js';
import type { Logger } from '../src/log/logger.js';
import { AgentMetrics } from '../src/metrics/agent-metrics.js';
import type { MetricsEndpoint } from './metrics-options.js';

export class EmbeddedTelemetry {
  private agentBinding: AgentMetricsBinding | null = null;

  private constructor(private readonly coordinator: CoordinatorTelemetry) {}

  /** Starts the HTTP server (MetricsServerBindError when the port cannot be had). */
  static async start(endpoint: MetricsEndpoint, dataDir: string, logger: Logger): Promise<EmbeddedTelemetry> {
    return new EmbeddedTelemetry(await CoordinatorTelemetry.start({ host: endpoint.host, port: endpoint.port, dataDir, logger }));
  }

  get url(): string {
    return this.coordinator.url;
  }

  /** For startCoordinatorServer's options. */
  get serverOptions(): { readonly observeCall: (method: string, code: number) => void } {
    return { observeCall: this.coordinator.observeCall };
  }

  attachCoordinator(target: TelemetryTarget): void {
    this.coordinator.attach(target);
  }

  attachAgent(agent: AgentMetricsSource): void {
    this.agentBinding ??= new AgentMetricsBinding(agent, new AgentMetrics(this.coordinator.registry));
  }

  /** Safe to call twice. */
  async close(): Promise<void> {
    this.agentBinding?.close();
    await this.coordinator.close();
  }
}
