/**
 * Today's meaning of a CSV table: every column but the label column is a numeric feature, the label
 * column (if any) holds classes 0, 1, 2, ... This is the step on top of the record reader
 * (`csv.ts`) that turns named text values into the float rows the platform takes.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { CellValue } from '@automl-stream/table';
import { CsvError, type CsvItem, type CsvReadOptions, type CsvRecord, readCsv } from './csv.ts';
import { type Typing, typedLabel, typedRecord } from './typed-table.ts';

/** One data row of a CSV file: the numeric features, the class when the file has a label column. */
export interface DataRow {
  features: number[];
  label: number | null;
  /** A typed table's row keyed by column name (`features` is then empty). */
  record?: Record<string, CellValue>;
  /** A typed table's class as written (a class number, or a name such as "pos"); null: none. */
  labelValue?: string | number | null;
  /** Line of the file (1-based), for messages. */
  line: number;
  /** The record's values as written, for writing the row back out (predict -o). */
  values: (string | null)[];
}

export interface TableOptions extends CsvReadOptions {
  /**
   * Column holding the class (a whole number 0..K-1). `undefined`: `label` when the header has it,
   * otherwise none. `null`: none.
   * @default undefined
   */
  labelColumn?: string | null;
  /** Read the columns by name and type (records) instead of as numbers (positional rows). */
  typing?: Typing;
}

/** The layout of a numeric table: which column is the label, which are features. */
export class TableLayout {
  readonly labelIndex: number | null;
  readonly featureIndexes: number[];

  readonly typing: Typing | null;

  constructor(
    readonly header: string[],
    headerLine: number,
    options: Pick<TableOptions, 'labelColumn' | 'typing'> = {},
  ) {
    this.typing = options.typing ?? null;
    if (options.labelColumn === undefined) {
      this.labelIndex = header.indexOf('label') >= 0 ? header.indexOf('label') : null;
    } else if (options.labelColumn === null) {
      this.labelIndex = null;
    } else {
      const index = header.indexOf(options.labelColumn);
      if (index < 0) {
        throw new CsvError(
          headerLine,
          `the header has no column ${JSON.stringify(options.labelColumn)} for --label-column (columns: ${header.join(', ')})`,
        );
      }
      this.labelIndex = index;
    }
    this.featureIndexes = header.map((_, i) => i).filter((i) => i !== this.labelIndex);
    if (this.featureIndexes.length === 0) {
      throw new CsvError(
        headerLine,
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

  /** A typed table's row: the record by the types, the class as written. */
  private typedRow(item: CsvRecord, typing: Typing): DataRow {
    const record = typedRecord(this.header, this.featureIndexes, typing, item);
    const labelValue =
      this.labelIndex === null
        ? null
        : typedLabel(typing, item.values[this.labelIndex], this.labelColumn!, item.line);
    return {
      features: [],
      label: null,
      record,
      labelValue,
      line: item.line,
      values: item.written ?? item.values,
    };
  }

  /** The numbers of one record; throws a CsvError naming the line and column of a bad value. */
  row(item: CsvRecord): DataRow {
    if (this.typing) return this.typedRow(item, this.typing);
    const { values, line } = item;
    const features = this.featureIndexes.map((i) => {
      const raw = values[i];
      if (raw === null || raw === undefined) {
        throw new CsvError(
          line,
          `column ${JSON.stringify(this.header[i])} has no value (a number is needed)`,
        );
      }
      // Number() ignores surrounding spaces; a blank value never gets here (it is missing).
      const value = Number(raw);
      if (!Number.isFinite(value)) {
        throw new CsvError(
          line,
          `column ${JSON.stringify(this.header[i])}: ${JSON.stringify(raw.trim())} is not a number`,
        );
      }
      return value;
    });
    let label: number | null = null;
    if (this.labelIndex !== null) {
      const text = values[this.labelIndex];
      if (text === null || text === undefined) {
        throw new CsvError(
          line,
          `column ${JSON.stringify(this.labelColumn)} has no value (a class number is needed)`,
        );
      }
      const raw = text.trim();
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0) {
        throw new CsvError(
          line,
          `label ${JSON.stringify(raw)} in column ${JSON.stringify(this.labelColumn)} is not a class number (0, 1, 2, ...): map the classes to whole numbers first`,
        );
      }
      label = value;
    }
    return { features, label, line, values: item.written ?? values };
  }
}

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
  // Broken quoting stops the reader itself (nothing after it can be trusted), skip or not; only
  // records that parse but do not fit the table can be skipped.
  for await (const item of readCsv(chunks, options)) {
    const result = convert(item);
    if (!result) continue;
    if (result.kind === 'bad' && !options.skipBadRows) throw result.error;
    yield result;
  }

  function convert(item: CsvItem): TableItem | null {
    if (item.kind === 'header') {
      layout = new TableLayout(item.columns, item.line, options);
      options.onLayout?.(layout);
      return null;
    }
    if (item.kind === 'bad') return item;
    try {
      return { kind: 'row', row: layout!.row(item.record) };
    } catch (error) {
      if (error instanceof CsvError) return { kind: 'bad', error };
      throw error;
    }
  }
}

/** Whether bytes start with gzip's magic number (a `.csv.gz` download). */
export const isGzip = (bytes: Uint8Array) => bytes[0] === 0x1f && bytes[1] === 0x8b;

/**
 * Reads a file in 256 KiB chunks for `readTable`; a gzip-compressed file (as public data sets are
 * often published: `data.csv.gz`) is decompressed as it is read, whatever its name.
 */
export async function* openFile(path: string): AsyncGenerator<Buffer> {
  const chunks = createReadStream(path, { highWaterMark: 256 * 1024 })[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) return;
  async function* all() {
    yield first.value as Buffer;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value as Buffer;
  }
  if (!isGzip(first.value as Buffer)) {
    yield* all();
    return;
  }
  try {
    for await (const chunk of Readable.from(all()).pipe(createGunzip())) yield chunk as Buffer;
  } catch (error) {
    throw new Error(`${path} is gzip-compressed but cannot be read: ${(error as Error).message}`);
  }
}
