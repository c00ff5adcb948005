import type { Queryable } from '@automl-stream/db';

export type ModelStatus = 'candidate' | 'production' | 'archived' | 'rejected';

export interface ModelMetrics {
  accuracy: number;
  f1: number;
  logLoss: number;
  holdoutRows: number;
  [key: string]: unknown;
}

export interface ModelVersionRecord {
  /** The pipeline's id; versions are numbered per pipeline. */
  pipelineId: number;
  version: number;
  status: ModelStatus;
  params: Record<string, unknown>;
  metrics: ModelMetrics;
  championMetrics: ModelMetrics | null;
  featureImportances: number[];
  nFeatures: number;
  nClasses: number;
  trainRows: number;
  holdoutRows: number;
  rowWindowStart: number | null;
  rowWindowEnd: number | null;
  trainingMs: number;
  trainingJobId: number | null;
  reason: string | null;
  rejectedReason: string | null;
  referenceRows: number;
  referencePredictions: number[];
  createdAt: Date;
  promotedAt: Date | null;
  retiredAt: Date | null;
}

export interface NewModelVersion
  extends Omit<ModelVersionRecord, 'pipelineId' | 'version' | 'createdAt' | 'promotedAt' | 'retiredAt'> {
  artifact: Uint8Array;
  referenceSample: Uint8Array;
}

const COLUMNS = `pipeline_id, version, status, params, metrics, champion_metrics, feature_importances, n_features, n_classes,
  train_rows, holdout_rows, row_window_start, row_window_end, training_ms, training_job_id, reason,
  rejected_reason, reference_rows, reference_predictions, created_at, promoted_at, retired_at`;

/** A Buffer over the same bytes (no copy: the artifact and reference sample run to megabytes). */
function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

interface Row {
  pipeline_id: number;
  version: number;
  status: ModelStatus;
  params: Record<string, unknown>;
  metrics: ModelMetrics;
  champion_metrics: ModelMetrics | null;
  feature_importances: number[];
  n_features: number;
  n_classes: number;
  train_rows: number;
  holdout_rows: number;
  row_window_start: string | null;
  row_window_end: string | null;
  training_ms: number;
  training_job_id: string | null;
  reason: string | null;
  rejected_reason: string | null;
  reference_rows: number;
  reference_predictions: number[];
  created_at: Date;
  promoted_at: Date | null;
  retired_at: Date | null;
}

const toRecord = (r: Row): ModelVersionRecord => ({
  pipelineId: r.pipeline_id,
  version: r.version,
  status: r.status,
  params: r.params,
  metrics: r.metrics,
  championMetrics: r.champion_metrics,
  featureImportances: r.feature_importances,
  nFeatures: r.n_features,
  nClasses: r.n_classes,
  trainRows: r.train_rows,
  holdoutRows: r.holdout_rows,
  rowWindowStart: r.row_window_start === null ? null : Number(r.row_window_start),
  rowWindowEnd: r.row_window_end === null ? null : Number(r.row_window_end),
  trainingMs: r.training_ms,
  trainingJobId: r.training_job_id === null ? null : Number(r.training_job_id),
  reason: r.reason,
  rejectedReason: r.rejected_reason,
  referenceRows: r.reference_rows,
  referencePredictions: r.reference_predictions,
  createdAt: r.created_at,
  promotedAt: r.promoted_at,
  retiredAt: r.retired_at,
});

/** The advisory-lock class that numbers model versions (keyed by pipeline id). */
const VERSION_NUMBER_LOCK = 730_194_621;

