// Public API of plateau-sweep.
export type * from './trial/types.js';
export type { Logger, LogFields, LogFormat, LogLevel } from './log/logger.js';
export { createStreamLogger, silentLogger } from './log/logger.js';
export { PlateauScheduler } from './plateau/scheduler.js';
export type { LrReduction, PlateauLogs, PlateauSchedulerState, PlateauStep } from './plateau/scheduler.js';
export { PLATEAU_DEFAULTS, PlateauOptionsError, resolvePlateauOptions } from './plateau/scheduler-options.js';
export type { PlateauSchedulerOptions, ResolvedPlateauOptions } from './plateau/scheduler-options.js';
export { reduceLROnPlateau, ReduceLROnPlateauCallback } from './plateau/callback.js';
export type { ReduceLROnPlateauOptions } from './plateau/callback.js';
export { applyLearningRate, readLearningRate } from './plateau/optimizer-learning-rate.js';
export { InvalidLearningRateError, UnsupportedOptimizerError } from './plateau/errors.js';
export { UnknownMonitorError } from './plateau/monitor.js';
export { rankConfigs } from './rank/ranking.js';
export type { RankedConfig } from './rank/ranking.js';
export { configKey, CONFIG_AXES } from './rank/config-key.js';
export type { ConfigAxis } from './rank/config-key.js';
export type { ObjectiveSummary } from './rank/summary-stats.js';
export { computeAxisEffects } from './rank/axis-effects.js';
export type { AxisEffect, AxisValueEffect } from './rank/axis-effects.js';
export type { ConfigFlag } from './rank/schedule-flags.js';
export { buildResultsDocument, serializeResultsDocument, RESULTS_SCHEMA_VERSION } from './results/results-document.js';
export type { ResultsDocument, ResultsTrial, ResultsRankingEntry, ResultsBest, ResultsTrialStatus } from './results/results-document.js';
export { parseResultsDocument, parseResultsJson, ResultsDocumentError } from './results/parse-results.js';
export type { ResultsDocumentIssue } from './results/parse-results.js';
export { resultsCsv } from './results/results-csv.js';
export { writeResultsFiles } from './results/write-results.js';
export type { ResultsFilePaths } from './results/write-results.js';
export { kerasSnippet, tfjsSnippet } from './results/snippets.js';
export { renderReportHtml } from './report/render-report.js';
export { ReportAssetError } from './report/echarts-bundle.js';
export { parseSweepSpec, loadSweepSpecFile, parseSweepSpecJson } from './spec/load.js';
export type { SpecLoadOptions } from './spec/load.js';
export { expandGrid, gridSize, configCount } from './spec/grid.js';
export { trialId, sweepId, repeatSeed } from './spec/ids.js';
export { SpecError } from './spec/spec-error.js';
export type { SpecIssue } from './spec/spec-error.js';
export type { SweepSpec, GridAxes, GridAxisName, SweepPlateauOptions } from './spec/sweep-spec.js';
export { startCoordinatorServer, ServerBindError } from '../coordinator/grpc-server.js';
export type { CoordinatorServerOptions, RunningCoordinator } from '../coordinator/grpc-server.js';
export { Coordinator } from '../coordinator/coordinator.js';
export type { AgentInfo, CoordinatorStats } from '../coordinator/coordinator.js';
export type { CoordinatorOptions } from '../coordinator/coordinator-options.js';
export type { CoordinatorEvents, CoordinatorEventName } from '../coordinator/coordinator-events.js';
export { CoordinatorClosedError, InvalidReportError, StaleLeaseError, UnknownAgentError, UnknownSweepError } from '../coordinator/errors.js';
export { LeaseLostError } from './rpc/agent-channel.js';
export type { AgentChannel, AgentRegistration, HeartbeatDirective, LeaseRef, TrialLease } from './rpc/agent-channel.js';
export { createGrpcAgentChannel } from './rpc/grpc-agent-channel.js';
export type { GrpcAgentChannelOptions } from './rpc/grpc-agent-channel.js';
export { createGrpcSweepClient } from './rpc/grpc-sweep-client.js';
export type { GrpcSweepClientOptions } from './rpc/grpc-sweep-client.js';
export type { SweepClient } from './rpc/sweep-client.js';
export type { RunningTrialProgress, SubmittedSweep, SweepProgress, SweepState, SweepSummary, TrialCounts, BestSoFar } from './rpc/sweep-progress.js';
export { CoordinatorRpcError, CoordinatorUnavailableError, InvalidRequestError, SweepNotFoundError, UnregisteredAgentError } from './rpc/rpc-errors.js';
export { WireDecodeError } from './rpc/wire.js';
export { Agent, AgentStoppedError, type AgentStopOptions } from '../agent/agent.js';
export { AgentOptionsError, type AgentOptions } from '../agent/agent-options.js';
export type { AgentEventMap, AgentEventName, AgentListener, TrialReport } from '../agent/agent-events.js';
export { WorkerProcess, type WorkerProcessOptions, type WorkerReady, type WorkerRunOptions } from '../agent/worker-process.js';
export {
  WorkerBusyError,
  WorkerClosedError,
  WorkerCrashedError,
  WorkerFatalError,
  WorkerProtocolError,
  WorkerStartError,
  WorkerTimeoutError,
} from '../agent/worker-errors.js';
export { runTrial, LR_REDUCED_EVENT } from './train/trial-runner.js';
export type { RunTrialOptions } from './train/trial-runner.js';
export { selectBackend, BackendUnavailableError } from './train/backend.js';
export type { BackendRequest, BackendSelection, SkippedBackend } from './train/backend.js';
export { loadDataset, clearDatasetCache } from './train/datasets/load-dataset.js';
export type { LoadedDataset, DatasetSplit } from './train/datasets/loaded-dataset.js';
export { DatasetError } from './train/datasets/dataset-error.js';
export { ModelError } from './train/model-error.js';
export { TrialSpecError } from './train/trial-spec-error.js';
// Metrics: declarations (pass your own prom-client Registry), bindings, the /metrics server, gRPC health.
export { CoordinatorMetrics } from './metrics/coordinator-metrics.js';
export { AgentMetrics } from './metrics/agent-metrics.js';
export { createMetricsRegistry } from './metrics/registry.js';
export { startMetricsServer, MetricsServerBindError } from './metrics/metrics-server.js';
export type { HealthReport, MetricsServerOptions, RunningMetricsServer } from './metrics/metrics-server.js';
export { CoordinatorMetricsBinding } from '../coordinator/coordinator-metrics-binding.js';
export type { CoordinatorMetricsBindingOptions, CoordinatorMetricsSource } from '../coordinator/coordinator-metrics-binding.js';
export { CoordinatorTelemetry } from '../coordinator/coordinator-telemetry.js';
export type { CoordinatorTelemetryOptions } from '../coordinator/coordinator-telemetry.js';
export { GrpcHealth } from '../coordinator/grpc-health.js';
export type { HealthState } from '../coordinator/grpc-health.js';
export { AgentMetricsBinding, AgentTelemetry } from '../agent/agent-metrics.js';
export type { AgentMetricsSource, AgentTelemetryOptions } from '../agent/agent-metrics.js';
export { AccessTokenError, readAccessToken, tokensMatch, TOKEN_ENV } from './security/access-token.js';
export { TlsConfigError, serverTlsCredentials, channelTlsCredentials } from './security/tls-files.js';
export type { TlsFiles, ServerTls } from './security/tls-files.js';
export { isLoopbackHost } from './security/loopback.js';
export { InsecureExposureError, decideExposure, tokenAuthInterceptor } from '../coordinator/auth.js';
export { UnauthenticatedError } from './rpc/rpc-errors.js';
export { StoreOpenError, StoreSchemaError } from '../coordinator/sweep-store.js';
export { StoreUnavailableError } from '../coordinator/store-health.js';
export type { StoreHealth } from '../coordinator/store-health.js';
export type { TrialCheckpointOptions } from './train/trial-checkpoint.js';
export { runFusedTrials, type RunFusedTrialsOptions } from './train/fused/fused-runner.js';
export { fusable, fusionKey, fusionBlocker } from './train/fused/fusion-key.js';
export { NotFusableError } from './train/fused/not-fusable-error.js';
