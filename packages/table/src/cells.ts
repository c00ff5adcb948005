/**
 * The table a pipeline learns from: ordered, named, typed feature columns and the label column
 * with its classes as they were given. Rows are stored and learned as numbers: a numeric value as
 * itself, a boolean as 0/1, a category as its code (its position in `categories`, which only
 * grows), a missing value as NaN. A class is stored as its index: the integer itself for integer
 * classes (the original pipeline's labels 0..K-1), its position in `classes` for named ones.
 */
export type ColumnType = 'numeric' | 'categorical' | 'boolean';

export interface SchemaColumn {
  name: string;
  type: ColumnType;
  /** Whether a value may be missing (null, "", "NA", ...): stored as NaN, learned by the forest. */
  nullable: boolean;
  /** Categorical columns: the values seen, in the order first seen; a value's code is its index. */
  categories?: string[];
}

export interface LabelSpec {
  name: string;
  /** `integer`: classes are whole numbers 0..K-1 (index = value); `string`: named classes. */
  kind: 'integer' | 'string';
  /** Named classes in the order first seen (a class's index); empty for integer classes. */
  classes: string[];
  /** Declared closed: a label not in `classes` is refused instead of added. */
  closed?: boolean;
}

export interface TableSchema {
  columns: SchemaColumn[];
  label: LabelSpec;
}

/** A record's value: what JSON and CSV cells can hold. */
export type CellValue = number | string | boolean | null | undefined;

/** Cells read as missing, as pandas and R read them (case as listed). */
export const MISSING_TOKENS = new Set([
  '',
  'NA',
  'N/A',
  'na',
  'n/a',
  'NaN',
  'nan',
  '?',
  'null',
  'NULL',
  'None',
]);

export const isMissing = (v: CellValue) =>
  v === null || v === undefined || (typeof v === 'string' && MISSING_TOKENS.has(v.trim()));

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN_WORDS: Record<string, number> = { true: 1, false: 0, TRUE: 1, FALSE: 0, True: 1, False: 0 };

/** A number from a number or a numeric string; null when it is neither. */
export function asNumber(v: CellValue): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && NUMERIC.test(v.trim())) return Number(v.trim());
  return null;
}

/** 1/0 from a boolean, "true"/"false" or 0/1; null otherwise. */
export function asBoolean(v: CellValue): number | null {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === 0 || v === 1) return v;
  if (typeof v === 'string')
    return BOOLEAN_WORDS[v.trim()] ?? (v.trim() === '0' ? 0 : v.trim() === '1' ? 1 : null);
  return null;
}