/** Inserts a version with the pipeline's next number (call inside a transaction). */
export async function insertModelVersion(
  sql: Queryable,
  pipeline: number,
  m: NewModelVersion,
): Promise<ModelVersionRecord> {
  // name: insert-model-version (numbers per pipeline, serialised by the pipeline's advisory lock)
  await sql`select pg_advisory_xact_lock(${VERSION_NUMBER_LOCK}::int, ${pipeline}::int)`;
  const [row] = await sql<Row[]>`
    insert into model_versions (pipeline_id, version, status, params, metrics, champion_metrics, feature_importances,
      n_features, n_classes, train_rows, holdout_rows, row_window_start, row_window_end, training_ms,
      training_job_id, reason, rejected_reason, artifact, reference_sample, reference_rows, reference_predictions)
    values (${pipeline}, (select coalesce(max(version), 0) + 1 from model_versions where pipeline_id = ${pipeline}), ${m.status}, ${sql.json(m.params as never)},
      ${sql.json(m.metrics as never)}, ${m.championMetrics ? sql.json(m.championMetrics as never) : null},
      ${m.featureImportances}, ${m.nFeatures}, ${m.nClasses}, ${m.trainRows}, ${m.holdoutRows},
      ${m.rowWindowStart}, ${m.rowWindowEnd}, ${m.trainingMs}, ${m.trainingJobId}, ${m.reason},
      ${m.rejectedReason}, ${bufferView(m.artifact)}, ${bufferView(m.referenceSample)}, ${m.referenceRows},
      ${m.referencePredictions})
    returning ${sql.unsafe(COLUMNS)}`;
  return toRecord(row!);
}

export async function listModelVersions(
  sql: Queryable,
  pipeline: number,
  options: { limit: number; offset: number; status?: ModelStatus },
) {
  // name: list-model-versions
  const rows = await sql<Row[]>`
    select ${sql.unsafe(COLUMNS)} from model_versions
    where pipeline_id = ${pipeline} and (${options.status ?? null}::text is null or status = ${options.status ?? null})
    order by version desc limit ${options.limit} offset ${options.offset}`;
  return rows.map(toRecord);
}

export async function countModelVersions(sql: Queryable, pipeline: number): Promise<number> {
  // name: count-model-versions
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from model_versions where pipeline_id = ${pipeline}`;
  return row?.n ?? 0;
}

export async function getModelVersion(
  sql: Queryable,
  pipeline: number,
  version: number,
): Promise<ModelVersionRecord | undefined> {
  // name: get-model-version
  const [row] = await sql<
    Row[]
  >`select ${sql.unsafe(COLUMNS)} from model_versions where pipeline_id = ${pipeline} and version = ${version}`;
  return row && toRecord(row);
}

/** Several versions in one query (GraphQL batches `ModelChange.model` through this). */
export async function getModelVersions(
  sql: Queryable,
  pipeline: number,
  versions: number[],
): Promise<ModelVersionRecord[]> {
  // name: get-model-versions
  const rows = await sql<Row[]>`
    select ${sql.unsafe(COLUMNS)} from model_versions
    where pipeline_id = ${pipeline} and version = any(${versions}::int[])`;
  return rows.map(toRecord);
}

export async function getProductionVersion(
  sql: Queryable,
  pipeline: number,
): Promise<ModelVersionRecord | undefined> {
  // name: get-production-version
  const [row] = await sql<Row[]>`
    select ${sql.unsafe(COLUMNS)} from model_versions where pipeline_id = ${pipeline} and status = 'production'`;
  return row && toRecord(row);
}

/** The archived versions (served once, replaced since), the most recently retired first. */
export async function listArchivedVersions(
  sql: Queryable,
  pipeline: number,
  limit: number,
): Promise<ModelVersionRecord[]> {
  // name: list-archived-versions
  const rows = await sql<Row[]>`
    select ${sql.unsafe(COLUMNS)} from model_versions where pipeline_id = ${pipeline} and status = 'archived'
    order by retired_at desc nulls last, version desc limit ${limit}`;
  return rows.map(toRecord);
}

export async function getArtifact(
  sql: Queryable,
  pipeline: number,
  version: number,
): Promise<Uint8Array | undefined> {
  // name: get-model-artifact
  const [row] = await sql<{ artifact: Buffer }[]>`
    select artifact from model_versions where pipeline_id = ${pipeline} and version = ${version}`;
  return row && new Uint8Array(row.artifact.buffer, row.artifact.byteOffset, row.artifact.byteLength);
}

export async function getReferenceSample(
  sql: Queryable,
  pipeline: number,
  version: number,
): Promise<{ sample: Float64Array; rows: number; nFeatures: number; predictions: number[] } | undefined> {
  // name: get-reference-sample
  const [row] = await sql<
    {
      reference_sample: Buffer;
      reference_rows: number;
      n_features: number;
      reference_predictions: number[];
    }[]
  >`
    select reference_sample, reference_rows, n_features, reference_predictions from model_versions
    where pipeline_id = ${pipeline} and version = ${version}`;
  if (!row) return undefined;
  // Copy into an aligned buffer: a Buffer's byteOffset is not always a multiple of 8.
  const bytes = new Uint8Array(row.reference_sample);
  return {
    sample: new Float64Array(bytes.buffer, 0, bytes.byteLength / 8),
    rows: row.reference_rows,
    nFeatures: row.n_features,
    predictions: row.reference_predictions,
  };
}

const PRODUCTION_LOCK = 730_194_622;

/** Serialises changes of the pipeline's production version (re-entrant within a transaction). */
export async function lockProduction(sql: Queryable, pipeline: number): Promise<void> {
  // name: lock-production (per pipeline)
  await sql`select pg_advisory_xact_lock(${PRODUCTION_LOCK}::int, ${pipeline}::int)`;
}

/**
 * Makes `version` the production model in one transaction: the current one is archived (retired),
 * the history records who served when. Call inside `sql.begin`.
 */
export async function setProduction(
  sql: Queryable,
  pipeline: number,
  version: number,
  action: 'promoted' | 'rolled_back' | 'manual_promote',
  reason: string | null,
): Promise<{ previous: number | null }> {
  await lockProduction(sql, pipeline);
  const [current] = await sql<{ version: number }[]>`
    select version from model_versions where pipeline_id = ${pipeline} and status = 'production'`;
  if (current?.version === version) return { previous: version };
  // name: archive-production
  await sql`update model_versions set status = 'archived', retired_at = now()
    where pipeline_id = ${pipeline} and status = 'production'`;
  // name: promote-version
  await sql`update model_versions set status = 'production', promoted_at = now(), retired_at = null,
    rejected_reason = null where pipeline_id = ${pipeline} and version = ${version}`;
  // name: record-model-history
  await sql`insert into model_history (pipeline_id, version, previous_version, action, reason)
    values (${pipeline}, ${version}, ${current?.version ?? null}, ${action}, ${reason})`;
  return { previous: current?.version ?? null };
}

/** The newest version of the pipeline, whatever its status (a growth retrain compares with it). */
export async function newestModelVersion(
  sql: Queryable,
  pipeline: number,
): Promise<ModelVersionRecord | undefined> {
  // name: newest-model-version
  const [row] = await sql<Row[]>`
    select ${sql.unsafe(COLUMNS)} from model_versions where pipeline_id = ${pipeline} order by version desc limit 1`;
  return row && toRecord(row);
}

/** Automatic promotions (by retrains, not by a person) in the last hour. */
export async function automaticPromotionsInLastHour(sql: Queryable, pipeline: number): Promise<number> {
  // name: automatic-promotions-last-hour
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from model_history
    where pipeline_id = ${pipeline} and action = 'promoted' and created_at > now() - interval '1 hour'`;
  return row?.n ?? 0;
}

