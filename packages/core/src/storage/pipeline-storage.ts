import type { Queryable } from '@automl-stream/db';
import type { TableSchema } from '@automl-stream/table';

export interface StoredPipeline {
  name: string;
  schema: TableSchema | null;
  schemaVersion: number;
  /** The feature count fixed before schemas existed (platform_settings.n_features). */
  legacyFeatureCount: number | null;
}

interface PipelineRow {
  name: string;
  schema: TableSchema | null;
  schema_version: number;
  n_features: number | null;
}

const toPipeline = (r: PipelineRow): StoredPipeline => ({
  name: r.name,
  schema: r.schema,
  schemaVersion: r.schema_version,
  legacyFeatureCount: r.n_features,
});

/** The pipeline and its schema (null when there is no such pipeline). */
export async function readPipeline(sql: Queryable, name: string): Promise<StoredPipeline | null> {
  // name: pipeline-read
  const [row] = await sql<PipelineRow[]>`
    select p.name, p.schema, p.schema_version, s.n_features
    from pipelines p left join platform_settings s on s.id = 1
    where p.name = ${name}`;
  return row ? toPipeline(row) : null;
}

/** The pipeline, locked until the transaction ends: one writer at a time changes its schema. */
export async function lockPipeline(tx: Queryable, name: string): Promise<StoredPipeline | null> {
  // name: pipeline-lock
  const [row] = await tx<PipelineRow[]>`
    select p.name, p.schema, p.schema_version, s.n_features
    from pipelines p left join platform_settings s on s.id = 1
    where p.name = ${name}
    for update of p`;
  return row ? toPipeline(row) : null;
}

/**
 * Stores the schema (inside the transaction that locked the pipeline) and fixes the platform's
 * feature count to its width, which the positional API and older readers check.
 */
export async function writePipelineSchema(tx: Queryable, name: string, schema: TableSchema): Promise<number> {
  // name: pipeline-schema-write
  const [row] = await tx<{ schema_version: number }[]>`
    update pipelines set schema = ${tx.json(schema as never)}, schema_version = schema_version + 1, updated_at = now()
    where name = ${name}
    returning schema_version`;
  // name: pipeline-feature-count
  await tx`
    insert into platform_settings (id, n_features) values (1, ${schema.columns.length})
    on conflict (id) do update set n_features = excluded.n_features, updated_at = now()`;
  return row!.schema_version;
}
