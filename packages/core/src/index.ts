export { API_KEY_ROLES, ApiKeys, hashApiKey } from './api-keys.ts';
export type { IngestInput, IngestResult, PredictionResult, WriterOptions } from './data-service.ts';
export { DataService } from './data-service.ts';
export type { ConceptDriftResult, DriftCheckOutcome, DriftTrigger } from './drift-policy.ts';
export { DriftPolicy, detectConceptDrift, errorRise, MIN_CURRENT_ROWS } from './drift-policy.ts';
export type { ErrorCode } from './errors.ts';
export { badInput, DomainError } from './errors.ts';
export { EventBus } from './event-bus.ts';
export type { Logger } from './logger.ts';
export { createLogger } from './logger.ts';
export type { ManualCheckOutcome } from './manual-drift-checks.ts';
export { ManualDriftChecks } from './manual-drift-checks.ts';
export { modelSizeProblem } from './model-size.ts';
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
export type { Readiness, ReadinessChecks } from './readiness.ts';
export { checkReadiness, READY_DB_TIMEOUT_MS } from './readiness.ts';
export { RegistryService } from './registry-service.ts';
export type { PartitionMaintenance } from './retention.ts';
export { maintainPartitions, PARTITION_DAYS_AHEAD, utcDay } from './retention.ts';
export { ModelTooLargeError, RetrainService, ShutdownError, TrainingDataError } from './retrain-service.ts';
export type { ServingModel } from './serving-model.ts';
export { ModelHolder } from './serving-model.ts';
export { StatsTicker } from './stats-ticker.ts';
export * from './storage/api-keys-storage.ts';
export * from './storage/data-storage.ts';
export * from './storage/drift-storage.ts';
export * from './storage/events-storage.ts';
export * from './storage/models-storage.ts';
export * from './storage/retention-storage.ts';
export * from './storage/stats-storage.ts';
export * from './storage/training-storage.ts';
export { classCap, type LabelLimit, validateFeatureMatrix, validateLabels } from './validation.ts';
