/**
 * `feedback`: the true classes of earlier predictions, from a CSV file with a `prediction_id`
 * column and a class column; typically the file `predict -o` wrote, its class column filled in
 * as the outcomes became known. Rows whose class is still empty wait for a later run: sending
 * the same file again records only the new classes (the server leaves the same class alone).
 */
import { SubmitFeedbackDocument } from '@automl-stream/sdk/node.ts';
import { type Command, type CommandContext, type Io, stringFlag } from '../command.ts';
import { CsvError, readCsv } from '../csv.ts';
import { CliError } from '../errors.ts';
import { openFile, type TableOptions } from '../numeric-table.ts';
import { printJson } from '../output.ts';
import { ProgressBar } from '../progress.ts';
import { withRetry } from '../retry.ts';
import { readTableFlags } from './ingest.ts';
import { currentSchema } from './table-typing.ts';

const ID_COLUMN = 'prediction_id';

interface Feedback {
  ids: string[];
  classes: string[];
  /** Rows whose class is not known yet (missing). */
  waiting: number;
}

/** The class column: --label-column, else the pipeline's label column, else `label`, when the header has it. */
async function classColumn(
  context: Pick<CommandContext, 'client' | 'pipeline'>,
  header: string[],
  given: string | null | undefined,
  file: string,
): Promise<string> {
  const pipelineLabel = given ? null : (await currentSchema(context, false))?.label.name;
  const candidates = given ? [given] : [pipelineLabel, 'label'].filter((c): c is string => !!c);
  const found = candidates.find((c) => header.includes(c));
  if (found) return found;
  throw new CliError(
    `${file} has no class column ${candidates.map((c) => JSON.stringify(c)).join(' or ')} (columns: ${header.join(', ')}): name it with --label-column`,
  );
}

/** Reads the ids and classes of the file; a bad id stops it, naming the line. */
async function readFeedback(
  context: Pick<CommandContext, 'client' | 'pipeline'>,
  file: string,
  table: TableOptions,
): Promise<Feedback> {
  const feedback: Feedback = { ids: [], classes: [], waiting: 0 };
  let idAt = -1;
  let classAt = -1;
  for await (const item of readCsv(openFile(file), table)) {
    if (item.kind === 'header') {
      idAt = item.columns.indexOf(ID_COLUMN);
      if (idAt < 0)
        throw new CliError(
          `${file} has no ${ID_COLUMN} column (columns: ${item.columns.join(', ')}): feedback names the predictions by the ids predict wrote`,
        );
      classAt = item.columns.indexOf(await classColumn(context, item.columns, table.labelColumn, file));
    } else if (item.kind === 'bad') {
      throw new CliError(`${file}: ${item.error.message}`);
    } else {
      const { values, line } = item.record;
      const id = values[idAt]?.trim() ?? '';
      if (!/^[1-9]\d*$/.test(id))
        throw new CliError(
          `${file}: ${new CsvError(line, `${ID_COLUMN} ${JSON.stringify(id)} is not a prediction id`).message}`,
        );
      const value = (item.record.written ?? values)[classAt];
      if (value === null || value === undefined) feedback.waiting++;
      else {
        feedback.ids.push(id);
        feedback.classes.push(value.trim());
      }
    }
  }
  return feedback;
}

export const feedbackCommand: Command = {
  name: 'feedback',
  summary: 'send the true classes of earlier predictions (prediction_id and class columns of a CSV file)',
  usage: 'feedback <file.csv> [options]',
  details: [
    'The file predict -o wrote, with its class column filled in as outcomes became known (or any CSV',
    'with prediction_id and a class column). Rows without a class yet are left for a later run; sending',
    'the same file again records only the classes added since. The classes are written as in the table',
    '(pos, neg, 3). They feed the accuracy series, concept-drift detection and the next training window.',
    'Example: automl-stream predict new.csv -o scored.csv; (later, fill in column "class") automl-stream feedback scored.csv',
  ].join('\n'),
  options: {
    'label-column': {
      type: 'string',
      value: '<name>',
      description: 'column holding the true class (default: the pipeline\'s label column, else "label")',
    },
    'batch-size': { type: 'string', value: '<rows>', description: 'predictions per request (default 1000)' },
    delimiter: {
      type: 'string',
      value: '<char>',
      description: 'field separator (default: guessed, as ingest does)',
    },
    'na-values': {
      type: 'string',
      value: '<list>',
      description: 'comma-separated cells read as "no class yet" (default: empty, NA, N/A, ?, null, ...)',
    },
  },
  arguments: ['<file.csv>'],
  usesApi: true,
  usesPipeline: true,
  hasJson: true,
  async run({ positionals, flags, client, pipeline, json, io, signal }) {
    const file = positionals[0]!;
    const { batchRows, skipBadRows: _, ...table } = await readTableFlags(flags, file, io.stderr);
    const feedback = await readFeedback({ client, pipeline }, file, {
      ...table,
      labelColumn: stringFlag(flags, 'label-column'),
    });
    const bar = new ProgressBar('feedback', { total: feedback.ids.length, stream: io.stderr });
    const totals = { updated: 0, unchanged: 0, sent: 0 };
    try {
      for (let start = 0; start < feedback.ids.length && !signal.aborted; start += batchRows) {
        const input = {
          predictionIds: feedback.ids.slice(start, start + batchRows),
          labelNames: feedback.classes.slice(start, start + batchRows),
        };
        // The same classes sent twice change nothing: every failure worth a retry is retried.
        const { submitFeedback } = await withRetry(
          () => client().request(SubmitFeedbackDocument, { pipeline, input }),
          { signal },
        );
        totals.updated += submitFeedback.updated;
        totals.unchanged += submitFeedback.unchanged;
        totals.sent += input.predictionIds.length;
        bar.update(totals.sent);
      }
    } finally {
      bar.finish();
    }
    const summary = {
      file,
      ...totals,
      waiting: feedback.waiting,
      complete: totals.sent === feedback.ids.length,
    };
    if (json) printJson(summary, io.stdout);
    else printSummary(summary, pipeline, io);
    return summary.complete ? 0 : 130;
  },
};

function printSummary(
  s: { file: string; updated: number; unchanged: number; sent: number; waiting: number; complete: boolean },
  pipeline: string,
  io: Io,
): void {
  const parts = [`recorded ${s.updated} true classes from ${s.file} in pipeline "${pipeline}"`];
  if (s.unchanged > 0) parts.push(`${s.unchanged} had them already`);
  if (s.waiting > 0) parts.push(`${s.waiting} rows have no class yet`);
  io.stdout.write(`${s.complete ? '' : 'interrupted: '}${parts.join('; ')}\n`);
}
