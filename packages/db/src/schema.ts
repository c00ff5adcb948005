import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  real,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** Binary column (serialised forests, packed reference samples). */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
  toDriver: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
});

/**
 * The pipeline a row belongs to (drizzle/0007). Existing data belongs to `default`, which is
 * pipeline 1 on every database (drizzle/0006 inserted it first).
 */
const pipelineId = () => integer('pipeline_id').notNull().default(1);

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/** Platform-wide settings fixed at run time (one row, id = 1). */
export const platformSettings = pgTable('platform_settings', {
  id: integer('id').primaryKey().default(1),
  /** Fixed by configuration (N_FEATURES) or by the first batch ingested; enforced after. */
  nFeatures: integer('n_features'),
  /**
   * `pg_postmaster_start_time()` when the prediction id sequence was last moved past every id it
   * may have handed out. Predictions commit asynchronously, so after a crash of Postgres the
   * sequence may come back behind ids already returned to clients; each prediction insert checks
   * this against the running postmaster and the platform moves the sequence on first (M8).
   */
  predictionIdFence: timestamp('prediction_id_fence', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * A named data set with its own table schema (packages/core/src/schema). One pipeline, `default`,
 * exists from the start (drizzle/0006); a database older than schemas has none stored and serves
 * the positional schema of its feature count (`platform_settings.n_features`) until one is set.
 */
export const pipelines = pgTable('pipelines', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  /** The TableSchema as JSON: columns (name, type, nullable, categories) and label (name, kind, classes). */
  schema: jsonb('schema'),
  /** Grows with every change of the schema (new column, categories or classes). */
  schemaVersion: integer('schema_version').notNull().default(0),
  /**
   * The feature count of positional rows (`features: [...]`), fixed by the first batch or the
   * schema. The default pipeline's was platform_settings.n_features before drizzle/0007.
   */
  nFeatures: integer('n_features'),
  /** Configuration overrides (window, thresholds, trees, ...): the environment gives the rest. */
  config: jsonb('config').notNull().default(sql`'{}'::jsonb`),
  /** Archived: no ingest, no predictions, no jobs; its data stays readable. */
  archivedAt: timestamp('archived_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** One ingested batch. A re-sent batch id is recognised and stores nothing. */
export const batches = pgTable(
  'batches',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    pipelineId: pipelineId(),
    batchId: text('batch_id').notNull(),
    rowCount: integer('row_count').notNull(),
    labelledCount: integer('labelled_count').notNull(),
    source: text('source').notNull().default('graphql'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('batches_batch_id_key').on(t.pipelineId, t.batchId)],
);

/**
 * Ingested rows. Labelled rows are first scored by the model that was serving when they arrived
 * (test-then-train): `scoredLabel`/`scoredVersion` feed the accuracy series and the error stream.
 */
export const rows = pgTable(
  'rows',
  {
    // Unique: only rows_id_seq hands ids out. The key includes created_at, the partition key
    // (drizzle/0005: partitioned by UTC day, which drizzle cannot declare).
    id: bigserial('id', { mode: 'number' }).notNull(),
    pipelineId: pipelineId(),
    batchPk: bigint('batch_pk', { mode: 'number' })
      .notNull()
      .references(() => batches.id, { onDelete: 'cascade' }),
    features: doublePrecision('features').array().notNull(),
    label: integer('label'),
    scoredLabel: integer('scored_label'),
    scoredVersion: integer('scored_version'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'rows_pkey', columns: [t.id, t.createdAt] }),
    index('rows_batch_pk_idx').on(t.batchPk),
    // Training reads the newest TRAIN_WINDOW labelled rows.
    index('rows_pipeline_id_idx').on(t.pipelineId, t.id),
    index('rows_labelled_id_idx').on(t.pipelineId, t.id).where(sql`${t.label} is not null`),
  ],
);

/** Every prediction served, stored before the response returns. */
export const predictions = pgTable(
  'predictions',
  {
    // Unique: only predictions_id_seq hands ids out (fenced after a crash: PREDICTION_ID_FENCE_GAP).
    // Partitioned by UTC day of created_at, like rows (drizzle/0005).
    id: bigserial('id', { mode: 'number' }).notNull(),
    pipelineId: pipelineId(),
    features: doublePrecision('features').array().notNull(),
    label: integer('label').notNull(),
    probabilities: real('probabilities').array().notNull(),
    modelVersion: integer('model_version').notNull(),
    feedbackLabel: integer('feedback_label'),
    feedbackAt: timestamp('feedback_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'predictions_pkey', columns: [t.id, t.createdAt] }),
    index('predictions_pipeline_id_idx').on(t.pipelineId, t.id),
    index('predictions_model_version_idx').on(t.pipelineId, t.modelVersion, t.id),
    index('predictions_feedback_idx')
      .on(t.pipelineId, t.feedbackAt)
      .where(sql`${t.feedbackLabel} is not null`),
    index('predictions_created_at_idx').on(t.createdAt),
  ],
);

/**
 * Every drift check, drifted or not, with per-feature results (JSON parsed at the storage
 * boundary). `drifted` marks the drift events.
 */
export const driftChecks = pgTable(
  'drift_checks',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    pipelineId: pipelineId(),
    modelVersion: integer('model_version'),
    trigger: text('trigger').notNull(),
    verdict: text('verdict').notNull(),
    drifted: boolean('drifted').notNull(),
    dataDrift: boolean('data_drift').notNull().default(false),
    predictionDrift: boolean('prediction_drift').notNull().default(false),
    conceptDrift: boolean('concept_drift').notNull().default(false),
    driftedShare: doublePrecision('drifted_share').notNull().default(0),
    nReference: integer('n_reference').notNull().default(0),
    nCurrent: integer('n_current').notNull().default(0),
    windowStartId: bigint('window_start_id', { mode: 'number' }),
    windowEndId: bigint('window_end_id', { mode: 'number' }),
    /** Per-feature statistics: DriftReport features as stored JSON. */
    features: jsonb('features').notNull().default(sql`'[]'::jsonb`),
    /** Chi-square on predicted classes, concept-drift detector state, etc. */
    details: jsonb('details').notNull().default(sql`'{}'::jsonb`),
    /** What the policy did: none | retrain_queued | cooldown | insufficient_data | no_model. */
    action: text('action').notNull().default('none'),
    trainingJobId: bigint('training_job_id', { mode: 'number' }),
    durationMs: doublePrecision('duration_ms'),
    /**
     * The newest manual check request (a `drift_check_requests` number) made before this check
     * read its data: every request up to it is answered by this check (checkDrift waits for it).
     */
    requestTicket: bigint('request_ticket', { mode: 'number' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('drift_checks_created_idx').on(t.pipelineId, t.id),
    index('drift_checks_drifted_idx').on(t.pipelineId, t.id).where(sql`${t.drifted}`),
    // checkDrift: the check answering a request, and the newest manual check (its minimum interval).
    index('drift_checks_request_ticket_idx').on(t.requestTicket),
    index('drift_checks_manual_idx').on(t.pipelineId, t.id).where(sql`${t.trigger} = 'manual'`),
  ],
);

/** Numbers the manual drift-check requests (checkDrift), so a caller can tell which check answers it. */
export const driftCheckRequests = pgSequence('drift_check_requests');

/** Retraining jobs (queued → running → succeeded | failed), with progress and metrics. */
export const trainingJobs = pgTable(
  'training_jobs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    pipelineId: pipelineId(),
    status: text('status').notNull().default('queued'),
    reason: text('reason').notNull(),
    driftCheckId: bigint('drift_check_id', { mode: 'number' }),
    /** When the detected change began: train on labelled rows after it when there are enough. */
    changeAt: timestamp('change_at', { withTimezone: true }),
    /**
     * The first ingested row of the new regime, when the change point is one: rows of a batch
     * share `created_at`, so the time alone would round the change back to its batch's start.
     */
    changeRowId: bigint('change_row_id', { mode: 'number' }),
    queueJobId: text('queue_job_id'),
    attempts: integer('attempts').notNull().default(0),
    treesDone: integer('trees_done').notNull().default(0),
    treesTotal: integer('trees_total').notNull().default(0),
    progress: doublePrecision('progress').notNull().default(0),
    resultVersion: integer('result_version'),
    outcome: text('outcome'),
    metrics: jsonb('metrics'),
    error: text('error'),
    queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    durationMs: doublePrecision('duration_ms'),
  },
  (t) => [index('training_jobs_status_idx').on(t.pipelineId, t.status, t.id)],
);

/** The registry: every trained version with its artifact and the sample used as drift reference. */
export const modelVersions = pgTable(
  'model_versions',
  {
    pipelineId: pipelineId(),
    /** Numbered per pipeline from 1. */
    version: integer('version').notNull(),
    /** candidate | production | archived | rejected */
    status: text('status').notNull(),
    params: jsonb('params').notNull(),
    metrics: jsonb('metrics').notNull(),
    championMetrics: jsonb('champion_metrics'),
    featureImportances: doublePrecision('feature_importances').array().notNull(),
    nFeatures: integer('n_features').notNull(),
    nClasses: integer('n_classes').notNull(),
    trainRows: integer('train_rows').notNull(),
    holdoutRows: integer('holdout_rows').notNull(),
    rowWindowStart: bigint('row_window_start', { mode: 'number' }),
    rowWindowEnd: bigint('row_window_end', { mode: 'number' }),
    trainingMs: doublePrecision('training_ms').notNull(),
    trainingJobId: bigint('training_job_id', { mode: 'number' }),
    reason: text('reason'),
    rejectedReason: text('rejected_reason'),
    artifact: bytea('artifact').notNull(),
    /** Row-major Float64 sample of the training features (bounded), the drift reference. */
    referenceSample: bytea('reference_sample').notNull(),
    referenceRows: integer('reference_rows').notNull(),
    /** Class counts of the model's predictions on its hold-out: reference for prediction drift. */
    referencePredictions: integer('reference_predictions').array().notNull(),
    createdAt: createdAt(),
    promotedAt: timestamp('promoted_at', { withTimezone: true }),
    retiredAt: timestamp('retired_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ name: 'model_versions_pkey', columns: [t.pipelineId, t.version] }),
    // At most one production version per pipeline at any time.
    uniqueIndex('model_versions_one_production')
      .on(t.pipelineId)
      .where(sql`${t.status} = 'production'`),
  ],
);

/** Which version served when: promotions, rollbacks, manual promotions. */
export const modelHistory = pgTable('model_history', {
  id: serial('id').primaryKey(),
  pipelineId: pipelineId(),
  version: integer('version').notNull(),
  previousVersion: integer('previous_version'),
  action: text('action').notNull(),
  reason: text('reason'),
  createdAt: createdAt(),
});

/**
 * The event log. Every event is written here first, then announced with NOTIFY carrying its id;
 * a subscriber that reconnects re-reads from the last id it saw.
 */
export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    pipelineId: pipelineId(),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('events_type_id_idx').on(t.type, t.id),
    index('events_pipeline_id_idx').on(t.pipelineId, t.id),
  ],
);

/** API keys, stored as SHA-256 hashes; `prefix` identifies a key in listings. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role').notNull(),
    /** The pipelines (by name) the key may use; null: every pipeline. */
    pipelines: text('pipelines').array(),
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_keys_hash_key').on(t.keyHash)],
);
