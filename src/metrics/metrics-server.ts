// A tiny HTTP shell for Prometheus and probes: GET /metrics (the registry's exposition text)
// and GET /healthz (200 or 503 with a JSON body). node:http only; nothing else is served.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../log/logger.js';

export interface HealthReport {
  readonly healthy: boolean;
  /** Shown in the JSON body, e.g. { state: 'draining' }. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface MetricsServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly registry: Registry;
  /** What GET /healthz answers. */
  readonly health: () => HealthReport;
  /** Runs before each scrape, for gauges that are read from their source rather than pushed. */
  readonly beforeScrape?: () => void;
  readonly logger?: Logger;
}

export interface RunningMetricsServer {
  /** host:port with the port actually bound. */
  readonly address: string;
  readonly port: number;
  /** http://host:port/metrics */
  readonly url: string;
  /** Stops listening and cuts idle keep-alive connections. Safe to call twice. */
  close(): Promise<void>;
}

export class MetricsServerBindError extends Error {
  override readonly name = 'MetricsServerBindError';
  constructor(
    readonly address: string,
    /** The system error code, e.g. 'EADDRINUSE'; null when there is none. */
    readonly code: string | null,
    readonly reason: string,
  ) {
    super(`cannot serve metrics on ${address}: ${reason}`);
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

function errorCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null || !('code' in error)) return null;
  return typeof error.code === 'string' ? error.code : null;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<RunningMetricsServer> {
  const logger = (options.logger ?? silentLogger).child({ component: 'metrics-server' });

  const send = (response: ServerResponse, code: number, contentType: string, body: string, head: boolean): void => {
    response.writeHead(code, { 'content-type': contentType, 'cache-control': 'no-store' });
    response.end(head ? undefined : body);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0];
    const head = request.method === 'HEAD';
    if (request.method !== 'GET' && !head) {
      response.setHeader('allow', 'GET, HEAD');
      send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
      return;
    }
    if (path === '/metrics') {
      options.beforeScrape?.();
      const text = await options.registry.metrics();
      send(response, 200, options.registry.contentType, text, head);
      return;
    }
    if (path === '/healthz') {
      const report = options.health();
      const body = JSON.stringify({ status: report.healthy ? 'ok' : 'unavailable', ...report.details });
      send(response, report.healthy ? 200 : 503, 'application/json', `${body}\n`, head);
      return;
    }
    send(response, 404, 'text/plain; charset=utf-8', 'not found: try /metrics or /healthz\n', head);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error('metrics.scrape-failed', { error });
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'metrics collection failed\n', false);
      else response.end();
    });
  });
  const requested = hostPort(options.host, options.port);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw new MetricsServerBindError(requested, errorCode(error), error instanceof Error ? error.message : String(error));
  }
  // Never keeps a process alive on its own: the gRPC server or the agent decides when to exit.
  server.unref();
  const port = (server.address() as AddressInfo).port;
  const address = hostPort(options.host, port);
  logger.info('metrics.listening', { address });

  let closing: Promise<void> | undefined;
  return {
    address,
    port,
    url: `http://${address}/metrics`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
