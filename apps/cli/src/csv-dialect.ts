/**
 * How a CSV file is written when the user does not say: its field separator (`,`, `;`, tab or `|`)
 * and its decimal mark, guessed from its first lines as Python's `csv.Sniffer` and DuckDB's
 * `read_csv` do. A spreadsheet saved as CSV in much of Europe is `;`-separated with decimal
 * commas (`12,5`); a database export is often tab-separated.
 */
import { open } from 'node:fs/promises';
import { constants, gunzipSync } from 'node:zlib';
import type { Decimal } from './csv.ts';

/** The separators tried, in order of preference on a tie. */
export const DELIMITERS = [',', ';', '\t', '|'] as const;
const SAMPLE_BYTES = 64 * 1024;
const SAMPLE_LINES = 50;

export interface CsvDialect {
  delimiter: string;
  decimal: Decimal;
}

/** Splits one line into its fields at `delimiter`, outside double quotes. */
export function splitLine(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === delimiter && !quoted) {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/**
 * The dialect of a file whose first non-blank lines are `lines` (the header first). The separator,
 * unless `delimiter` gives it, is the one that splits the header into the most columns (at least
 * two) and at least 90 % of the other lines into as many; `,` on a tie and when none does.
 */
export function sniffDialect(lines: string[], delimiter?: string): CsvDialect {
  const [header, ...data] = lines;
  let chosen = delimiter;
  if (chosen === undefined) {
    let best = { delimiter: ',', columns: 1 };
    for (const candidate of DELIMITERS) {
      const columns = header === undefined ? 0 : splitLine(header, candidate).length;
      if (columns <= best.columns) continue;
      const fitting = data.filter((line) => splitLine(line, candidate).length === columns).length;
      if (fitting >= 0.9 * data.length) best = { delimiter: candidate, columns };
    }
    chosen = best.delimiter;
  }
  return { delimiter: chosen, decimal: chosen === ',' ? '.' : decimalOf(data, chosen) };
}

/** A decimal comma: `12,5`, `-0,25`, `1.234,5`. */
const COMMA_DECIMAL = /^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+$/;
/** A decimal point: `12.5`, `.25` (but not `1.234`, which may be a thousand with a dot). */
const POINT_DECIMAL = /^[+-]?\d*\.\d+$/;
const THOUSANDS = /^[+-]?\d{1,3}(?:\.\d{3})+$/;

/** `,` when some value is written with a decimal comma and none with a decimal point. */
export function decimalOf(data: string[], delimiter: string): Decimal {
  let commas = 0;
  for (const line of data) {
    for (const field of splitLine(line, delimiter)) {
      const value = field.trim();
      if (POINT_DECIMAL.test(value) && !THOUSANDS.test(value)) return '.';
      if (COMMA_DECIMAL.test(value)) commas++;
    }
  }
  return commas > 0 ? ',' : '.';
}

/**
 * The first non-blank lines of a file (UTF-8, or UTF-16LE after its byte-order mark), without a
 * last line the sample cut; empty when the file cannot be read (reading it says why).
 */
export async function firstLines(path: string): Promise<string[]> {
  let buffer: Buffer;
  let whole: boolean;
  try {
    const file = await open(path, 'r');
    try {
      const { bytesRead, buffer: read } = await file.read(Buffer.alloc(SAMPLE_BYTES), 0, SAMPLE_BYTES, 0);
      buffer = read.subarray(0, bytesRead);
      whole = bytesRead < SAMPLE_BYTES;
    } finally {
      await file.close();
    }
  } catch {
    return [];
  }
  if (buffer[0] === 0x1f && buffer[1] === 0x8b) {
    // A gzip-compressed file: the start of what it holds (a cut stream decompresses up to the cut).
    try {
      const text = gunzipSync(buffer, { finishFlush: constants.Z_SYNC_FLUSH });
      whole &&= text.length <= SAMPLE_BYTES;
      buffer = text.subarray(0, SAMPLE_BYTES);
    } catch {
      return [];
    }
  }
  const utf16 = buffer[0] === 0xff && buffer[1] === 0xfe;
  const text = buffer.toString(utf16 ? 'utf16le' : 'utf8').replace(/^\uFEFF/, '');
  const lines = text.split(/\r\n|\n|\r/);
  if (!whole) lines.pop();
  return lines.filter((line) => line.trim() !== '').slice(0, SAMPLE_LINES);
}

/** How to say a dialect to a person: `";"-separated with decimal commas`. */
export function dialectText({ delimiter, decimal }: CsvDialect): string {
  const separator = delimiter === '\t' ? 'tab' : JSON.stringify(delimiter);
  return `${separator}-separated${decimal === ',' ? ' with decimal commas' : ''}`;
}
