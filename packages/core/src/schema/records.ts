import {
  asBoolean,
  asNumber,
  type CellValue,
  type DataRecord,
  isMissing,
  type SchemaColumn,
  type TableSchema,
} from '@automl-stream/table';
import { badInput } from '../errors.ts';
import { union } from './table-schema.ts';

export type { DataRecord };

/** Rows as the forest takes them, with what the batch adds to the schema. */
export interface EncodedRows {
  features: number[][];
  /** Class indexes (null: that row has no class), or null when no row of the batch has one. */
  labels: (number | null)[] | null;
  /** Categories and classes this batch brings that the schema does not list yet. */
  additions: { categories: Map<number, string[]>; classes: string[] };
  /** Cells whose category the schema does not know (predict: they count as missing). */
  unseenCategories: number;
  /** predict: schema columns that no record carries (missing in every row). */
  absentColumns?: string[];
}

export interface EncodeOptions {
  /** ingest: unknown categories and classes are additions; predict: unseen (missing). */
  mode: 'ingest' | 'predict';
  /** Labels given beside the records (`labels`), instead of under the label column. */
  labels?: CellValue[] | null;
  /** Largest |value| of a numeric cell (MAX_FEATURE_MAGNITUDE). */
  maxMagnitude: number;
}

/**
 * Checks the records' keys against the schema: unknown columns and (ingest) dropped ones.
 * Returns (predict) the schema's columns that no record carries.
 */
function checkKeys(schema: TableSchema, records: DataRecord[], mode: EncodeOptions['mode']): string[] {
  const known = new Set(schema.columns.map((c) => c.name));
  const present = new Set<string>();
  records.forEach((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      throw badInput(`records[${i}] must be an object keyed by column name`, { row: i });
    }
    for (const key of Object.keys(r)) {
      if (key === schema.label.name) continue;
      if (!known.has(key)) {
        throw badInput(
          `column ${JSON.stringify(key.slice(0, 100))} (records[${i}]) is not in the schema (columns: ${[...known].slice(0, 20).join(', ')}): add it to the schema first (defineSchema, or ingest --schema)`,
          { column: key.slice(0, 100), row: i },
        );
      }
      present.add(key);
    }
  });
  if (mode === 'predict') return schema.columns.filter((c) => !present.has(c.name)).map((c) => c.name);
  const dropped = schema.columns.find((c) => !present.has(c.name));
  if (dropped) {
    throw badInput(
      `no record has column ${JSON.stringify(dropped.name)}: columns cannot be dropped; send it (null where a value is missing)`,
      { column: dropped.name },
    );
  }
  return [];
}

/** Encodes one cell of `column`; `newCategories` collects unknown categories (ingest). */
function encodeCell(
  column: SchemaColumn,
  codes: Map<string, number> | null,
  value: CellValue,
  where: string,
  state: { maxMagnitude: number; newCategories: string[] | null; unseen: number },
): number {
  if (isMissing(value)) {
    if (!column.nullable)
      throw badInput(`${where}: column ${JSON.stringify(column.name)} may not be missing`);
    return Number.NaN;
  }
  if (column.type === 'numeric') {
    const n = asNumber(value);
    if (n === null)
      throw badInput(
        `${where}: column ${JSON.stringify(column.name)} is numeric; ${describe(value)} is not a number`,
      );
    if (Math.abs(n) > state.maxMagnitude) {
      throw badInput(
        `${where}: column ${JSON.stringify(column.name)} is ${n}: values must lie within ±${state.maxMagnitude} (MAX_FEATURE_MAGNITUDE)`,
      );
    }
    return n;
  }
  if (column.type === 'boolean') {
    const b = asBoolean(value);
    if (b === null)
      throw badInput(
        `${where}: column ${JSON.stringify(column.name)} is boolean; ${describe(value)} is not true/false`,
      );
    return b;
  }
  const key = String(value).trim();
  const code = codes!.get(key);
  if (code !== undefined) return code;
  if (!state.newCategories) {
    state.unseen++;
    return -1;
  }
  let at = state.newCategories.indexOf(key);
  if (at < 0) at = state.newCategories.push(key) - 1;
  return codes!.size + at;
}

