import { createHash } from 'node:crypto';
import { IngestDocument, type IngestMutation } from '@automl-stream/sdk/node.ts';
import { type Command, type CommandContext, type Io, intFlag, stringFlag } from '../command.ts';
import { type CsvError, type Decimal, delimiterProblem } from '../csv.ts';
import { dialectText, firstLines, sniffDialect } from '../csv-dialect.ts';
import { UsageError } from '../errors.ts';
import { type DataRow, openFile, readTable, type TableLayout, type TableOptions } from '../numeric-table.ts';
import { printJson } from '../output.ts';
import { ProgressBar } from '../progress.ts';
import { withRetry } from '../retry.ts';
import { sleepUnlessAborted } from '../signals.ts';
import { resolveTyping } from './table-typing.ts';

/** Rows per ingest call unless --batch-size says otherwise (the server's cap is MAX_BATCH_ROWS). */
export const DEFAULT_BATCH_ROWS = 1000;

export interface ScanResult {
  sha256: string;
  rows: number;
  layout: TableLayout;
  badRows: CsvError[];
}

/**
 * First pass over the file: its SHA-256 (the batch ids derive from it), the number of good rows
 * (the progress bar's total) and the bad rows. A bad row stops here, before anything is sent,
 * unless `skipBadRows`.
 */
export async function scanFile(
  path: string,
  options: TableOptions & { skipBadRows: boolean },
): Promise<ScanResult> {
  const hash = createHash('sha256');
  async function* hashed() {
    for await (const chunk of openFile(path)) {
      hash.update(chunk);
      yield chunk;
    }
  }
  let layout: TableLayout | null = null;
  let rows = 0;
  const badRows: CsvError[] = [];
  for await (const item of readTable(hashed(), {
    ...options,
    onLayout: (l) => {
      layout = l;
    },
  })) {
    if (item.kind === 'row') rows++;
    else badRows.push(item.error);
  }
  return { sha256: hash.digest('hex'), rows, layout: layout!, badRows };
}

/**
 * The id of batch `index`: the same file read with the same batch size always gives the same
 * ids, so a re-run after a crash re-sends the stored batches as duplicates (nothing stored twice)
 * and continues with the rest.
 */
export const batchId = (sha256: string, batchRows: number, index: number) =>
  `csv-${sha256.slice(0, 16)}-${batchRows}-${String(index).padStart(6, '0')}`;

/** Options shared by ingest and predict. */
export const tableOptions = {
  'label-column': {
    type: 'string',
    value: '<name>',
    description:
      'column holding the class (default: the pipeline\'s label column, else "label", when the header has it)',
  },
  'batch-size': {
    type: 'string',
    value: '<rows>',
    description: `rows per request (default ${DEFAULT_BATCH_ROWS})`,
  },
  'skip-bad-rows': {
    type: 'boolean',
    description: 'skip rows with bad values (listed on stderr) instead of stopping',
  },
  delimiter: {
    type: 'string',
    value: '<char>',
    description:
      'field separator (default: the one of ",", ";", tab and "|" that splits the header and the first lines alike, else ",")',
  },
  decimal: {
    type: 'string',
    value: '<. or ,>',
    description:
      'decimal mark of the numbers (default ".", or "," when the file is not comma-separated and writes its numbers 12,5)',
  },
  'na-values': {
    type: 'string',
    value: '<list>',
    description:
      'comma-separated cells read as missing (default: empty, NA, N/A, na, n/a, NaN, nan, ?, null, NULL, None)',
  },
} as const satisfies Command['options'];

/**
 * The table options of the flags; the separator and decimal mark the flags leave out are read off
 * the file's first lines (what was guessed is said on `stderr` when it is not plain commas and points).
 */
export async function readTableFlags(flags: CommandContext['flags'], file: string, stderr: Io['stderr']) {
  const labelColumn = stringFlag(flags, 'label-column');
  const given = stringFlag(flags, 'delimiter');
  const naValues = stringFlag(flags, 'na-values');
  const problem = given === undefined ? null : delimiterProblem(given);
  if (problem) throw new UsageError(`--delimiter: ${problem}`);
  const givenDecimal = stringFlag(flags, 'decimal');
  if (givenDecimal !== undefined && givenDecimal !== '.' && givenDecimal !== ',')
    throw new UsageError(`--decimal must be "." or "," (got ${JSON.stringify(givenDecimal)})`);
  const dialect =
    given !== undefined && (givenDecimal !== undefined || given === ',')
      ? { delimiter: given, decimal: givenDecimal ?? '.' }
      : sniffDialect(await firstLines(file), given);
  const decimal = (givenDecimal ?? dialect.decimal) as Decimal;
  const guessed = given === undefined || givenDecimal === undefined;
  const plain = dialect.delimiter === ',' && decimal === '.';
  if (guessed && !plain) {
    const said = dialectText({ delimiter: dialect.delimiter, decimal });
    stderr.write(`reading ${file} as ${said} (--delimiter and --decimal say otherwise)\n`);
  }
  return {
    ...(labelColumn !== undefined ? { labelColumn } : {}),
    ...(naValues !== undefined ? { missingValues: ['', ...naValues.split(',').map((v) => v.trim())] } : {}),
    delimiter: dialect.delimiter,
    decimal,
    skipBadRows: flags['skip-bad-rows'] === true,
    batchRows: intFlag(flags, 'batch-size', { min: 1, max: 1_000_000 }) ?? DEFAULT_BATCH_ROWS,
  };
}

