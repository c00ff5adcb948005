import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { PredictDocument, type PredictMutation } from '@automl-stream/sdk/node.ts';
import { type Command, type CommandContext, type Io, stringFlag } from '../command.ts';
import { csvLines, type Decimal } from '../csv.ts';
import { CliError } from '../errors.ts';
import type { DataRow } from '../numeric-table.ts';
import { printJson } from '../output.ts';
import { ProgressBar } from '../progress.ts';
import { withRetry } from '../retry.ts';
import {
  readTableFlags,
  reportBadRows,
  type ScanResult,
  scanFile,
  sendInBatches,
  tableOptions,
} from './ingest.ts';
import { resolveTyping } from './table-typing.ts';

/** Predictions are stored by the server, so only a refused request (nothing stored) is retried. */
const RETRY_ON = new Set(['RATE_LIMITED']);

interface Sink {
  write(text: string): Promise<void>;
  close(): Promise<void>;
  abandon(): Promise<void>;
}

/**
 * The output file is written as `<out>.partial` and renamed at the end, so an interrupted run never
 * leaves a file that looks complete.
 */
function fileSink(path: string): Sink {
  const partial = `${path}.partial`;
  const stream = createWriteStream(partial);
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => {});
  return {
    async write(text) {
      if (!stream.write(text)) await Promise.race([once(stream, 'drain'), failed]);
    },
    async close() {
      await Promise.race([new Promise<void>((resolve) => stream.end(resolve)), failed]);
      await rename(partial, path);
    },
    async abandon() {
      stream.destroy();
      await rm(partial, { force: true });
    },
  };
}

function streamSink(out: { write(text: string): unknown }): Sink {
  return { write: async (text) => void out.write(text), close: async () => {}, abandon: async () => {} };
}

/** One batch's predictions; only a refused request is retried (see RETRY_ON). */
async function requestPredictions(
  { client, pipeline }: Pick<CommandContext, 'client' | 'pipeline'>,
  rows: DataRow[],
  signal: AbortSignal,
): Promise<PredictMutation['predict']> {
  return (
    await withRetry(
      () =>
        client().request(PredictDocument, {
          pipeline,
          input: rows[0]?.record
            ? { records: rows.map((r) => r.record!) }
            : { features: rows.map((r) => r.features) },
        }),
      {
        signal,
        retryOn: RETRY_ON,
      },
    )
  ).predict;
}

/** The schema's columns the file does not have: every row is predicted with them missing. */
function absentColumns(scan: ScanResult): string[] {
  const typing = scan.layout.typing;
  if (!typing) return [];
  return [...typing.columns.keys()].filter((name) => !scan.layout.header.includes(name));
}

function absentWarning(file: string, absent: string[]): string {
  const names = absent
    .slice(0, 10)
    .map((n) => JSON.stringify(n))
    .join(', ');
  const more = absent.length > 10 ? ` and ${absent.length - 10} more` : '';
  return `warning: ${file} has no column${absent.length > 1 ? 's' : ''} ${names}${more} of the schema: every row is predicted with ${absent.length > 1 ? 'them' : 'it'} missing`;
}

/** The file must not already have a column of those predict adds. */
function refuseAddedColumns(scan: ScanResult, file: string): void {
  const added = ['prediction', 'prediction_id', 'model_version'];
  const clash = scan.layout.header.find((name) => added.includes(name) || name.startsWith('p_'));
  if (clash)
    throw new CliError(`${file} already has a column named ${JSON.stringify(clash)}: rename it first`);
}

/**
 * Where the predictions go (CSV lines to `sink`, or JSON rows to `collected` with --json and no
 * -o) and the counts of the summary.
 */
function newPredictionOutput(
  header: string[],
  sink: Sink | null,
  jsonRows: boolean,
  { delimiter, decimal }: { delimiter: string; decimal: Decimal },
) {
  return {
    header,
    sink,
    jsonRows,
    delimiter,
    decimal,
    headerWritten: false,
    collected: [] as unknown[],
    done: 0,
    labelled: 0,
    correct: 0,
    versions: new Set<number>(),
  };
}

type PredictionOutput = ReturnType<typeof newPredictionOutput>;

/** Writes one batch's rows with their predictions (the CSV header before the first) and counts them. */
async function addPredictions(
  output: PredictionOutput,
  rows: DataRow[],
  result: PredictMutation['predict'],
): Promise<void> {
  const { sink } = output;
  const lines: (string | number | null)[][] = [];
  const classes = Object.keys((result.predictions[0]?.classProbabilities ?? {}) as Record<string, number>);
  if (!output.headerWritten && sink) {
    lines.push([
      ...output.header,
      'prediction',
      ...classes.map((c) => `p_${c}`),
      'prediction_id',
      'model_version',
    ]);
    output.headerWritten = true;
  }
  rows.forEach((row, i) => {
    const p = result.predictions[i]!;
    const probabilities = p.classProbabilities as Record<string, number>;
    output.versions.add(p.modelVersion);
    const label = row.labelValue ?? row.label;
    if (label !== null && label !== undefined) {
      output.labelled++;
      if (String(label) === p.className) output.correct++;
    }
    if (output.jsonRows) {
      output.collected.push({
        line: row.line,
        // Integer classes stay numbers, as before named classes existed.
        prediction: String(p.label) === p.className ? p.label : p.className,
        probabilities: p.probabilities,
        classProbabilities: probabilities,
        predictionId: p.id,
        modelVersion: p.modelVersion,
        ...(label !== null && label !== undefined ? { label } : {}),
      });
    } else {
      // Probabilities in the file's own decimal mark, as a spreadsheet that wrote it reads them.
      const ps = classes.map((c) => probabilityText(probabilities[c] ?? 0, output.decimal));
      lines.push([...row.values, p.className, ...ps, p.id, p.modelVersion]);
    }
  });
  if (sink) await sink.write(await csvLines(lines, output.delimiter));
  output.done += rows.length;
}

