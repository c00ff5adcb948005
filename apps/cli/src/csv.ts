import { MISSING_TOKENS } from '@automl-stream/table';
/**
 * CSV files in and out, through csv-parse and csv-stringify. The reader yields *records*: the
 * header's column names once, then each data line's values by column as the text written there
 * (`null` for a missing-value token), each with the line it starts on. What the values mean
 * (numbers, classes, categories) is decided one step up (`numeric-table.ts` today).
 */
import type { CsvError as ParseError } from 'csv-parse';

/** Values that mean "no value" unless configured otherwise (compared after trimming spaces). */
/** The platform's missing-value tokens (packages/table), read the same way by the server. */
export const DEFAULT_MISSING_VALUES: readonly string[] = [...MISSING_TOKENS];

/** A problem in a CSV file; `line` is 1-based, counting physical lines (a quoted line break counts). */
export class CsvError extends Error {
  override readonly name = 'CsvError';
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

export interface CsvReadOptions {
  /** One character other than a quote or a line break. @default ',' */
  delimiter?: string;
  /**
   * Values read as `null` (after trimming spaces), quoted or not, as pandas does.
   * @default DEFAULT_MISSING_VALUES
   */
  missingValues?: readonly string[];
  /**
   * `,`: numbers are written with a decimal comma (`12,5`, `1.234,5`); each such value is read as
   * `12.5`, `1234.5` (the record's `written` keeps the text as written). @default '.'
   */
  decimal?: Decimal;
}

export type Decimal = '.' | ',';

export interface CsvRecord {
  /** Line on which the record starts (1-based). */
  line: number;
  /** One value per header column: the text as written, `null` for a missing-value token. */
  values: (string | null)[];
  /** With decimal commas: the values as written in the file, when one of them was rewritten. */
  written?: (string | null)[];
}

export type CsvItem =
  | { kind: 'header'; columns: string[]; line: number }
  | { kind: 'record'; record: CsvRecord }
  /** A record that cannot be read as a row of the table (wrong number of fields). */
  | { kind: 'bad'; error: CsvError };

/** Why a delimiter cannot be used, or null when it can. */
export function delimiterProblem(delimiter: string): string | null {
  return delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r'
    ? `the CSV delimiter must be one character other than a quote or a line break (got ${JSON.stringify(delimiter)})`
    : null;
}

/**
 * Streams a CSV file (chunks of UTF-8 bytes, UTF-16LE bytes after their byte-order mark, or text):
 * yields the header (the first line that is not blank; names trimmed, each once), then its records.
 * Blank lines, and lines holding only spaces, are skipped; LF, CRLF and lone CR all end a line; a
 * byte-order mark is dropped. A record with the wrong number of fields is yielded as `bad`; broken
 * quoting throws (nothing after it can be trusted), as does a file that is not UTF-8 (or UTF-16LE)
 * or has no header.
 */
export async function* readCsv(
  chunks: AsyncIterable<string | Buffer>,
  options: CsvReadOptions = {},
): AsyncGenerator<CsvItem> {
  const delimiter = options.delimiter ?? ',';
  const problem = delimiterProblem(delimiter);
  if (problem) throw new Error(problem);
  // Loaded here, not at start-up: most commands read no CSV.
  const { parse, CsvError: ParseError } = await import('csv-parse');
  const records = new RecordReader(options.missingValues ?? DEFAULT_MISSING_VALUES, options.decimal ?? '.');
  const parser = parse({
    delimiter,
    bom: true,
    // Mixed line ends (a file edited on two systems) still read line by line.
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
  });
  // Each chunk is written and its records taken from 'data' events, which csv-parse emits as it
  // parses, before the write's callback: when a chunk holds a quoting error, the records before
  // it have been counted, so the error's line is exact. (Read through an async iterator, those
  // records would be dropped with the stream; csv-parse's on_record hook keeps them too, but
  // parses at 60 % of the speed: measured as bench/csv does.)
  const queue: CsvItem[] = [];
  let failure: Error | null = null;
  parser.on('data', (fields: string[]) => {
    if (failure) return;
    try {
      const item = records.item(fields);
      if (item) queue.push(item);
    } catch (error) {
      // (Thrown here, it would escape from inside the stream.)
      failure = error as Error;
    }
  });
  parser.on('error', (error: Error) => {
    failure ??= error;
  });
  const written = (chunk: string | Buffer) =>
    new Promise<void>((resolve) => parser.write(chunk, () => resolve()));
  const ended = new Promise<void>((resolve) => {
    parser.once('end', resolve);
    parser.once('error', () => resolve());
  });
  try {
    for await (const chunk of utf8Checked(chunks)) {
      await written(chunk);
      yield* queue.splice(0);
      if (failure) break;
    }
    if (!failure) {
      parser.end();
      await ended;
      yield* queue.splice(0);
    }
    if (failure) throw failure;
  } catch (error) {
    throw error instanceof ParseError ? records.quotingError(error) : error;
  } finally {
    parser.destroy();
  }
  if (!records.columns) throw new CsvError(1, 'the file is empty: it needs a header line and data rows');
}

/** Turns csv-parse's field arrays into items, counting lines. */
class RecordReader {
  columns: string[] | null = null;
  /** The line the next record starts on. */
  private next = 1;
  /** CRLFs seen inside quoted fields: each is one line here and two in csv-parse's error lines. */
  private quotedCrlf = 0;
  private readonly missing: Set<string>;

  constructor(
    missingValues: readonly string[],
    private readonly decimal: Decimal,
  ) {
    this.missing = new Set(missingValues);
  }

