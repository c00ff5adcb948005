import { createReadStream } from 'node:fs';
import { CsvError, type CsvRecord, readCsv } from './csv.ts';

/** One data row of a CSV file: the numeric features, the class when the file has a label column. */
export interface DataRow {
  features: number[];
  label: number | null;
  /** Line of the file (1-based), for messages. */
  line: number;
  /** The row as read, for writing it back out (predict -o). */
  fields: string[];
}

export interface TableOptions {
  /**
   * Column holding the class (a whole number 0..K-1). `undefined`: `label` when the header has it,
   * otherwise none. `null`: none.
   * @default undefined
   */
  labelColumn?: string | null;
  /** @default ',' */
  delimiter?: string;
}

/**
 * The layout of a numeric CSV file: the first record is the header; the label column (if any)
 * holds classes; every other column is a feature and must hold a number on every row.
 */
export class TableLayout {
  readonly header: string[];
  readonly labelIndex: number | null;
  readonly featureIndexes: number[];

  constructor(header: CsvRecord, options: TableOptions = {}) {
    this.header = header.fields.map((name) => name.trim());
    const seen = new Map<string, number>();
    this.header.forEach((name, i) => {
      if (seen.has(name)) {
        throw new CsvError(
          header.line,
          `the header names column ${JSON.stringify(name)} twice (columns ${seen.get(name)! + 1} and ${i + 1})`,
        );
      }
      seen.set(name, i);
    });
    if (options.labelColumn === undefined) {
      this.labelIndex = seen.get('label') ?? null;
    } else if (options.labelColumn === null) {
      this.labelIndex = null;
    } else {
      const index = seen.get(options.labelColumn);
      if (index === undefined) {
        throw new CsvError(
          header.line,
          `the header has no column ${JSON.stringify(options.labelColumn)} for --label-column (columns: ${this.header.join(', ')})`,
        );
      }
      this.labelIndex = index;
    }
    this.featureIndexes = this.header.map((_, i) => i).filter((i) => i !== this.labelIndex);
    if (this.featureIndexes.length === 0) {
      throw new CsvError(
        header.line,
        'the file has no feature columns (every column but the label is a feature)',
      );
    }
  }

  get labelColumn(): string | null {
    return this.labelIndex === null ? null : this.header[this.labelIndex]!;
  }

  get featureColumns(): string[] {
    return this.featureIndexes.map((i) => this.header[i]!);
  }

  /** The numbers of one record; throws a CsvError naming the line and column of a bad value. */
  row(record: CsvRecord): DataRow {
    const { fields, line } = record;
    if (fields.length !== this.header.length) {
      throw new CsvError(line, `${fields.length} fields; the header has ${this.header.length} columns`);
    }
    const features = this.featureIndexes.map((i) => {
      const raw = fields[i]!.trim();
      const value = raw === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(value)) {
        throw new CsvError(
          line,
          raw === ''
            ? `column ${JSON.stringify(this.header[i])} is empty`
            : `column ${JSON.stringify(this.header[i])}: ${JSON.stringify(raw)} is not a number`,
        );
      }
      return value;
    });
    let label: number | null = null;
    if (this.labelIndex !== null) {
      const raw = fields[this.labelIndex]!.trim();
      const value = raw === '' ? Number.NaN : Number(raw);
      if (!Number.isInteger(value) || value < 0) {
        throw new CsvError(
          line,
          `label ${JSON.stringify(raw)} in column ${JSON.stringify(this.labelColumn)} is not a class number (0, 1, 2, ...): map the classes to whole numbers first`,
        );
      }
      label = value;
    }
    return { features, label, line, fields };
  }
}

/** A record that is blank apart from spaces (a stray line with spaces or tabs). */
const isBlank = (record: CsvRecord) => record.fields.length === 1 && record.fields[0]!.trim() === '';

export type TableItem = { kind: 'row'; row: DataRow } | { kind: 'bad'; error: CsvError };

/**
 * Streams a numeric CSV file: calls `onLayout` once with the header's layout, then yields each
 * data row, or (with `skipBadRows`) each bad row as `{ kind: 'bad' }` instead of throwing.
 */
export async function* readTable(
  chunks: AsyncIterable<string | Buffer>,
  options: TableOptions & { skipBadRows?: boolean; onLayout?: (layout: TableLayout) => void } = {},
): AsyncGenerator<TableItem> {
  let layout: TableLayout | null = null;
  // A malformed quote stops the parser itself (nothing after it can be trusted), skip or not;
  // only rows that parse but hold bad values can be skipped.
  for await (const record of readCsv(chunks, options.delimiter)) {
    if (isBlank(record)) continue;
    if (!layout) {
      layout = new TableLayout(record, options);
      options.onLayout?.(layout);
      continue;
    }
    let row: DataRow;
    try {
      row = layout.row(record);
    } catch (error) {
      if (!(error instanceof CsvError) || !options.skipBadRows) throw error;
      yield { kind: 'bad', error };
      continue;
    }
    yield { kind: 'row', row };
  }
  if (!layout) throw new CsvError(1, 'the file is empty: it needs a header line and data rows');
}

/** Reads a file in 256 KiB chunks for `readTable`. */
export function openFile(path: string): AsyncIterable<Buffer> {
  return createReadStream(path, { highWaterMark: 256 * 1024 });
}