/** Lists skipped rows on stderr: the first 20, then a count. */
export function reportBadRows(bad: CsvError[], file: string, write: (line: string) => void) {
  for (const error of bad.slice(0, 20)) write(`skipped ${file}: ${error.message}`);
  if (bad.length > 20) write(`skipped ${bad.length - 20} more bad rows`);
}

/**
 * Reads the good rows of `file` (the scan reported the bad ones) and hands them to `send` in
 * batches of `batchRows`, the last one possibly shorter. Stops after a batch once `signal` is
 * aborted, and then resolves with true (interrupted).
 */
export async function sendInBatches(
  file: string,
  table: TableOptions & { skipBadRows: boolean },
  batchRows: number,
  signal: AbortSignal,
  send: (rows: DataRow[]) => Promise<void>,
): Promise<boolean> {
  let batch: DataRow[] = [];
  for await (const item of readTable(openFile(file), table)) {
    if (item.kind === 'bad') continue;
    batch.push(item.row);
    if (batch.length === batchRows) {
      const rows = batch;
      batch = [];
      await send(rows);
      if (signal.aborted) return true;
    }
  }
  if (batch.length > 0) await send(batch);
  return false;
}

/**
 * After each batch, waits until the rows sent so far are due at `rate` rows per second from the
 * first one: the average pace holds (after a slow batch the next ones go without waiting until
 * they are due again); an abort ends the wait.
 */
export function pacer(rate: number, signal: AbortSignal): (rows: number) => Promise<void> {
  const started = performance.now();
  let sent = 0;
  return (rows) => {
    sent += rows;
    return sleepUnlessAborted(started + (sent / rate) * 1000 - performance.now(), signal);
  };
}

/** What the ingest calls answered so far, summed over the batches. */
function newTotals() {
  return {
    batches: 0,
    newBatches: 0,
    duplicateBatches: 0,
    rowsStored: 0,
    labelledRows: 0,
    scoredRows: 0,
    correct: 0,
    firstModelVersion: null as number | null,
    lastModelVersion: null as number | null,
    sent: 0,
  };
}

type IngestTotals = ReturnType<typeof newTotals>;

interface IngestTarget {
  client: CommandContext['client'];
  pipeline: string;
  scan: ScanResult;
  batchRows: number;
  signal: AbortSignal;
  bar: ProgressBar;
}

/** A batch as the platform takes it: records by column name (typed tables) or positional rows. */
function batchInput(scan: ScanResult, rows: DataRow[]) {
  const label = scan.layout.labelColumn;
  if (scan.layout.typing) {
    return {
      records: rows.map((r) =>
        label === null ? r.record! : { ...r.record!, [label]: r.labelValue ?? null },
      ),
      ...(label !== null ? { labelColumn: label } : {}),
    };
  }
  return {
    features: rows.map((r) => r.features),
    ...(scan.layout.labelIndex !== null ? { labels: rows.map((r) => r.label ?? null) } : {}),
  };
}

/** Sends one batch of the file (retrying what can be retried), adds the answers to `totals`, moves the bar. */
async function ingestBatch(target: IngestTarget, totals: IngestTotals, rows: DataRow[]): Promise<void> {
  const { scan, bar } = target;
  const input = {
    ...batchInput(scan, rows),
    batchId: batchId(scan.sha256, target.batchRows, totals.batches),
  };
  const result: IngestMutation['ingest'] = (
    await withRetry(() => target.client().request(IngestDocument, { pipeline: target.pipeline, input }), {
      signal: target.signal,
      onRetry: (error, waitMs) =>
        bar.log(
          `retrying batch ${totals.batches} in ${(waitMs / 1000).toFixed(1)}s (${error.code}: ${error.message})`,
        ),
    })
  ).ingest;
  addAnswer(totals, result);
  totals.batches++;
  if (result.duplicate) totals.duplicateBatches++;
  else totals.newBatches++;
  totals.sent += rows.length;
  bar.update(
    totals.sent,
    `${totals.batches} batches${totals.duplicateBatches ? `, ${totals.duplicateBatches} already stored` : ''}`,
  );
}

function addAnswer(totals: IngestTotals, result: IngestMutation['ingest']): void {
  totals.rowsStored += result.rowsStored;
  totals.labelledRows += result.labelledRows;
  totals.scoredRows += result.scoredRows;
  if (result.batchAccuracy !== null) totals.correct += result.batchAccuracy * result.scoredRows;
  totals.lastModelVersion = result.modelVersion ?? totals.lastModelVersion;
  if (result.scoredRows > 0) totals.firstModelVersion ??= result.modelVersion ?? null;
}

