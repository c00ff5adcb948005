import { open, readFile } from 'node:fs/promises';
import {
  type ApiError,
  DataSchemaDocument,
  type DataSchemaQuery,
  DefineSchemaDocument,
  toApiError,
} from '@automl-stream/sdk/node.ts';
import type { TableSchema } from '@automl-stream/table';
import type { CommandContext } from '../command.ts';
import { readCsv } from '../csv.ts';
import { CliError } from '../errors.ts';
import { openFile, type TableOptions } from '../numeric-table.ts';
import { inferTyping, type Typing, typingOf } from '../typed-table.ts';

type Schema = NonNullable<DataSchemaQuery['dataSchema']>;

/** Where a table goes: the client and the pipeline. */
type Target = Pick<CommandContext, 'client' | 'pipeline'>;

/** The platform's schema (GraphQL enums) as the table package spells it. */
export function fromApi(schema: Schema): TableSchema {
  return {
    columns: schema.columns.map((c) => ({
      name: c.name,
      type: c.type.toLowerCase() as TableSchema['columns'][number]['type'],
      nullable: c.nullable,
      categories: c.categories,
    })),
    label: {
      name: schema.label.name,
      kind: schema.label.kind === 'INTEGER' ? 'integer' : 'string',
      classes: schema.label.classes,
      closed: schema.label.closed,
    },
  };
}

/** A schema (a `--schema` file, or inferred) as the defineSchema mutation takes it. */
export function toApi(schema: TableSchema) {
  return {
    columns: schema.columns.map((c) => ({
      name: c.name,
      type: c.type.toUpperCase() as 'NUMERIC' | 'CATEGORICAL' | 'BOOLEAN',
      nullable: c.nullable,
      ...(c.categories ? { categories: c.categories } : {}),
    })),
    label: {
      name: schema.label.name,
      kind: schema.label.kind.toUpperCase() as 'INTEGER' | 'STRING',
      ...(schema.label.classes.length > 0 ? { classes: schema.label.classes } : {}),
      ...(schema.label.closed ? { closed: true } : {}),
    },
  };
}

async function readHeader(file: string, table: TableOptions): Promise<string[]> {
  // A missing file or a folder fails here, as "cannot read", before a stream is opened.
  const handle = await open(file, 'r');
  await handle.close();
  for await (const item of readCsv(openFile(file), table)) {
    if (item.kind === 'header') return item.columns;
  }
  throw new CliError(`${file} is empty: the first line must be the header`);
}

/** A schema file as written by a person: types in any case, label as a name or an object. */
export async function readSchemaFile(path: string): Promise<TableSchema> {
  let parsed: {
    columns?: { name: string; type: string; nullable?: boolean; categories?: string[] }[];
    label?: unknown;
  };
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CliError(`--schema ${path}: ${(error as Error).message}`);
  }
  const label =
    typeof parsed.label === 'string'
      ? { name: parsed.label }
      : ((parsed.label ?? {}) as { name?: string; kind?: string; classes?: unknown[]; closed?: boolean });
  return {
    columns: (parsed.columns ?? []).map((c) => ({
      ...c,
      type: String(c.type).toLowerCase() as 'numeric',
      nullable: c.nullable ?? true,
    })),
    label: {
      name: String(label.name ?? ''),
      kind: String(label.kind ?? 'string').toLowerCase() === 'integer' ? 'integer' : 'string',
      classes: (label.classes ?? []).map(String),
      ...(label.closed === true ? { closed: true } : {}),
    },
  };
}

/** Declares `schema` on the platform; null when this key may not (a writer key: FORBIDDEN). */
async function declare(
  { client, pipeline }: Target,
  schema: TableSchema,
  required: boolean,
): Promise<TableSchema | null> {
  try {
    const result = await client().request(DefineSchemaDocument, { pipeline, input: toApi(schema) });
    return fromApi(result.defineSchema);
  } catch (error) {
    const api: ApiError = toApiError(error);
    if (!required && api.code === 'FORBIDDEN') return null;
    throw api;
  }
}

/**
 * The pipeline's schema; null when it has none, or (with `missingIsEmpty`: ingest, whose first
 * batch creates the pipeline) when there is no such pipeline yet.
 */
export async function currentSchema(
  { client, pipeline }: Target,
  missingIsEmpty: boolean,
): Promise<TableSchema | null> {
  try {
    const { dataSchema } = await client().request(DataSchemaDocument, { pipeline });
    return dataSchema ? fromApi(dataSchema) : null;
  } catch (error) {
    const api: ApiError = toApiError(error);
    if (missingIsEmpty && api.code === 'NOT_FOUND') return null;
    throw api;
  }
}

/** Whether `schema` is the positional one of rows sent before schemas (f0, f1, ...). */
const positionalNames = (schema: TableSchema) =>
  schema.columns.every((c, j) => c.name === `f${j}` && c.type === 'numeric');

/**
 * How a CSV file is read for this platform: as records by name and type (the platform's schema;
 * `--schema`, declared first; or, on a platform without one, the types inferred from the whole
 * file, declared when the key may), or as positional numbers when the platform holds rows of
 * the original pipeline's unnamed columns (f0, f1, ...) and the file names its columns otherwise.
 * Also its label column: without --label-column, the pipeline's own label column when the header
 * has it, else "label" when the header has it and it is not one of the pipeline's features.
 */
export async function resolveTyping(
  target: Target,
  file: string,
  table: TableOptions,
  schemaFile: string | undefined,
  /** Infer and declare a schema when the platform has none (ingest); predict reads only. */
  declareIfMissing = true,
): Promise<{ typing?: Typing; labelColumn?: string | null }> {
  const header = await readHeader(file, table);
  let labelColumn =
    table.labelColumn === undefined ? (header.includes('label') ? 'label' : null) : table.labelColumn;
  let schema: TableSchema | null = schemaFile
    ? await declare(target, await readSchemaFile(schemaFile), true)
    : await currentSchema(target, declareIfMissing);
  if (schema === null && !declareIfMissing) return {};
  if (schema === null) {
    const inferred = (await inferTyping(openFile(file), { ...table, labelColumn })).schema;
    schema = (await declare(target, inferred, false)) ?? inferred;
  }
  // Without --label-column: the pipeline's own label column when the file has it, else "label"
  // unless that is one of the pipeline's features.
  if (table.labelColumn === undefined) {
    const known = schema;
    const isFeature = (name: string) => known.columns.some((c) => c.name === name);
    if (header.includes(known.label.name)) labelColumn = known.label.name;
    else if (labelColumn !== null && isFeature(labelColumn)) labelColumn = null;
  }
  const features = header.filter((name) => name !== labelColumn);
  if (positionalNames(schema) && !features.every((name, j) => name === `f${j}`)) return {};
  const unknown = features.filter((name) => !schema.columns.some((c) => c.name === name));
  if (unknown.length > 0) {
    throw new CliError(
      `${file} has column${unknown.length > 1 ? 's' : ''} ${unknown
        .slice(0, 5)
        .map((n) => JSON.stringify(n))
        .join(', ')} that the schema of pipeline "${target.pipeline}" does not (its columns: ${schema.columns
        .slice(0, 10)
        .map((c) => c.name)
        .join(', ')}): add ${unknown.length > 1 ? 'them' : 'it'} with --schema, or check --label-column`,
    );
  }
  return { typing: typingOf(schema, labelColumn !== null), labelColumn };
}
