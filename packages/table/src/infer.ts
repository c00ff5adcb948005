import {
  asBoolean,
  asNumber,
  type CellValue,
  type ColumnType,
  isMissing,
  type LabelSpec,
  type SchemaColumn,
  type TableSchema,
} from './cells.ts';

/** One row keyed by column name (the label may be one of the keys). */
export type DataRecord = Record<string, CellValue>;

/**
 * A column's type from its values: numeric when every present value is a number (or a numeric
 * string), boolean when every one is true/false, categorical otherwise. A column with no value
 * yet is numeric. 0/1 columns stay numeric: the forest splits them the same way.
 */
export function inferColumnType(values: CellValue[]): ColumnType {
  const present = values.filter((v) => !isMissing(v));
  if (present.every((v) => asNumber(v) !== null)) return 'numeric';
  if (present.every((v) => typeof v !== 'number' && asBoolean(v) !== null)) return 'boolean';
  return 'categorical';
}

/** The label's kind from its values: integer when all are whole numbers ≥ 0, else named classes. */
export function inferLabel(name: string, values: CellValue[]): LabelSpec {
  const present = values.filter((v) => !isMissing(v));
  const integer = present.every((v) => {
    const n = asNumber(v);
    return n !== null && Number.isInteger(n) && n >= 0;
  });
  if (integer) return { name, kind: 'integer', classes: [] };
  return { name, kind: 'string', classes: [...new Set(present.map((v) => String(v).trim()))] };
}

/**
 * The schema of a first batch: its columns in the order the records first name them, each with
 * its inferred type; inferred columns may be missing (a later gap is normal in real tables).
 * Categories and classes are listed in the order first seen.
 */
export function inferSchema(
  records: DataRecord[],
  labelName: string,
  labels?: CellValue[] | null,
): TableSchema {
  const names: string[] = [];
  const seen = new Set<string>([labelName]);
  for (const r of records) {
    for (const key of Object.keys(r ?? {})) if (!seen.has(key)) seen.add(key) && names.push(key);
  }
  const columns: SchemaColumn[] = names.map((name) => {
    const values = records.map((r) => r[name]);
    const type = inferColumnType(values);
    const column: SchemaColumn = { name, type, nullable: true };
    if (type === 'categorical') {
      column.categories = [...new Set(values.filter((v) => !isMissing(v)).map((v) => String(v).trim()))];
    }
    return column;
  });
  const labelValues = labels ?? records.map((r) => r[labelName]);
  return { columns, label: inferLabel(labelName, labelValues) };
}
