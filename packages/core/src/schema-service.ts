import type { Config } from '@automl-stream/config';
import type { Queryable, Sql } from '@automl-stream/db';
import { type CellValue, inferSchema, type TableSchema } from '@automl-stream/table';
import { badInput } from './errors.ts';
import {
  addsNothing,
  type DataRecord,
  type EncodedRows,
  encodeRecords,
  withAdditions,
} from './schema/records.ts';
import { evolveSchema, isPositional, parseSchema, positionalSchema } from './schema/table-schema.ts';
import {
  lockPipeline,
  readPipeline,
  type StoredPipeline,
  writePipelineSchema,
} from './storage/pipeline-storage.ts';

/** The pipeline every operation uses until pipelines are plural. */
export const DEFAULT_PIPELINE = 'default';

/** Records of one ingest, encoded against the schema, with the schema to store if it changed. */
export interface IngestPlan extends EncodedRows {
  schema: TableSchema;
  /** The schema to store with the rows (first batch, new categories or classes); null: unchanged. */
  next: TableSchema | null;
  /** The stored schema version the plan was made from (-1: none stored). */
  baseVersion: number;
}

export interface RecordsInput {
  records: DataRecord[];
  labels?: CellValue[] | null;
  /** The label column of a first batch (default `label`); later batches use the schema's. */
  labelColumn?: string | null;
}

/**
 * The pipeline's table schema: read (cached; it only grows, and a process reloads it when the
 * serving model changes or a batch brings something it does not know), inferred from a first
 * batch, declared by a person, and grown by batches that bring new categories or classes.
 */
export class SchemaService {
  private cached: { schema: TableSchema | null; version: number } | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly config: Config,
    readonly pipeline = DEFAULT_PIPELINE,
  ) {}

  /** The schema rows are read with; null before the first batch (and without N_FEATURES). */
  async current(): Promise<TableSchema | null> {
    return (await this.load()).schema;
  }

  /** Forget the cached schema: the next read goes to the database. */
  invalidate(): void {
    this.cached = null;
  }

  private async load(): Promise<{ schema: TableSchema | null; version: number }> {
    if (!this.cached || this.cached.schema === null) {
      const stored = await readPipeline(this.sql, this.pipeline);
      this.cached = { schema: this.effective(stored), version: stored?.schema ? stored.schemaVersion : -1 };
    }
    return this.cached;
  }

  /** The stored schema, else the positional one of a feature count fixed before schemas existed. */
  private effective(stored: StoredPipeline | null): TableSchema | null {
    if (stored?.schema) return stored.schema;
    const n = stored?.legacyFeatureCount ?? this.config.data.nFeatures ?? null;
    return n === null ? null : positionalSchema(n);
  }

  /**
   * Declares the schema (the `defineSchema` mutation, `ingest --schema`): the first one is taken
   * as given; later ones may add columns, categories and classes, never drop or retype a column.
   */
  async define(input: unknown): Promise<TableSchema> {
    const declared = parseSchema(input, this.config.data.maxFeaturesPerRow);
    const schema = await this.sql.begin(async (tx) => {
      const stored = await lockPipeline(tx, this.pipeline);
      const base = this.effective(stored);
      const next = base === null ? declared : evolveSchema(renamable(base, stored, declared), declared);
      await writePipelineSchema(tx, this.pipeline, next);
      return next;
    });
    this.invalidate();
    return schema;
  }

  /** Encodes a records batch for ingest, inferring the schema from it when there is none yet. */
  async planRecords(input: RecordsInput): Promise<IngestPlan> {
    const { schema, version } = await this.load();
    const records = checkRecords(input.records, this.config.data.maxBatchRows);
    const base =
      schema ?? inferSchema(records, input.labelColumn ?? 'label', input.labels, this.config.data.maxClasses);
    if (schema && input.labelColumn && input.labelColumn !== schema.label.name) {
      throw badInput(
        `this pipeline's label column is ${JSON.stringify(schema.label.name)}, not ${JSON.stringify(input.labelColumn)}`,
      );
    }
    const plan = encodeAgainst(base, { ...input, records }, this.config);
    // A first batch stores the schema it was read with, even when it adds nothing to it.
    const next = schema === null ? (plan.next ?? base) : plan.next;
    if (next) checkWidth(next, this.config.data.maxFeaturesPerRow);
    return { ...plan, schema: next ?? base, next, baseVersion: version };
  }

  /** Encodes records for predict: unknown categories count as unseen (missing to the forest). */
  async encodeForPredict(records: unknown): Promise<{ schema: TableSchema; encoded: EncodedRows }> {
    const schema = await this.current();
    if (!schema)
      throw badInput(
        'this pipeline has no schema yet: ingest a first batch (or declare one) before predicting',
      );
    const rows = checkRecords(records, this.config.data.maxBatchRows);
    const encoded = encodeRecords(schema, rows, {
      mode: 'predict',
      maxMagnitude: this.config.data.maxFeatureMagnitude,
    });
    return { schema, encoded };
  }

  /**
   * Stores the plan's schema inside the ingest transaction. When another writer changed the schema
   * since the plan was made, the batch is encoded again against the stored one (codes only grow,
   * so the rows' known values keep their codes) and the merged schema is stored.
   */
  async commit(
    tx: Queryable,
    plan: IngestPlan,
    replan: (schema: TableSchema) => IngestPlan,
  ): Promise<IngestPlan> {
    const stored = await lockPipeline(tx, this.pipeline);
    const version = stored?.schema ? stored.schemaVersion : -1;
    const current = version === plan.baseVersion ? plan : replan(this.effective(stored) ?? plan.schema);
    if (current.next) await writePipelineSchema(tx, this.pipeline, current.next);
    return current;
  }

  /** After a commit: the stored schema is the plan's. */
  remember(plan: IngestPlan): void {
    if (plan.next) this.cached = null;
  }

  /** The schema of positional rows (`features: [[Float]]`): numeric columns only. */
  async positional(width: number): Promise<{ schema: TableSchema; first: boolean }> {
    const schema = await this.current();
    if (schema === null) return { schema: positionalSchema(width), first: true };
    if (!isPositional(schema)) {
      const named = schema.columns.filter((c) => c.type === 'categorical').map((c) => c.name);
      throw badInput(
        `this pipeline has categorical columns (${named.slice(0, 5).join(', ')}): send records keyed by column name instead of positional features`,
      );
    }
    return { schema, first: false };
  }
}

