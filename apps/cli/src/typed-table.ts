/**
 * A CSV table read by column name and type: every column but the label is numeric, categorical or
 * boolean (from the platform's schema, a `--schema` file, or inferred from the whole file), cells
 * in the missing-value tokens are missing, and the label keeps its classes as written ("pos").
 * The rows go to the platform as records keyed by the header's names.
 */
import {
  asBoolean,
  asNumber,
  type CellValue,
  ColumnEvidence,
  type ColumnType,
  type LabelSpec,
  type TableSchema,
} from '@automl-stream/table';
import { CsvError, type CsvReadOptions, type CsvRecord, readCsv } from './csv.ts';

/** How each column of a typed table is read. */
export interface Typing {
  /** Type of each feature column, by name. */
  columns: Map<string, ColumnType>;
  /** The label column's kind (integer classes or named ones); null: the file has none. */
  label: LabelSpec | null;
}

/** A record of one CSV row, by the types: numbers, booleans, category text, null for missing. */
export function typedRecord(
  header: readonly string[],
  featureIndexes: readonly number[],
  typing: Typing,
  { values, line }: CsvRecord,
): Record<string, CellValue> {
  const record: Record<string, CellValue> = {};
  for (const i of featureIndexes) {
    const name = header[i]!;
    // The CSV reader gives null for the missing-value tokens (--na-values).
    const raw = values[i];
    record[name] =
      raw === null || raw === undefined
        ? null
        : typedValue(typing.columns.get(name) ?? 'categorical', raw.trim(), name, line);
  }
  return record;
}

function typedValue(type: ColumnType, text: string, name: string, line: number): CellValue {
  if (type === 'numeric') {
    const n = asNumber(text);
    if (n === null)
      throw new CsvError(line, `column ${JSON.stringify(name)}: ${JSON.stringify(text)} is not a number`);
    return n;
  }
  if (type === 'boolean') {
    const b = asBoolean(text);
    if (b === null)
      throw new CsvError(
        line,
        `column ${JSON.stringify(name)}: ${JSON.stringify(text)} is not true or false`,
      );
    return b === 1;
  }
  return text;
}

/** The label of one row as the platform takes it: a class number, a class name, or null (missing). */
export function typedLabel(
  typing: Typing,
  raw: string | null | undefined,
  column: string,
  line: number,
): string | number | null {
  if (raw === null || raw === undefined) return null;
  const text = raw.trim();
  if (typing.label?.kind !== 'integer') return text;
  const n = asNumber(text);
  if (n === null || !Number.isInteger(n) || n < 0) {
    throw new CsvError(
      line,
      `label ${JSON.stringify(text)} in column ${JSON.stringify(column)} is not a class number (this pipeline's classes are 0, 1, 2, ...)`,
    );
  }
  return n;
}

/** The typing of a stored or declared schema (columns the file does not have are left out). */
export function typingOf(schema: TableSchema, hasLabel: boolean): Typing {
  return {
    columns: new Map(schema.columns.map((c) => [c.name, c.type])),
    label: hasLabel ? schema.label : null,
  };
}

/**
 * Reads the whole file once and infers each column's type from all its values (not a first
 * batch), so that the schema the platform keeps fits every row of the file.
 */
export async function inferTyping(
  chunks: AsyncIterable<string | Buffer>,
  options: CsvReadOptions & { labelColumn: string | null },
): Promise<{ header: string[]; schema: TableSchema }> {
  let header: string[] = [];
  let evidence: ColumnEvidence[] = [];
  for await (const item of readCsv(chunks, options)) {
    if (item.kind === 'header') {
      header = item.columns;
      evidence = header.map(() => new ColumnEvidence());
    } else if (item.kind === 'record') {
      item.record.values.forEach((raw, i) => {
        evidence[i]?.add(raw === null || raw === undefined ? null : raw.trim());
      });
    }
  }
  const labelIndex = options.labelColumn === null ? -1 : header.indexOf(options.labelColumn);
  const columns = header.flatMap((name, i) => {
    if (i === labelIndex) return [];
    const type = evidence[i]!.type;
    return [
      { name, type, nullable: true, ...(type === 'categorical' ? { categories: evidence[i]!.values } : {}) },
    ];
  });
  const label =
    labelIndex >= 0
      ? evidence[labelIndex]!.label(header[labelIndex]!)
      : { name: options.labelColumn ?? 'label', kind: 'string' as const, classes: [] };
  return { header, schema: { columns, label } };
}