/** A probability to 6 places, trailing zeros dropped (`0.25`, or `0,25` with decimal commas). */
function probabilityText(p: number, decimal: Decimal): string {
  const text = String(Number(p.toFixed(6)));
  return decimal === ',' ? text.replace('.', ',') : text;
}

export const predictCommand: Command = {
  name: 'predict',
  summary: 'predict every row of a CSV file; write the rows with their predictions as CSV',
  usage: 'predict <file.csv> [-o out.csv] [options]',
  details: [
    'Adds the columns prediction (the class as given, e.g. "pos"), p_<class> per class (probabilities),',
    'prediction_id (for feedback) and model_version to the input columns. Without -o the CSV goes to stdout.',
    'A label column, if present, is not sent; it is kept in the output and the accuracy against it is reported.',
  ].join('\n'),
  options: {
    output: {
      type: 'string',
      short: 'o',
      value: '<out.csv>',
      description: 'write the CSV here instead of stdout',
    },
    ...tableOptions,
  },
  arguments: ['<file.csv>'],
  usesApi: true,
  usesPipeline: true,
  hasJson: true,
  async run({ positionals, flags, client, pipeline, json, io, signal }) {
    const file = positionals[0]!;
    const outPath = stringFlag(flags, 'output');
    const { batchRows, ...read } = await readTableFlags(flags, file, io.stderr);
    const table = { ...read, ...(await resolveTyping({ client, pipeline }, file, read, undefined, false)) };
    const scan = await scanFile(file, table);
    if (scan.badRows.length > 0) reportBadRows(scan.badRows, file, (line) => io.stderr.write(`${line}\n`));
    refuseAddedColumns(scan, file);
    const absent = absentColumns(scan);
    if (absent.length > 0) io.stderr.write(`${absentWarning(file, absent)}\n`);

    // --json without -o: the predictions themselves as JSON; otherwise CSV to the file or stdout.
    const jsonRows = json && !outPath;
    const sink = outPath ? fileSink(outPath) : jsonRows ? null : streamSink(io.stdout);
    const output = newPredictionOutput(scan.layout.header, sink, jsonRows, table);
    const bar = new ProgressBar('predict', { total: scan.rows, stream: io.stderr });
    let interrupted: boolean;
    try {
      interrupted = await sendInBatches(file, table, batchRows, signal, async (rows) => {
        await addPredictions(output, rows, await requestPredictions({ client, pipeline }, rows, signal));
        bar.update(output.done);
      });
    } catch (error) {
      bar.finish();
      await sink?.abandon();
      throw error;
    }
    bar.finish();
    if (interrupted) await sink?.abandon();
    else await sink?.close();

    const summary = predictSummary(file, outPath, output, scan, interrupted);
    if (jsonRows) printJson(output.collected, io.stdout);
    else if (json) printJson(summary, io.stdout);
    else printPredictSummary(summary, scan, io);
    return interrupted ? 130 : 0;
  },
};

/** The run's outcome as `--json` (with -o) prints it. */
function predictSummary(
  file: string,
  outPath: string | undefined,
  output: PredictionOutput,
  scan: ScanResult,
  interrupted: boolean,
) {
  return {
    file,
    output: outPath ?? null,
    rows: output.done,
    modelVersions: [...output.versions].sort((a, b) => a - b),
    labelledRows: output.labelled,
    accuracy: output.labelled > 0 ? output.correct / output.labelled : null,
    badRows: scan.badRows.map((e) => ({ line: e.line, problem: e.message })),
    absentColumns: absentColumns(scan),
    complete: !interrupted,
  };
}

/** What `predict` says at the end without --json. */
function printPredictSummary(summary: ReturnType<typeof predictSummary>, scan: ScanResult, io: Io): void {
  const outPath = summary.output ?? undefined;
  const done = summary.rows;
  // With the CSV on stdout, the summary goes to stderr.
  const out = outPath ? io.stdout : io.stderr;
  out.write(
    !summary.complete
      ? `interrupted after ${done} rows${outPath ? `; nothing written to ${outPath}` : ''}\n`
      : `predicted ${done} rows with ${summary.modelVersions.map((v) => `v${v}`).join(', ') || 'no model'}${outPath ? ` → ${outPath}` : ''}` +
          `${summary.accuracy !== null ? `; accuracy against column ${JSON.stringify(scan.layout.labelColumn)}: ${summary.accuracy.toFixed(3)}` : ''}\n`,
  );
}