/** The plan again against another schema (a concurrent writer's), for {@link SchemaService.commit}. */
export function replanner(input: RecordsInput, config: Config): (schema: TableSchema) => IngestPlan {
  return (schema) => encodeAgainst(schema, input, config);
}

/** A records batch encoded against `schema` for ingest, with the schema grown by what it brings. */
function encodeAgainst(schema: TableSchema, input: RecordsInput, config: Config): IngestPlan {
  const encoded = encodeRecords(schema, input.records, {
    mode: 'ingest',
    labels: input.labels ?? null,
    maxMagnitude: config.data.maxFeatureMagnitude,
  });
  const next = addsNothing(encoded.additions) ? null : withAdditions(schema, encoded.additions);
  return { ...encoded, schema: next ?? schema, next, baseVersion: -2 };
}

/**
 * A positional schema that was never stored (f0..fn-1 of a database older than schemas) may be
 * named by the first declared schema: same number of leading columns, numeric or boolean.
 */
function renamable(base: TableSchema, stored: StoredPipeline | null, declared: TableSchema): TableSchema {
  if (stored?.schema) return base;
  const n = base.columns.length;
  const lead = declared.columns.slice(0, n);
  if (lead.length < n || !isPositional({ columns: lead, label: declared.label })) {
    throw badInput(
      `this pipeline already holds rows of ${n} numeric features: the schema's first ${n} columns must be numeric or boolean (they name those features)`,
    );
  }
  return {
    columns: lead.map((c) => ({ ...c, nullable: false })),
    label: { ...declared.label, kind: 'integer', classes: [] },
  };
}

function checkRecords(records: unknown, maxRows: number): DataRecord[] {
  if (!Array.isArray(records)) throw badInput('records must be a list of objects keyed by column name');
  if (records.length === 0) throw badInput('records is empty: send at least one record');
  if (records.length > maxRows) {
    throw badInput(
      `records has ${records.length} rows; the limit is ${maxRows} per request: split the batch`,
      {
        rows: records.length,
        limit: maxRows,
      },
    );
  }
  return records as DataRecord[];
}

function checkWidth(schema: TableSchema, maxWidth: number): void {
  if (schema.columns.length > maxWidth) {
    throw badInput(
      `the records have ${schema.columns.length} columns; at most ${maxWidth} are accepted (MAX_FEATURES_PER_ROW)`,
    );
  }
}
