export { PIPELINE_SETTINGS } from '@automl-stream/config';
export { API_KEY_ROLES, ApiKeys, hashApiKey } from './api-keys.ts';
export { type StoredCandidate, type StoredSearch, searchWindows } from './automl-fit.ts';
export type {
  DataObserver,
  IngestInput,
  IngestResult,
  PredictInput,
  PredictionResult,
  PredictOutcome,
  WriterOptions,
} from './data-service.ts';
export { DataService } from './data-service.ts';
export type { DriftAction, DriftCheckInputs, DriftMeasurement, RetrainSituation } from './drift-check.ts';
export { decideAction, MIN_CURRENT_ROWS, measureDrift } from './drift-check.ts';
export { type DriftCheckPage, DriftChecks, explainCheck } from './drift-checks.ts';
export type { DriftCheckOutcome, DriftTrigger } from './drift-policy.ts';
export { DriftPolicy } from './drift-policy.ts';
export type { ErrorCode } from './errors.ts';
export { badInput, DomainError } from './errors.ts';
export { EventBus } from './event-bus.ts';
export type { LeftOut } from './features-left-out.ts';
export type { ForwardRecord } from './forward-promise.ts';
export type { Logger } from './logger.ts';
export { createLogger } from './logger.ts';
export type { ManualCheckOutcome } from './manual-drift-checks.ts';
export { ManualDriftChecks } from './manual-drift-checks.ts';
export { ModelCache } from './model-cache.ts';
export { modelSizeProblem } from './model-size.ts';
export { DEFAULT_PIPELINE_REF, PIPELINE_NAME, type PipelineRef, pipelineName } from './pipeline-ref.ts';
export { PipelineRuntime } from './pipeline-runtime.ts';
export {
  attentionOf,
  byAttention,
  type PipelineAttention,
  type PipelineInfo,
  type PipelineSummary,
  Pipelines,
} from './pipelines.ts';
export type { PlatformOptions } from './platform.ts';
export { Platform } from './platform.ts';
export { prepareDatabase } from './prepare-database.ts';
export { pushIterator } from './push-iterator.ts';
export type { JobObserver, JobOutcome } from './queues.ts';
export {
  driftCheckQueue,
  partitionMaintenanceQueue,
  Queues,
  RETRAIN_DEAD_LETTER,
  retrainQueue,
} from './queues.ts';
export type { BucketSpend } from './rate-limit-store.ts';
export { RateLimitStore } from './rate-limit-store.ts';
export type { Readiness, ReadinessChecks } from './readiness.ts';
export { checkReadiness, READY_DB_TIMEOUT_MS } from './readiness.ts';
export type { ModelVersionPage } from './registry-service.ts';
export { RegistryService } from './registry-service.ts';
export type { PartitionMaintenance } from './retention.ts';
export { maintainPartitions, PARTITION_DAYS_AHEAD, utcDay } from './retention.ts';
export { type RetrainRequest, RetrainRequests } from './retrain-requests.ts';
export { ModelTooLargeError, RetrainService, ShutdownError, TrainingDataError } from './retrain-service.ts';
export { classNames } from './schema/table-schema.ts';
export { DEFAULT_PIPELINE, SchemaService } from './schema-service.ts';
export type { ServingModel } from './serving-model.ts';
export { ModelHolder } from './serving-model.ts';
export { StatsTicker } from './stats-ticker.ts';
// Domain types of the stored records; the storage functions themselves stay inside core.
export type { ApiKeyRecord, ApiKeyRole } from './storage/api-keys-storage.ts';
export type { DriftCheckRecord, DriftFeatureResult } from './storage/drift-storage.ts';
export type { EventType, StoredEvent } from './storage/events-storage.ts';
export type { ModelMetrics, ModelStatus, ModelVersionRecord } from './storage/models-storage.ts';
export type { Partition, TableSize } from './storage/retention-storage.ts';
export type { AccuracyPoint, PlatformStats } from './storage/stats-storage.ts';
export type { TrainingJobRecord, TrainingStatus } from './storage/training-storage.ts';
export { type TrainingJobPage, TrainingJobs } from './training-jobs.ts';
export { classCap, type LabelLimit, validateFeatureMatrix, validateLabels } from './validation.ts';
