import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { PredictDocument, type PredictMutation } from '@automl-stream/sdk/node.ts';
import { type Command, stringFlag } from '../command.ts';
import { csvLines } from '../csv.ts';
import { CliError } from '../errors.ts';
import { type DataRow, openFile, readTable } from '../numeric-table.ts';
import { printJson } from '../output.ts';
import { ProgressBar } from '../progress.ts';
import { withRetry } from '../retry.ts';
import { readTableFlags, reportBadRows, scanFile, tableOptions } from './ingest.ts';

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

export const predictCommand: Command = {
  name: 'predict',
  summary: 'predict every row of a CSV file; write the rows with their predictions as CSV',
  usage: 'predict <file.csv> [-o out.csv] [options]',
  details: [
    'Adds the columns prediction, p_0 .. p_<K-1> (class probabilities), prediction_id (for feedback) and',
    'model_version to the input columns. Without -o the CSV goes to stdout. A label column, if present, is',
    'not sent; it is kept in the output and the accuracy against it is reported.',
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
  hasJson: true,
  async run({ positionals, flags, client, json, io, signal }) {
    const file = positionals[0]!;
    const outPath = stringFlag(flags, 'output');
    const { batchRows, ...table } = readTableFlags(flags);
    const scan = await scanFile(file, table);
    if (scan.badRows.length > 0) reportBadRows(scan.badRows, file, (line) => io.stderr.write(`${line}\n`));
    const added = ['prediction', 'prediction_id', 'model_version'];
    const clash = scan.layout.header.find((name) => added.includes(name) || /^p_\d+$/.test(name));
    if (clash)
      throw new CliError(`${file} already has a column named ${JSON.stringify(clash)}: rename it first`);

    // --json without -o: the predictions themselves as JSON; otherwise CSV to the file or stdout.
    const jsonRows = json && !outPath;
    const sink = outPath ? fileSink(outPath) : jsonRows ? null : streamSink(io.stdout);
    const collected: unknown[] = [];
    const delimiter = table.delimiter;
    const bar = new ProgressBar('predict', { total: scan.rows, stream: io.stderr });
    let headerWritten = false;
    let done = 0;
    let labelled = 0;
    let correct = 0;
    const versions = new Set<number>();

    let batch: DataRow[] = [];
    const flush = async () => {
      const rows = batch;
      batch = [];
      const result: PredictMutation['predict'] = (
        await withRetry(
          () => client().request(PredictDocument, { input: { features: rows.map((r) => r.features) } }),
          {
            signal,
            retryOn: RETRY_ON,
          },
        )
      ).predict;
      const lines: (string | number | null)[][] = [];
      if (!headerWritten && sink) {
        const k = result.predictions[0]?.probabilities.length ?? 0;
        lines.push([
          ...scan.layout.header,
          'prediction',
          ...Array.from({ length: k }, (_, i) => `p_${i}`),
          'prediction_id',
          'model_version',
        ]);
        headerWritten = true;
      }
      rows.forEach((row, i) => {
        const p = result.predictions[i]!;
        versions.add(p.modelVersion);
        if (row.label !== null) {
          labelled++;
          if (row.label === p.label) correct++;
        }
        if (jsonRows) {
          collected.push({
            line: row.line,
            prediction: p.label,
            probabilities: p.probabilities,
            predictionId: p.id,
            modelVersion: p.modelVersion,
            ...(row.label !== null ? { label: row.label } : {}),
          });
        } else {
          lines.push([
            ...row.values,
            p.label,
            ...p.probabilities.map((x) => Number(x.toFixed(6))),
            p.id,
            p.modelVersion,
          ]);
        }
      });
      if (sink) await sink.write(await csvLines(lines, delimiter));
      done += rows.length;
      bar.update(done);
    };

    let interrupted = false;
    try {
      for await (const item of readTable(openFile(file), table)) {
        if (item.kind === 'bad') continue;
        batch.push(item.row);
        if (batch.length === batchRows) {
          await flush();
          if (signal.aborted) {
            interrupted = true;
            break;
          }
        }
      }
      if (!interrupted && batch.length > 0) await flush();
    } catch (error) {
      bar.finish();
      await sink?.abandon();
      throw error;
    }
    bar.finish();
    if (interrupted) await sink?.abandon();
    else await sink?.close();

    const summary = {
      file,
      output: outPath ?? null,
      rows: done,
      modelVersions: [...versions].sort((a, b) => a - b),
      labelledRows: labelled,
      accuracy: labelled > 0 ? correct / labelled : null,
      badRows: scan.badRows.map((e) => ({ line: e.line, problem: e.message })),
      complete: !interrupted,
    };
    if (jsonRows) printJson(collected, io.stdout);
    else if (json) printJson(summary, io.stdout);
    else {
      // With the CSV on stdout, the summary goes to stderr.
      const out = outPath ? io.stdout : io.stderr;
      out.write(
        interrupted
          ? `interrupted after ${done} rows${outPath ? `; nothing written to ${outPath}` : ''}\n`
          : `predicted ${done} rows with ${summary.modelVersions.map((v) => `v${v}`).join(', ') || 'no model'}${outPath ? ` → ${outPath}` : ''}` +
              `${summary.accuracy !== null ? `; accuracy against column ${JSON.stringify(scan.layout.labelColumn)}: ${summary.accuracy.toFixed(3)}` : ''}\n`,
      );
    }
    return interrupted ? 130 : 0;
  },
};
