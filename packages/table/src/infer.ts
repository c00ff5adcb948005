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
 * What a column's values say about its type, one value at a time (a file is read once): numeric
 * while every present value is a number (or a numeric string), boolean while every one is
 * true/false, categorical otherwise. A column with no value yet is numeric; 0/1 columns stay
 * numeric (the forest splits them the same way).
 */
export class ColumnEvidence {
  private numeric = true;
  private boolean = true;
  private wholeNonNegative = true;
  private readonly seen = new Set<string>();

  add(value: CellValue): void {
    if (isMissing(value)) return;
    const n = asNumber(value);
    if (n === null) this.numeric = false;
    if (n === null || !Number.isInteger(n) || n < 0) this.wholeNonNegative = false;
    if (typeof value === 'number' || asBoolean(value) === null) this.boolean = false;
    if (this.seen.size < MAX_CLASSES_LISTED) this.seen.add(String(value).trim());
  }

  get type(): ColumnType {
    if (this.numeric) return 'numeric';
    return this.boolean ? 'boolean' : 'categorical';
  }

  /** The column read as a label: whole numbers ≥ 0 are integer classes, anything else named ones. */
  label(name: string): LabelSpec {
    if (this.wholeNonNegative) return { name, kind: 'integer', classes: [] };
    return { name, kind: 'string', classes: [...this.seen] };
  }

  /** Distinct present values seen (up to MAX_CLASSES_LISTED), in the order first seen. */
  get values(): string[] {
    return [...this.seen];
  }
}

/** Distinct values an evidence keeps (categories and classes are listed from them). */
const MAX_CLASSES_LISTED = 10_000;

const evidenceOf = (values: CellValue[]) => {
  const e = new ColumnEvidence();
  for (const v of values) e.add(v);
  return e;
};

/** A column's type from its values (see {@link ColumnEvidence}). */
export function inferColumnType(values: CellValue[]): ColumnType {
  return evidenceOf(values).type;
}

/** The label's kind from its values: integer when all are whole numbers ≥ 0, else named classes. */
export function inferLabel(name: string, values: CellValue[]): LabelSpec {
  return evidenceOf(values).label(name);
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