  /** The item for one parsed record; null for a blank line. */
  item(fields: string[]): CsvItem | null {
    const line = this.countLines(fields);
    if (fields.length === 1 && fields[0]!.trim() === '') return null;
    if (!this.columns) {
      this.columns = headerColumns(fields, line);
      return { kind: 'header', columns: this.columns, line };
    }
    if (fields.length !== this.columns.length) {
      const problem = `${fields.length} fields; the header has ${this.columns.length} columns`;
      return { kind: 'bad', error: new CsvError(line, problem) };
    }
    const values: (string | null)[] = fields;
    for (let i = 0; i < fields.length; i++) if (this.isMissing(fields[i]!)) values[i] = null;
    if (this.decimal === ',') return { kind: 'record', record: withDecimalCommas(line, values) };
    return { kind: 'record', record: { line, values } };
  }

  private isMissing(value: string): boolean {
    if (this.missing.has(value)) return true;
    const padded = value.charCodeAt(0) <= 32 || value.charCodeAt(value.length - 1) <= 32;
    return padded && this.missing.has(value.trim());
  }

  /**
   * csv-parse yields every line (a blank one as `['']`), so a record starts one line after the
   * previous one ends, and spans the line breaks inside its quoted fields. Returns its first line.
   */
  private countLines(fields: string[]): number {
    const line = this.next;
    let breaks = 0;
    for (const field of fields) {
      if (field.indexOf('\n') < 0 && field.indexOf('\r') < 0) continue;
      breaks += field.split(/\r\n|\r|\n/).length - 1;
      this.quotedCrlf += field.split('\r\n').length - 1;
    }
    this.next = line + breaks + 1;
    return line;
  }

  /** csv-parse's quoting errors, said with our line numbers and what to do about them. */
  quotingError(error: ParseError): CsvError {
    const { lines, column: index } = error as unknown as { lines?: number; column?: number };
    const at = typeof lines === 'number' ? Math.max(this.next, lines - this.quotedCrlf) : this.next;
    const column =
      typeof index !== 'number'
        ? 'a field'
        : this.columns?.[index] !== undefined
          ? `column ${JSON.stringify(this.columns[index])}`
          : `field ${index + 1}`;
    const fix = 'quote the whole value and write a quote inside it as ""';
    switch (error.code) {
      case 'CSV_QUOTE_NOT_CLOSED':
        return new CsvError(this.next, 'a quoted field is not closed before the end of the file');
      case 'INVALID_OPENING_QUOTE':
        return new CsvError(at, `a quote inside an unquoted value (${column}): ${fix}`);
      case 'CSV_INVALID_CLOSING_QUOTE': {
        const got = /got "(.*?)" at line/.exec(error.message)?.[1];
        const what = got ? JSON.stringify(got) : 'text';
        return new CsvError(at, `unexpected ${what} after a closing quote (${column}): ${fix}`);
      }
      default:
        return new CsvError(at, error.message.replace(/\s*at line \d+/, ''));
    }
  }
}

/** A number written with a decimal comma and optional thousands dots: `-12,5`, `1.234,5`, `1.234`. */
const COMMA_NUMBER = /^\s*[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?\s*$/;

/** The record with its decimal-comma numbers read as `12.5`; `written` keeps the text when one was. */
function withDecimalCommas(line: number, values: (string | null)[]): CsvRecord {
  let written: (string | null)[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined || !COMMA_NUMBER.test(value)) continue;
    if (value.indexOf(',') < 0 && value.indexOf('.') < 0) continue;
    written ??= values.slice();
    values[i] = value.trim().replaceAll('.', '').replace(',', '.');
  }
  return written ? { line, values, written } : { line, values };
}

function headerColumns(fields: string[], line: number): string[] {
  const columns = fields.map((name) => name.trim());
  const seen = new Map<string, number>();
  columns.forEach((name, i) => {
    if (seen.has(name)) {
      throw new CsvError(
        line,
        `the header names column ${JSON.stringify(name)} twice (columns ${seen.get(name)! + 1} and ${i + 1})`,
      );
    }
    seen.set(name, i);
  });
  return columns;
}

/**
 * Passes the chunks on, refusing bytes that are not UTF-8 (csv-parse would read them as U+FFFD
 * without a word). The decoder only checks: csv-parse decodes the bytes itself. A file that starts
 * with the UTF-16LE byte-order mark (Excel's "Unicode text") is left to csv-parse, which reads it
 * as UTF-16LE.
 */
async function* utf8Checked(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<string | Buffer> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let check: boolean | null = null;
  for await (const chunk of chunks) {
    if (typeof chunk !== 'string' && chunk.length > 0) {
      check ??= !(chunk[0] === 0xff && chunk[1] === 0xfe);
      if (check) {
        try {
          decoder.decode(chunk, { stream: true });
        } catch {
          throw new Error('the file is not valid UTF-8 text: save it as UTF-8 CSV');
        }
      }
    }
    yield chunk;
  }
  try {
    if (check) decoder.decode();
  } catch {
    throw new Error('the file is not valid UTF-8 text (it ends inside a character): save it as UTF-8 CSV');
  }
}

/** CSV text of `rows` (a header is a row too): fields quoted only when they need it; null as empty. */
export async function csvLines(rows: (string | number | null)[][], delimiter = ','): Promise<string> {
  const { stringify } = await import('csv-stringify/sync');
  // csv-stringify quotes a delimiter, a quote or a LF by itself; a lone CR ends a line for readers too.
  return stringify(rows, { delimiter, record_delimiter: 'unix', quoted_match: /\r/ });
}
