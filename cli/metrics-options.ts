// `--metrics-port` / `--metrics-host` for the long-running commands, and how a metrics server
// starts from them. A port the user asked for must be had (exit 2 otherwise); the default
// port being taken (a second agent on one machine, tests) only costs /metrics, loudly logged.
import type { Command } from 'commander';
import type { Logger } from '../src/log/logger.js';
import { MetricsServerBindError } from '../src/metrics/metrics-server.js';
import { parsePort } from './option-values.js';
import { isLoopbackHost } from '../src/security/loopback.js';

export interface MetricsCommandOptions {
  readonly metricsPort?: string;
  readonly metricsHost?: string;
}

export interface MetricsEndpoint {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The user chose the port (not the default): failing to bind it is an error. */
  readonly explicit: boolean;
}

/** Adds the options; `defaultPort` undefined makes metrics off unless asked for. */
export function addMetricsOptions(command: Command, defaultPort: number | undefined): Command {
  const portHelp =
    defaultPort === undefined
      ? 'serve Prometheus /metrics and /healthz on this port (0: any free port; default: off)'
      : `serve Prometheus /metrics and /healthz on this port (0: any free port; "off": none)`;
  return command
    .option('--metrics-port <port>', portHelp, ...(defaultPort === undefined ? [] : [String(defaultPort)]))
    .option('--metrics-host <host>', 'address the metrics server listens on', '127.0.0.1');
}

/** The endpoint to serve, or null when metrics are off. Without `command`, a port given is taken as chosen by the user. */
export function resolveMetricsEndpoint(command: Command | undefined, options: MetricsCommandOptions): MetricsEndpoint | null {
  const text = options.metricsPort;
  if (text === undefined || text.trim() === 'off') return null;
  const port = parsePort(text, '--metrics-port', 'off');
  return { host: options.metricsHost ?? '127.0.0.1', port, explicit: command?.getOptionValueSource('metricsPort') !== 'default' };
}

/**
 * Starts a metrics server with `start`. Null when the default port was taken (logged);
 * a port the user chose that cannot be had throws MetricsServerBindError.
 */
export async function startMetricsEndpoint<T>(
  endpoint: MetricsEndpoint,
  logger: Logger,
  start: (host: string, port: number) => Promise<T>,
): Promise<T | null> {
  if (!isLoopbackHost(endpoint.host)) {
    // /metrics and /healthz take no credentials: off loopback, anyone who can reach the port reads them.
    logger.warn('metrics.exposed', {
      host: endpoint.host,
      warning: '/metrics and /healthz answer anyone who can reach this address, without authentication (sweep ids, agent names, trial progress): keep the port behind a firewall or use 127.0.0.1',
    });
  }
  try {
    return await start(endpoint.host, endpoint.port);
  } catch (error) {
    if (!(error instanceof MetricsServerBindError) || endpoint.explicit) throw error;
    logger.warn('metrics.disabled', {
      address: error.address,
      reason: error.reason,
      hint: 'the default metrics port is taken: pass --metrics-port <port> (0: any free port) to serve /metrics',
    });
    return null;
  }
}
