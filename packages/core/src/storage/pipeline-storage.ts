import type { Queryable } from '@automl-stream/db';
import type { TableSchema } from '@automl-stream/table';

export interface StoredPipeline {
  id: number;
  name: string;
  schema: TableSchema | null;
  schemaVersion: number;
  /** The feature count of positional rows (before drizzle/0007: platform_settings.n_features). */
  legacyFeatureCount: number | null;
  /** Configuration overrides as stored (validated by the pipeline service). */
  config: Record<string, unknown>;
  archivedAt: Date | null;
  createdAt: Date;
}

interface PipelineRow {
  id: number;
  name: string;
  schema: TableSchema | null;
  schema_version: number;
  n_features: number | null;
  config: Record<string, unknown>;
  archived_at: Date | null;
  created_at: Date;
}

const COLUMNS = 'id, name, schema, schema_version, n_features, config, archived_at, created_at';

const toPipeline = (r: PipelineRow): StoredPipeline => ({
  id: r.id,
  name: r.name,
  schema: r.schema,
  schemaVersion: r.schema_version,
  legacyFeatureCount: r.n_features,
  config: r.config ?? {},
  archivedAt: r.archived_at,
  createdAt: r.created_at,
});

/** The pipeline (null when there is no such pipeline). */
export async function readPipeline(sql: Queryable, name: string): Promise<StoredPipeline | null> {
  // name: pipeline-read
  const [row] = await sql<PipelineRow[]>`
    select ${sql.unsafe(COLUMNS)} from pipelines where name = ${name}`;
  return row ? toPipeline(row) : null;
}

/** The pipeline by its id (null when there is none). */
export async function readPipelineById(sql: Queryable, id: number): Promise<StoredPipeline | null> {
  // name: pipeline-read-by-id
  const [row] = await sql<PipelineRow[]>`
    select ${sql.unsafe(COLUMNS)} from pipelines where id = ${id}`;
  return row ? toPipeline(row) : null;
}

/** Every pipeline by name (archived ones when asked). */
export async function listPipelines(
  sql: Queryable,
  options: { includeArchived: boolean },
): Promise<StoredPipeline[]> {
  // name: pipeline-list
  const rows = await sql<PipelineRow[]>`
    select ${sql.unsafe(COLUMNS)} from pipelines
    where ${options.includeArchived} or archived_at is null order by name`;
  return rows.map(toPipeline);
}

/** Creates the pipeline; null when the name is taken (the existing one is left as it is). */
export async function insertPipeline(
  sql: Queryable,
  p: { name: string; config: Record<string, unknown>; schema: TableSchema | null },
): Promise<StoredPipeline | null> {
  // name: pipeline-insert
  const [row] = await sql<PipelineRow[]>`
    insert into pipelines (name, config, schema, schema_version, n_features)
    values (${p.name}, ${sql.json(p.config as never)}, ${p.schema ? sql.json(p.schema as never) : null},
      ${p.schema ? 1 : 0}, ${p.schema ? p.schema.columns.length : null})
    on conflict (name) do nothing
    returning ${sql.unsafe(COLUMNS)}`;
  return row ? toPipeline(row) : null;
}

/** Replaces the configuration overrides; null when there is no such pipeline. */
export async function writePipelineConfig(
  sql: Queryable,
  name: string,
  config: Record<string, unknown>,
): Promise<StoredPipeline | null> {
  // name: pipeline-config-write
  const [row] = await sql<PipelineRow[]>`
    update pipelines set config = ${sql.json(config as never)}, updated_at = now()
    where name = ${name} returning ${sql.unsafe(COLUMNS)}`;
  return row ? toPipeline(row) : null;
}

/** Archives (or restores) the pipeline; null when there is no such pipeline. */
export async function setPipelineArchived(
  sql: Queryable,
  name: string,
  archived: boolean,
): Promise<StoredPipeline | null> {
  // name: pipeline-archive
  const [row] = await sql<PipelineRow[]>`
    update pipelines set archived_at = case when ${archived} then coalesce(archived_at, now()) else null end,
      updated_at = now()
    where name = ${name} returning ${sql.unsafe(COLUMNS)}`;
  return row ? toPipeline(row) : null;
}

