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
  private largest = -1;
  private readonly seen = new Set<string>();

  add(value: CellValue): void {
    if (isMissing(value)) return;
    const n = asNumber(value);
    if (n === null) this.numeric = false;
    if (n === null || !Number.isInteger(n) || n < 0) this.wholeNonNegative = false;
    else this.largest = Math.max(this.largest, n);
    if (typeof value === 'number' || asBoolean(value) === null) this.boolean = false;
    if (this.seen.size < MAX_CLASSES_LISTED) this.seen.add(String(value).trim());
  }

  get type(): ColumnType {
    if (this.numeric) return 'numeric';
    return this.boolean ? 'boolean' : 'categorical';
  }

  /**
   * The column read as a label: whole numbers from 0 to `maxClasses` − 1 are class indices
   * (integer), anything else named classes kept as written: -1/1, or codes such as 100/200, which
   * as indices would ask for 201 classes and were refused.
   */
  label(name: string, maxClasses = DEFAULT_MAX_CLASSES): LabelSpec {
    if (this.wholeNonNegative && this.largest < maxClasses) return { name, kind: 'integer', classes: [] };
    return { name, kind: 'string', classes: [...this.seen] };
  }

  /** Distinct present values seen (up to MAX_CLASSES_LISTED), in the order first seen. */
  get values(): string[] {
    return [...this.seen];
  }
}

/** MAX_CLASSES's default: the largest class index a label may be is one less. */
export const DEFAULT_MAX_CLASSES = 32;

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

/** The label's kind from its values: class indices when all are whole numbers 0..maxClasses−1, else named classes. */
export function inferLabel(name: string, values: CellValue[], maxClasses = DEFAULT_MAX_CLASSES): LabelSpec {
  return evidenceOf(values).label(name, maxClasses);
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
  maxClasses = DEFAULT_MAX_CLASSES,
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
  return { columns, label: inferLabel(labelName, labelValues, maxClasses) };
}
