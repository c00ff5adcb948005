/**
 * A streaming CSV reader (RFC 4180): comma-separated fields, double-quoted fields that may hold
 * commas, quotes written as "" and line breaks, records ended by LF, CRLF or a lone CR. Blank
 * lines are skipped; a UTF-8 byte-order mark at the start is dropped. It keeps only the current
 * record in memory, so files of any size stream through.
 */

/** A malformed CSV file; `line` is 1-based, counting physical lines (a quoted line break counts). */
export class CsvError extends Error {
  override readonly name = 'CsvError';
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

export interface CsvRecord {
  fields: string[];
  /** Line on which the record starts (1-based). */
  line: number;
}

/**
 * Incremental parser: `push` text as it arrives, `end` once at the end of the input. Each returns
 * the records completed by that text. Field counts are not checked here (see `CsvTable`).
 */
export class CsvParser {
  private field = '';
  private fields: string[] = [];
  /** Inside a quoted field. */
  private quoted = false;
  /** The previous character closed a quoted field (or was the first quote of a "" pair). */
  private afterQuote = false;
  /** A record has started (some character other than a line break was seen). */
  private started = false;
  /** The previous character, possibly at the end of the previous chunk, was CR. */
  private lastWasCr = false;
  private line = 1;
  private recordLine = 1;
  private first = true;

  constructor(private readonly delimiter = ',') {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new Error(
        `the CSV delimiter must be one character other than a quote or a line break (got ${JSON.stringify(delimiter)})`,
      );
    }
  }

  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let i = 0;
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    const d = this.delimiter;
    for (; i < text.length; i++) {
      const c = text[i]!;
      // The LF of a CRLF: the line (and, outside quotes, the record) ended at the CR.
      const crlfTail = c === '\n' && this.lastWasCr;
      this.lastWasCr = c === '\r';
      if (this.quoted) {
        if (c === '"') {
          this.quoted = false;
          this.afterQuote = true;
          continue;
        }
        if (c === '\r' || (c === '\n' && !crlfTail)) this.line++;
        this.field += c;
        continue;
      }
      if (crlfTail) continue;
      if (this.afterQuote) {
        this.afterQuote = false;
        if (c === '"') {
          // "" inside a quoted field: a literal quote, and the field goes on.
          this.field += '"';
          this.quoted = true;
          continue;
        }
        if (c !== d && c !== '\n' && c !== '\r') {
          throw new CsvError(
            this.line,
            `unexpected ${JSON.stringify(c)} after a closing quote (quote the whole field and write a quote inside it as "")`,
          );
        }
      }
      if (c === d) {
        this.fields.push(this.field);
        this.field = '';
        this.started = true;
      } else if (c === '\n' || c === '\r') {
        if (this.started) out.push(this.finishRecord());
        this.line++;
        this.recordLine = this.line;
      } else if (c === '"') {
        if (this.field.length > 0) {
          throw new CsvError(
            this.line,
            `a quote inside an unquoted field (${JSON.stringify(this.field + c)}): quote the whole field and double the quote`,
          );
        }
        this.quoted = true;
        this.started = true;
      } else {
        this.field += c;
        this.started = true;
      }
    }
    return out;
  }

  end(): CsvRecord[] {
    if (this.quoted)
      throw new CsvError(this.recordLine, 'a quoted field is not closed before the end of the file');
    this.afterQuote = false;
    return this.started ? [this.finishRecord()] : [];
  }

  private finishRecord(): CsvRecord {
    this.fields.push(this.field);
    const record = { fields: this.fields, line: this.recordLine };
    this.fields = [];
    this.field = '';
    this.started = false;
    return record;
  }
}

/** Parses a stream of text chunks (e.g. `createReadStream(path, 'utf8')`) record by record. */
export async function* readCsv(
  chunks: AsyncIterable<string | Buffer>,
  delimiter = ',',
): AsyncGenerator<CsvRecord> {
  const parser = new CsvParser(delimiter);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decodeChunk(decoder, chunk);
    yield* parser.push(text);
  }
  yield* parser.end();
}

function decodeChunk(decoder: TextDecoder, chunk: Buffer): string {
  try {
    return decoder.decode(chunk, { stream: true });
  } catch {
    throw new Error('the file is not valid UTF-8 text: save it as UTF-8 CSV');
  }
}

/** Writes one CSV field, quoting it when it holds a delimiter, a quote or a line break. */
export function csvField(value: string | number, delimiter = ','): string {
  const text = String(value);
  return text.includes(delimiter) || /["\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