/** The class index of a label cell; `newClasses` collects unknown named classes (ingest). */
function encodeLabel(
  schema: TableSchema,
  value: CellValue,
  where: string,
  newClasses: string[] | null,
  unknownHint?: string,
): number | null {
  if (isMissing(value)) return null;
  if (schema.label.kind === 'integer') {
    const n = asNumber(value);
    if (n === null || !Number.isInteger(n) || n < 0) {
      throw badInput(
        `${where}: the label ${JSON.stringify(schema.label.name)} takes whole-number classes 0..K-1; ${describe(value)} is not one`,
      );
    }
    return n;
  }
  const name = String(value).trim();
  const k = schema.label.classes.indexOf(name);
  if (k >= 0) return k;
  if (schema.label.closed) {
    throw badInput(
      `${where}: ${describe(value)} is not one of the declared classes of ${JSON.stringify(schema.label.name)} (${schema.label.classes.slice(0, 10).join(', ')})`,
    );
  }
  if (!newClasses) {
    const known = `(its classes: ${schema.label.classes.slice(0, 10).join(', ')}${schema.label.classes.length > 10 ? ', …' : ''})`;
    throw badInput(
      `${where}: ${describe(value)} is not a class of this pipeline ${known}${unknownHint ? `: ${unknownHint}` : ''}`,
    );
  }
  let at = newClasses.indexOf(name);
  if (at < 0) at = newClasses.push(name) - 1;
  return schema.label.classes.length + at;
}

/**
 * Class names (as written: `pos`, or `3` for class numbers) → the classes' numbers, for labels
 * that come apart from their rows (feedback). Every name must be a class the pipeline knows: a
 * new class comes in with its rows (ingest).
 */
export function encodeClassNames(schema: TableSchema, names: readonly CellValue[], field: string): number[] {
  return names.map((name, i) => {
    const k = encodeLabel(
      schema,
      name,
      `${field}[${i}]`,
      null,
      'a new class comes in with its rows (ingest)',
    );
    if (k === null)
      throw badInput(`${field}[${i}] is missing: send a class for every prediction`, { index: i });
    return k;
  });
}

/**
 * Records → the forest's numbers. Labels come from the label column or `options.labels`; a row
 * whose class is missing is stored without one (its features count for drift, not for training).
 */
export function encodeRecords(
  schema: TableSchema,
  records: DataRecord[],
  options: EncodeOptions,
): EncodedRows {
  const absentColumns = checkKeys(schema, records, options.mode);
  const ingest = options.mode === 'ingest';
  const codeMaps = schema.columns.map((c) =>
    c.type === 'categorical' ? new Map((c.categories ?? []).map((v, i) => [v, i])) : null,
  );
  const newCategories = schema.columns.map(() => (ingest ? ([] as string[]) : null));
  const newClasses: string[] | null = ingest ? [] : null;
  let unseen = 0;
  const features = records.map((r, i) =>
    schema.columns.map((c, j) => {
      const state = { maxMagnitude: options.maxMagnitude, newCategories: newCategories[j]!, unseen: 0 };
      const code = encodeCell(c, codeMaps[j]!, r[c.name], `records[${i}]`, state);
      unseen += state.unseen;
      return code;
    }),
  );
  // A record's class is not read by predict (a scored test file may carry it, or only some rows).
  const labels = ingest ? encodeLabels(schema, records, options, newClasses) : null;
  const categories = new Map<number, string[]>();
  newCategories.forEach((added, j) => {
    if (added && added.length > 0) categories.set(j, added);
  });
  const additions = { categories, classes: newClasses ?? [] };
  return { features, labels, additions, unseenCategories: unseen, absentColumns };
}

function encodeLabels(
  schema: TableSchema,
  records: DataRecord[],
  options: EncodeOptions,
  newClasses: string[] | null,
): (number | null)[] | null {
  if (options.labels !== undefined && options.labels !== null) {
    if (!Array.isArray(options.labels) || options.labels.length !== records.length) {
      throw badInput(
        `labels has ${Array.isArray(options.labels) ? options.labels.length : 'no'} entries but there are ${records.length} records: send one label per record`,
      );
    }
  }
  const cells = records.map((r, i) => (options.labels ? options.labels[i] : r[schema.label.name]));
  const encoded = cells.map((v, i) => encodeLabel(schema, v, `records[${i}]`, newClasses));
  // A row without a class is stored without one (features for drift), beside the labelled ones.
  return encoded.some((k) => k !== null) ? encoded : null;
}

/** The schema with a batch's additions (codes in the order the batch met them). */
export function withAdditions(schema: TableSchema, additions: EncodedRows['additions']): TableSchema {
  return {
    columns: schema.columns.map((c, j) =>
      additions.categories.has(j)
        ? { ...c, categories: union(c.categories ?? [], additions.categories.get(j)!) }
        : c,
    ),
    label: { ...schema.label, classes: union(schema.label.classes, additions.classes) },
  };
}

/** Whether a batch adds nothing to the schema. */
export const addsNothing = (a: EncodedRows['additions']) => a.categories.size === 0 && a.classes.length === 0;

function describe(v: CellValue): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}…` : v);
  return typeof v === 'object' ? 'a list or object' : String(v);
}
