// The gRPC shell around the Coordinator: decode, call the domain service, encode, and map
// each typed error to a status code. Shutdown lets go of long-polls and watches first, so
// a draining coordinator never waits on its own PollTrial calls.
import {
  Metadata,
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import * as wire from '../gen/plateau/v1/coordinator.js';
import { silentLogger, type Logger } from '../src/log/logger.js';
import { maxMessageBytes, trialIdMetadataKey } from '../src/rpc/grpc-call.js';
import { boundedString, boundedText, decodeEpoch, decodeId, decodeTrialError, decodeTrialResult, encodeDirective, WIRE_LIMITS, encodePollResponse, encodeSweepEvent, encodeSweepSummary, parseBackendName, WireDecodeError } from '../src/rpc/wire.js';
import { buildResultsDocument, serializeResultsDocument } from '../src/results/results-document.js';
import { parseSweepSpecJson } from '../src/spec/load.js';
import { SpecError } from '../src/spec/spec-error.js';
import { decideExposure, InsecureExposureError, tokenAuthInterceptor } from './auth.js';
import { AgentSessions, type CallFailure, type LeaseCallHandlers } from './agent-session.js';
import { Coordinator, InvalidPageTokenError } from './coordinator.js';
import type { CoordinatorOptions } from './coordinator-options.js';
import { ArtifactError, type ArtifactStore, type UploadHeader } from './artifact-store.js';
import { CoordinatorClosedError, InvalidReportError, MissingArtifactError, StaleLeaseError, UnknownAgentError, UnknownSweepError } from './errors.js';
import { addHealthService, serviceNameOf, type GrpcHealth, type HealthState } from './grpc-health.js';
import { StoreUnavailableError, type StoreHealth } from './store-health.js';

/**
 * The default `--max-trials`: a sweep this size expands, is written and queued in a few
 * seconds of chunked work (never blocking the event loop for long) and takes about 100 MB of
 * store. 10× the client's default limit, so `--allow-large` has room.
 */
export const DEFAULT_MAX_TRIALS_PER_SWEEP = 100_000;

/** Sweeps per ListSweeps page when the client does not say. */
const DEFAULT_LIST_PAGE = 100;

export interface CoordinatorServerOptions extends Omit<CoordinatorOptions, 'logger'> {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly logger?: Logger;
  /** Default: insecure (what loopback needs). */
  readonly credentials?: ServerCredentials;
  /**
   * Refuse sweeps with more trials than this (`--max-trials`). Default
   * DEFAULT_MAX_TRIALS_PER_SWEEP: the client already checked its own limit (--allow-large lifts
   * it), but the coordinator bounds what one request may make it expand and store.
   */
  readonly maxTrialsPerSweep?: number;
  /** How long close() waits for in-flight calls before cutting them. Default 5 s. */
  readonly shutdownGraceMs?: number;
  /** Called once per finished unary call with its method and status code (metrics). */
  readonly observeCall?: (method: string, code: status) => void;
  /** Every call must carry it as `authorization: Bearer <token>` (else UNAUTHENTICATED). */
  readonly token?: string;
  /** `credentials` check client certificates: callers are authenticated without a token. */
  readonly mutualTls?: boolean;
  /** Listen off loopback with no token and no mutual TLS (refused otherwise: InsecureExposureError). */
  readonly insecure?: boolean;
}

export interface RunningCoordinator {
  /** host:port to dial, with the port actually bound. */
  readonly address: string;
  readonly port: number;
  readonly coordinator: Coordinator;
  /** grpc.health.v1 status: SERVING once started, NOT_SERVING while the store cannot write and from the start of close(). */
  readonly health: GrpcHealth;
  /** Releases polls and watches, drains in-flight calls, closes the store. Safe to call twice. */
  close(): Promise<void>;
}

export class ServerBindError extends Error {
  override readonly name = 'ServerBindError';
  constructor(
    readonly address: string,
    readonly reason: string,
  ) {
    super(`cannot listen on ${address}: ${reason}`);
  }
}

function formatHostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Status details travel in an HTTP/2 trailer: one that echoes a huge input would never arrive. */
const maxDetailsLength = 4_096;

function clipDetails(details: string): string {
  return details.length <= maxDetailsLength ? details : `${details.slice(0, maxDetailsLength - 1)}…`;
}

function serviceError(code: status, details: string): Partial<ServiceError> {
  return { code, details: clipDetails(details), metadata: new Metadata() };
}

const artifactStatus: Readonly<Record<ArtifactError['kind'], status>> = {
  invalid: status.INVALID_ARGUMENT,
  'too-large': status.INVALID_ARGUMENT,
  busy: status.ABORTED,
  'not-found': status.NOT_FOUND,
  corrupt: status.DATA_LOSS,
  'resume-mismatch': status.FAILED_PRECONDITION,
};

/** One HasArtifacts asks about a sweep's files: a spec names a few, a model's shards a few more. */
const MAX_HASHES_PER_CALL = 1_024;

/** The first message of an upload is its header; the rest are chunks. */
async function readUpload(call: ServerReadableStream<wire.UploadArtifactRequest, wire.UploadArtifactResponse>, artifacts: ArtifactStore): Promise<number> {
  const messages = call[Symbol.asyncIterator]() as AsyncIterator<wire.UploadArtifactRequest>;
  const first = await messages.next();
  const part = first.done === true ? undefined : first.value.part;
  if (part?.$case !== 'header') throw new WireDecodeError('part', 'the first message of an upload is its header');
  const header: UploadHeader = { sha256: part.value.sha256, size: part.value.size, name: part.value.name, offset: part.value.offset };
  async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const next = await messages.next();
      if (next.done === true) return;
      const chunk = next.value.part;
      if (chunk?.$case !== 'chunk') throw new WireDecodeError('part', 'after the header, an upload sends only chunks');
      yield chunk.value;
    }
  }
  return artifacts.receive(header, chunks());
}