/** The run's outcome as `--json` prints it. */
function ingestSummary(
  file: string,
  scan: ScanResult,
  batchRows: number,
  totals: IngestTotals,
  interrupted: boolean,
) {
  return {
    file,
    sha256: scan.sha256,
    rows: scan.rows,
    rowsSent: totals.sent,
    rowsStored: totals.rowsStored,
    batches: totals.batches,
    newBatches: totals.newBatches,
    duplicateBatches: totals.duplicateBatches,
    labelledRows: totals.labelledRows,
    scoredRows: totals.scoredRows,
    accuracy: totals.scoredRows > 0 ? totals.correct / totals.scoredRows : null,
    modelVersion: totals.lastModelVersion,
    firstModelVersion: totals.firstModelVersion,
    badRows: scan.badRows.map((e) => ({ line: e.line, problem: e.message })),
    batchIdPrefix: batchId(scan.sha256, batchRows, 0).replace(/-0+$/, '-'),
    complete: !interrupted,
  };
}

/** Which serving versions scored the file's rows: one, or the first and the last of several. */
function scoredBy({ firstModelVersion: first, modelVersion: last }: ReturnType<typeof ingestSummary>) {
  return first !== null && first !== last
    ? `the serving models v${first} to v${last}`
    : `the serving model v${last}`;
}

function printIngestSummary(
  summary: ReturnType<typeof ingestSummary>,
  file: string,
  interrupted: boolean,
  io: Io,
): void {
  io.stdout.write(
    `${interrupted ? 'interrupted: ' : ''}stored ${summary.rowsStored} of ${summary.rows} rows from ${file} in ${summary.batches} batches` +
      `${summary.duplicateBatches ? ` (${summary.duplicateBatches} were already stored and skipped)` : ''}` +
      `${summary.rowsStored > summary.labelledRows && summary.labelledRows > 0 ? `, ${summary.labelledRows} of them with a class (the others without one: features only, for drift)` : ''}` +
      `${summary.scoredRows ? `; ${scoredBy(summary)} scored ${summary.scoredRows} labelled rows before learning from them, accuracy ${summary.accuracy!.toFixed(3)} (test-then-train)` : ''}\n`,
  );
  if (interrupted)
    io.stdout.write('run the same command again to send the rest (stored batches are skipped)\n');
}

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'stream a CSV file into the platform in batches (resumable)',
  usage: 'ingest <file.csv> [options]',
  details: [
    'The first line is the header; every column but the label column is a feature. Columns are read by',
    "name and type: the platform's schema, a --schema file (declared first; admin key), or on a new platform",
    'the types inferred from the whole file: numbers, categories (any text), booleans (true/false); empty,',
    'NA, N/A, NaN, ?, null cells are missing (--na-values). Classes are kept as written ("pos", "neg", -1/1,',
    '100/200) or, when every one is a whole number from 0 to 31, are class numbers 0, 1, 2, ... The file is',
    'checked completely before anything is sent. Rows whose class is empty are stored without one: their',
    'features count for drift, not for training.',
    '',
    "Batch ids derive from the file's SHA-256 and the batch number: running the same command again after a",
    'crash or Ctrl-C re-sends the stored batches, which the server recognises and skips, and continues',
    '(keep the same --batch-size for that).',
  ].join('\n'),
  options: {
    ...tableOptions,
    schema: {
      type: 'string',
      value: '<schema.json>',
      description:
        'declare the table schema first: {"columns":[{"name","type":"numeric|categorical|boolean"}],"label":"class"}',
    },
    rate: {
      type: 'string',
      value: '<rows/s>',
      description:
        'send at most this many rows per second: a recorded table replayed as a stream, in its order (default: as fast as the server takes them)',
    },
  },
  arguments: ['<file.csv>'],
  usesApi: true,
  usesPipeline: true,
  hasJson: true,
  async run({ positionals, flags, client, pipeline, json, io, signal }) {
    const file = positionals[0]!;
    const { batchRows, ...read } = await readTableFlags(flags, file, io.stderr);
    const rate = intFlag(flags, 'rate', { min: 1, max: 10_000_000 });
    const table = {
      ...read,
      ...(await resolveTyping({ client, pipeline }, file, read, stringFlag(flags, 'schema'))),
    };
    const scan = await scanFile(file, table);
    if (scan.badRows.length > 0) reportBadRows(scan.badRows, file, (line) => io.stderr.write(`${line}\n`));

    const bar = new ProgressBar('ingest', { total: scan.rows, stream: io.stderr });
    const totals = newTotals();
    const target: IngestTarget = { client, pipeline, scan, batchRows, signal, bar };
    const pace = rate === undefined ? null : pacer(rate, signal);
    let interrupted: boolean;
    try {
      interrupted = await sendInBatches(file, table, batchRows, signal, async (rows) => {
        await ingestBatch(target, totals, rows);
        await pace?.(rows.length);
      });
    } finally {
      bar.finish();
    }

    const summary = ingestSummary(file, scan, batchRows, totals, interrupted);
    if (json) printJson(summary, io.stdout);
    else printIngestSummary(summary, file, interrupted, io);
    return interrupted ? 130 : 0;
  },
};
