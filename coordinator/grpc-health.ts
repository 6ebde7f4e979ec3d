// The standard gRPC health service (grpc.health.v1.Health) for the coordinator: SERVING while
// it takes calls, NOT_SERVING from the moment it starts draining, so load balancers, Kubernetes
// gRPC probes and grpc_health_probe stop sending work before the port closes.
import { Metadata, status, type sendUnaryData, type Server, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
} from '../gen/grpc/health/v1/health.js';

export type HealthState = 'serving' | 'not-serving';

/**
 * Most Watch streams held open at once. Health calls need no credentials (probes carry none),
 * so without a bound anyone who can reach the port could hold thousands of streams (20,000
 * took 216 MB); a watch past the bound ends at once with RESOURCE_EXHAUSTED.
 */
export const MAX_HEALTH_WATCHERS = 100;

type Watcher = ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;

/** The service name of a generated service definition, e.g. 'plateau.v1.AgentService'. */
export function serviceNameOf(definition: Readonly<Record<string, { readonly path: string }>>): string {
  const first = Object.values(definition)[0];
  // '/plateau.v1.AgentService/RegisterAgent' → 'plateau.v1.AgentService'
  return first?.path.split('/')[1] ?? '';
}

/**
 * Health of the whole server ('') and of each named service; they change together (one
 * process, one store). `close()` answers NOT_SERVING and ends every Watch stream.
 */
export class GrpcHealth {
  private state: HealthState = 'not-serving';
  private readonly watchers = new Set<Watcher>();
  private readonly services: ReadonlySet<string>;
  readonly implementation: HealthServer;

  constructor(
    serviceNames: readonly string[],
    private readonly maxWatchers: number = MAX_HEALTH_WATCHERS,
  ) {
    this.services = new Set(['', ...serviceNames]);
    this.implementation = {
      check: (call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) => {
        if (!this.services.has(call.request.service)) {
          callback({ code: status.NOT_FOUND, details: `unknown service "${call.request.service}"`, metadata: new Metadata() });
          return;
        }
        callback(null, { status: this.servingStatus() });
      },
      watch: (call: Watcher) => {
        if (this.watchers.size >= this.maxWatchers) {
          call.emit('error', { code: status.RESOURCE_EXHAUSTED, details: `${this.watchers.size} health watches open, the limit is ${this.maxWatchers}: use Check, or close a watch`, metadata: new Metadata() });
          return;
        }
        if (!this.services.has(call.request.service)) {
          call.write({ status: ServingStatus.SERVICE_UNKNOWN });
        } else {
          call.write({ status: this.servingStatus() });
        }
        this.watchers.add(call);
        call.on('cancelled', () => this.watchers.delete(call));
        call.on('close', () => this.watchers.delete(call));
      },
    };
  }

  get current(): HealthState {
    return this.state;
  }

  set(state: HealthState): void {
    if (state === this.state) return;
    this.state = state;
    for (const watcher of this.watchers) {
      if (this.services.has(watcher.request.service)) watcher.write({ status: this.servingStatus() });
    }
  }

  /** NOT_SERVING, then every Watch ends (the server is going away). Safe to call twice. */
  close(): void {
    this.set('not-serving');
    for (const watcher of [...this.watchers]) watcher.end();
    this.watchers.clear();
  }

  private servingStatus(): ServingStatus {
    return this.state === 'serving' ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }
}

/** Registers grpc.health.v1.Health on `server`, reporting for `serviceNames` and the server as a whole. */
export function addHealthService(server: Server, serviceNames: readonly string[]): GrpcHealth {
  const health = new GrpcHealth(serviceNames);
  server.addService(HealthService, health.implementation);
  return health;
}