/** Streams a blob with backpressure: never more than the transport's buffer ahead of the reader. */
async function sendBlob(call: ServerWritableStream<wire.FetchArtifactRequest, wire.ArtifactChunk>, chunks: AsyncIterable<Buffer>): Promise<boolean> {
  let cancelled = call.cancelled;
  const onCancelled = (): void => {
    cancelled = true;
  };
  call.once('cancelled', onCancelled);
  try {
    for await (const data of chunks) {
      if (cancelled) return false;
      if (!call.write({ data })) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            call.off('drain', done);
            call.off('cancelled', done);
            resolve();
          };
          call.on('drain', done);
          call.on('cancelled', done);
        });
      }
    }
    return !cancelled;
  } finally {
    call.off('cancelled', onCancelled);
  }
}

/** Each domain error class → the status it ends a call with; anything else is a bug and answers INTERNAL. */
function toCallFailure(error: unknown, logger: Logger, method: string): CallFailure {
  const failure = (code: status, details: string, trialId = ''): CallFailure => ({ code, details: clipDetails(details), trialId });
  if (error instanceof StaleLeaseError) return failure(status.FAILED_PRECONDITION, error.message, error.trialId ?? '');
  if (error instanceof UnknownSweepError || error instanceof UnknownAgentError) return failure(status.NOT_FOUND, error.message);
  if (error instanceof SpecError) return failure(status.INVALID_ARGUMENT, error.format());
  if (error instanceof WireDecodeError || error instanceof InvalidReportError || error instanceof InvalidPageTokenError) return failure(status.INVALID_ARGUMENT, error.message);
  if (error instanceof CoordinatorClosedError) return failure(status.UNAVAILABLE, error.message);
  // The disk is full or failing: the store probes and recovers on its own, so the caller retries.
  if (error instanceof StoreUnavailableError) return failure(status.UNAVAILABLE, error.message);
  if (error instanceof MissingArtifactError) return failure(status.FAILED_PRECONDITION, error.message);
  if (error instanceof ArtifactError) return failure(artifactStatus[error.kind], error.message);
  logger.error('rpc.internal-error', { method, error });
  return failure(status.INTERNAL, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

/** The same failure as a unary call's status: the refused lease's trial travels in a trailer. */
function toServiceError(error: unknown, logger: Logger, method: string): Partial<ServiceError> {
  const { code, details, trialId } = toCallFailure(error, logger, method);
  const metadata = new Metadata();
  if (trialId !== '') metadata.set(trialIdMetadataKey, trialId);
  return { code, details, metadata };
}

function parseSpecJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WireDecodeError('spec_json', `not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

export async function startCoordinatorServer(options: CoordinatorServerOptions): Promise<RunningCoordinator> {
  const logger = (options.logger ?? silentLogger).child({ component: 'grpc' });
  const exposure = decideExposure({
    host: options.host,
    token: options.token !== undefined,
    mutualTls: options.mutualTls === true,
    tls: options.credentials?._isSecure() === true,
    insecure: options.insecure === true,
  });
  if (exposure.kind === 'refuse') throw new InsecureExposureError(options.host, exposure.reason);
  if (exposure.warning !== undefined) logger.warn('coordinator.exposed', { host: options.host, warning: exposure.warning });
  // Bound below, before the first call can arrive: the store is opened only once the port is ours.
  let coordinatorRef: Coordinator | undefined;
  const domain = (): Coordinator => {
    if (coordinatorRef === undefined) throw new CoordinatorClosedError();
    return coordinatorRef;
  };
  const server = new Server({
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    // Channelz bookkeeping on every call, for a debugging service this server does not offer.
    'grpc.enable_channelz': 0,
    interceptors: options.token === undefined ? [] : [tokenAuthInterceptor(options.token, (peer) => logger.warn('rpc.unauthenticated', { peer }))],
  });

  /** A unary handler from a synchronous or async domain call. */
  function unary<Request, Response>(method: string, handle: (request: Request, call: ServerUnaryCall<Request, Response>) => Response | Promise<Response>) {
    return (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>): void => {
      Promise.resolve()
        .then(() => handle(call.request, call))
        .then(
          (response) => {
            options.observeCall?.(method, status.OK);
            callback(null, response);
          },
          (error: unknown) => {
            const failure = toServiceError(error, logger, method);
            options.observeCall?.(method, failure.code ?? status.UNKNOWN);
            callback(failure);
          },
        );
    };
  }

  const sweepService: wire.SweepServiceServer = {
    submitSweep: unary<wire.SubmitSweepRequest, wire.SubmitSweepResponse>('SubmitSweep', (request) => {
      const spec = parseSweepSpecJson(
        parseSpecJson(boundedText(request.specJson, 'spec_json', WIRE_LIMITS.specJsonBytes)),
        { maxTrials: options.maxTrialsPerSweep ?? DEFAULT_MAX_TRIALS_PER_SWEEP, overLimitAdvice: "the coordinator's --max-trials limit, which --allow-large does not lift" },
      );
      return domain().submitSweep(spec, boundedText(request.specSource, 'spec_source', WIRE_LIMITS.specSourceBytes));
    }),
    getSweep: unary<wire.GetSweepRequest, wire.GetSweepResponse>('GetSweep', (request) => ({
      sweep: encodeSweepSummary(domain().getSweep(decodeId(request.sweepId, 'sweep_id'))),
    })),
    listSweeps: unary<wire.ListSweepsRequest, wire.ListSweepsResponse>('ListSweeps', (request) => {
      const page = domain().listSweepsPage(request.pageToken, request.pageSize === 0 ? DEFAULT_LIST_PAGE : request.pageSize);
      return { sweeps: page.sweeps.map(encodeSweepSummary), nextPageToken: page.nextPageToken };
    }),
    cancelSweep: unary<wire.CancelSweepRequest, wire.CancelSweepResponse>('CancelSweep', (request) => ({
      sweep: encodeSweepSummary(domain().cancelSweep(decodeId(request.sweepId, 'sweep_id'))),
    })),
    watchSweep: (call: ServerWritableStream<wire.WatchSweepRequest, wire.SweepEvent>): void => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      void (async () => {
        try {
          for await (const progress of domain().watch(decodeId(call.request.sweepId, 'sweep_id'), abort.signal)) {
            if (abort.signal.aborted) return;
            call.write(encodeSweepEvent(progress));
          }
          // A watch cut short by shutdown must not look like a finished sweep.
          if (domain().closed) call.emit('error', serviceError(status.UNAVAILABLE, 'the coordinator is shutting down'));
          else call.end();
        } catch (error) {
          if (!abort.signal.aborted) call.emit('error', toServiceError(error, logger, 'WatchSweep'));
        }
      })();
    },
    getResults: unary<wire.GetResultsRequest, wire.GetResultsResponse>('GetResults', (request) => ({
      resultsJson: serializeResultsDocument(buildResultsDocument(domain().snapshot(decodeId(request.sweepId, 'sweep_id')))),
    })),
  };

  const artifactService: wire.ArtifactServiceServer = {
    hasArtifacts: unary<wire.HasArtifactsRequest, wire.HasArtifactsResponse>('HasArtifacts', async (request) => {
      if (request.sha256.length > MAX_HASHES_PER_CALL) throw new WireDecodeError('sha256', `${request.sha256.length} hashes — at most ${MAX_HASHES_PER_CALL} per call`);
      const missing = await domain().artifacts.missing(request.sha256);
      return { missing: missing.map((blob) => ({ sha256: blob.sha256, heldBytes: blob.heldBytes })) };
    }),
    uploadArtifact: (call: ServerReadableStream<wire.UploadArtifactRequest, wire.UploadArtifactResponse>, callback: sendUnaryData<wire.UploadArtifactResponse>): void => {
      // A client that goes away mid-upload ends the stream, so the partial file is closed (and kept for a resume).
      call.once('cancelled', () => call.destroy());
      readUpload(call, domain().artifacts).then(
        (bytesReceived) => {
          if (bytesReceived > 0) logger.info('artifact.received', { bytes: bytesReceived });
          options.observeCall?.('UploadArtifact', status.OK);
          callback(null, { bytesReceived });
        },
        (error: unknown) => {
          const failure = toServiceError(error, logger, 'UploadArtifact');
          options.observeCall?.('UploadArtifact', failure.code ?? status.UNKNOWN);
          callback(failure);
        },
      );
    },
    fetchArtifact: (call: ServerWritableStream<wire.FetchArtifactRequest, wire.ArtifactChunk>): void => {
      sendBlob(call, domain().artifacts.read(call.request.sha256, call.request.offset)).then(
        (complete) => {
          if (complete) call.end();
        },
        (error: unknown) => {
          if (error instanceof ArtifactError && error.kind === 'corrupt') logger.error('artifact.corrupt', { sha256: call.request.sha256, error: error.message });
          if (!call.cancelled) call.emit('error', toServiceError(error, logger, 'FetchArtifact'));
        },
      );
    },
  };

  // The lease calls, shared by their unary handlers and the AgentSession stream.
  const leaseCalls: LeaseCallHandlers = {
    poll: async (request, signal) => encodePollResponse(await domain().pollBundle(decodeId(request.agentId, 'agent_id'), request.waitMs, request.maxBundle ?? 1, signal)),
    heartbeat: (request) => encodeDirective(domain().heartbeat({ leaseId: decodeId(request.leaseId, 'lease_id'), fencingToken: request.fencingToken }, request.epochs.map(decodeEpoch))),
    complete: async (request) => {
      const coordinator = domain();
      const recorded = coordinator.complete({ leaseId: decodeId(request.leaseId, 'lease_id'), fencingToken: request.fencingToken }, decodeTrialResult(request.result));
      // The agent forgets its result once told it is recorded: it must be on disk by then.
      await coordinator.durable();
      return recorded;
    },
    fail: (request) => {
      if (request.errorKind === '') throw new WireDecodeError('error_kind', 'a failed attempt says what failed');
      const error = decodeTrialError(request.errorKind, request.errorMessage, request.errorScope, 'error_scope');
      return domain().fail({ leaseId: decodeId(request.leaseId, 'lease_id'), fencingToken: request.fencingToken }, error);
    },
  };
  const sessions = new AgentSessions({
    handlers: leaseCalls,
    toFailure: (error, method) => toCallFailure(error, logger, method),
    observeCall: options.observeCall,
  });

  const agentService: wire.AgentServiceServer = {
    registerAgent: unary<wire.RegisterAgentRequest, wire.RegisterAgentResponse>('RegisterAgent', (request) => {
      if (request.hostname === '') throw new WireDecodeError('hostname', 'empty');
      const hostname = boundedString(request.hostname, 'hostname', WIRE_LIMITS.hostname);
      const version = boundedString(request.version, 'version', WIRE_LIMITS.version);
      if (request.slots < 1) throw new WireDecodeError('slots', `${request.slots} — expected ≥ 1`);
      const backend = parseBackendName(request.backend, 'backend');
      return domain().registerAgent({ hostname, slots: request.slots, backend, version });
    }),
    pollTrial: unary<wire.PollTrialRequest, wire.PollTrialResponse>('PollTrial', async (request, call) => {
      const abort = new AbortController();
      // Only while the poll waits: grpc-js says 'cancelled' when any call's stream closes, and
      // an abort then would only build an AbortError (a stack trace) per poll for nobody.
      const onCancelled = (): void => abort.abort();
      call.once('cancelled', onCancelled);
      try {
        return await leaseCalls.poll(request, abort.signal);
      } finally {
        call.off('cancelled', onCancelled);
      }
    }),
    heartbeat: unary<wire.HeartbeatRequest, wire.HeartbeatResponse>('Heartbeat', (request) => leaseCalls.heartbeat(request)),
    completeTrial: unary<wire.CompleteTrialRequest, wire.CompleteTrialResponse>('CompleteTrial', (request) => leaseCalls.complete(request)),
    failTrial: unary<wire.FailTrialRequest, wire.FailTrialResponse>('FailTrial', (request) => leaseCalls.fail(request)),
    agentSession: sessions.handle,
  };

  server.addService(wire.SweepServiceService, sweepService);
  server.addService(wire.AgentServiceService, agentService);
  server.addService(wire.ArtifactServiceService, artifactService);
  const health = addHealthService(server, [serviceNameOf(wire.SweepServiceService), serviceNameOf(wire.AgentServiceService), serviceNameOf(wire.ArtifactServiceService)]);

  const requested = formatHostPort(options.host, options.port);
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(requested, options.credentials ?? ServerCredentials.createInsecure(), (error, bound) => (error === null ? resolve(bound) : reject(error)));
    });
  } catch (error) {
    server.forceShutdown();
    throw new ServerBindError(requested, error instanceof Error ? error.message : String(error));
  }
  let coordinator: Coordinator;
  try {
    coordinator = new Coordinator({ ...options, logger: options.logger ?? silentLogger });
  } catch (error) {
    server.forceShutdown();
    throw error;
  }
  coordinatorRef = coordinator;
  let closing: Promise<void> | undefined;
  // NOT_SERVING while the store cannot write (a full disk), SERVING again once it can; never after close() began.
  const servingFor = (store: StoreHealth): HealthState => (store.state === 'healthy' ? 'serving' : 'not-serving');
  const stopFollowingStore = coordinator.events.on('store-health-changed', ({ health: store }) => {
    if (closing === undefined) health.set(servingFor(store));
  });
  health.set(servingFor(coordinator.storeHealth));
  const address = formatHostPort(options.host, port);
  logger.info('coordinator.listening', { address, dataDir: options.dataDir, leaseTimeoutMs: coordinator.leaseTimeoutMs });

  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      stopFollowingStore();
      // First the domain service: pending polls answer empty, watches end, new calls get UNAVAILABLE.
      health.close();
      coordinator.close();
      const force = setTimeout(() => server.forceShutdown(), options.shutdownGraceMs ?? 5_000);
      // Sessions are calls that never end on their own: end them once their calls in flight are answered.
      void sessions.endAll();
      server.tryShutdown(() => {
        clearTimeout(force);
        logger.info('coordinator.stopped', { address });
        resolve();
      });
    });
    return closing;
  };

  return { address, port, coordinator, health, close };
}