/** The pipeline, locked until the transaction ends: one writer at a time changes its schema. */
export async function lockPipeline(tx: Queryable, name: string): Promise<StoredPipeline | null> {
  // name: pipeline-lock
  const [row] = await tx<PipelineRow[]>`
    select ${tx.unsafe(COLUMNS)} from pipelines where name = ${name} for update`;
  return row ? toPipeline(row) : null;
}

/**
 * Stores the schema (inside the transaction that locked the pipeline) and fixes the pipeline's
 * positional feature count to its width, which the positional API checks.
 */
export async function writePipelineSchema(tx: Queryable, name: string, schema: TableSchema): Promise<number> {
  // name: pipeline-schema-write
  const [row] = await tx<{ schema_version: number }[]>`
    update pipelines set schema = ${tx.json(schema as never)}, schema_version = schema_version + 1,
      n_features = ${schema.columns.length}, updated_at = now()
    where name = ${name}
    returning schema_version`;
  return row!.schema_version;
}

/** What the fleet page shows of one pipeline, read for all in one statement. */
export interface PipelineSummaryRow {
  pipelineId: number;
  servingVersion: number | null;
  /** Test-then-train accuracy of the serving version over its newest scored rows (null: none yet). */
  accuracy: number | null;
  accuracyRows: number;
  lastCheckAt: Date | null;
  lastCheckDrifted: boolean | null;
  lastCheckVerdict: string | null;
  openTrainingJobs: number;
  lastEventAt: Date | null;
  lastEventType: string | null;
}

/** Serving version, newest drift check, open training jobs and newest event of every pipeline. */
export async function readPipelineSummaries(
  sql: Queryable,
  ids: number[],
  accuracyWindow: number,
): Promise<PipelineSummaryRow[]> {
  // name: pipeline-summaries (index scans per pipeline: (pipeline_id, ...) indexes)
  const rows = await sql<
    {
      id: number;
      version: number | null;
      accuracy: number | null;
      accuracy_rows: number;
      check_at: Date | null;
      drifted: boolean | null;
      verdict: string | null;
      open_jobs: number;
      event_at: Date | null;
      event_type: string | null;
    }[]
  >`
    select p.id, v.version, a.accuracy, coalesce(a.n, 0) as accuracy_rows, c.created_at as check_at, c.drifted, c.verdict,
      (select count(*)::int from training_jobs j where j.pipeline_id = p.id and j.status in ('queued', 'running')) as open_jobs,
      e.created_at as event_at, e.type as event_type
    from unnest(${ids}::int[]) as p(id)
    left join lateral (select version from model_versions m where m.pipeline_id = p.id and m.status = 'production') v on true
    left join lateral (
      select avg(right_)::float8 as accuracy, count(*)::int as n from (
        (select (r.scored_label = r.label)::int as right_ from rows r
          where r.pipeline_id = p.id and r.scored_version = v.version and r.label is not null
          order by r.id desc limit ${accuracyWindow})
        union all
        -- Its predictions whose true class came back (feedback), as the pipeline's stats count them.
        (select (q.label = q.feedback_label)::int from predictions q
          where q.pipeline_id = p.id and q.model_version = v.version and q.feedback_label is not null
          order by q.id desc limit ${accuracyWindow})) s) a on true
    left join lateral (select created_at, drifted, verdict from drift_checks d where d.pipeline_id = p.id order by id desc limit 1) c on true
    left join lateral (select created_at, type from events x where x.pipeline_id = p.id order by id desc limit 1) e on true`;
  return rows.map((r) => ({
    pipelineId: r.id,
    servingVersion: r.version,
    accuracy: r.accuracy,
    accuracyRows: r.accuracy_rows,
    lastCheckAt: r.check_at,
    lastCheckDrifted: r.drifted,
    lastCheckVerdict: r.verdict,
    openTrainingJobs: r.open_jobs,
    lastEventAt: r.event_at,
    lastEventType: r.event_type,
  }));
}