export async function markRejected(
  sql: Queryable,
  pipeline: number,
  version: number,
  reason: string,
): Promise<void> {
  // name: reject-version
  await sql`update model_versions set status = 'rejected', rejected_reason = ${reason}
    where pipeline_id = ${pipeline} and version = ${version}`;
}

export async function modelHistory(sql: Queryable, pipeline: number, limit: number) {
  // name: model-history
  const rows = await sql<
    {
      id: number;
      version: number;
      previous_version: number | null;
      action: string;
      reason: string | null;
      created_at: Date;
    }[]
  >`
    select id, version, previous_version, action, reason, created_at from model_history
    where pipeline_id = ${pipeline} order by id desc limit ${limit}`;
  return rows.map((r) => ({
    id: r.id,
    version: r.version,
    previousVersion: r.previous_version,
    action: r.action,
    reason: r.reason,
    createdAt: r.created_at,
  }));
}

/** The version that served before the current one (for rollback): the latest history entry's predecessor. */
export async function previousProductionVersion(sql: Queryable, pipeline: number): Promise<number | null> {
  // name: previous-production-version
  const [row] = await sql<{ version: number }[]>`
    select h.previous_version as version from model_history h
    join model_versions m on m.pipeline_id = h.pipeline_id and m.version = h.previous_version
    where h.pipeline_id = ${pipeline}
      and h.version = (select version from model_versions where pipeline_id = ${pipeline} and status = 'production')
      and h.previous_version is not null and h.action <> 'rolled_back' and m.status <> 'rejected'
    order by h.id desc limit 1`;
  return row?.version ?? null;
}
