import {
  DriftEventDocument,
  type DriftEventFieldsFragment,
  DriftEventsDocument,
  LatestDriftCheckDocument,
} from '@automl-stream/sdk/node.ts';
import { type Command, type CommandContext, intFlag } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { fixed, formatTable, percent, printJson, pValue, timestamp } from '../output.ts';

/** What a check found: data, prediction and concept drift, as words. */
function driftKinds(check: { dataDrift: boolean; predictionDrift: boolean; conceptDrift: boolean }) {
  return [
    check.dataDrift && 'data drift',
    check.predictionDrift && 'prediction drift',
    check.conceptDrift && 'concept drift',
  ].filter((kind): kind is string => typeof kind === 'string');
}

/** The per-check summary lines and the per-feature table of a drift check. */
export function formatDriftCheck(check: DriftEventFieldsFragment): string {
  const flags = driftKinds(check);
  const lines = [
    `drift check #${check.id}  ${timestamp(check.createdAt)} UTC  (trigger: ${check.trigger.toLowerCase()})`,
    `  verdict   ${check.verdict.toLowerCase()}${flags.length > 0 ? ` (${flags.join(', ')})` : ''}`,
    `  action    ${check.action.toLowerCase()}${check.trainingJob ? ` (training job ${check.trainingJob.id}: ${check.trainingJob.status.toLowerCase()}${check.trainingJob.resultVersion ? ` → v${check.trainingJob.resultVersion}` : ''})` : ''}`,
    `  model     ${check.modelVersion === null ? '-' : `v${check.modelVersion}`}; reference ${check.nReference} rows vs current ${check.nCurrent} rows; ${percent(check.driftedShare)} of features drifted`,
  ];
  for (const [i, line] of check.explanation.entries())
    lines.push(`  ${i === 0 ? 'why' : '   '}       ${line}`);
  let text = `${lines.join('\n')}\n`;
  if (check.features.length > 0) {
    text += `\n${formatTable(
      ['feature', 'drifted', 'KS D', 'p (BH)', 'PSI', 'W1/sd', 'importance', 'reason'],
      check.features.map((f) => [
        f.feature,
        f.drifted ? 'yes' : 'no',
        fixed(f.ksStatistic),
        pValue(f.pValueAdjusted),
        fixed(f.psi),
        fixed(f.wassersteinNormalized),
        fixed(f.importance),
        f.reason,
      ]),
      ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
    )}`;
  }
  return text;
}

export const driftCommand: Command = {
  name: 'drift',
  summary: 'show the latest drift check (or one by id) with its per-feature table',
  usage: 'drift [--id <check> | --list [--limit <n>] [--drifted]] [--json]',
  details:
    "Per feature: the two-sample Kolmogorov-Smirnov statistic and its Benjamini-Hochberg adjusted p-value,\nthe population stability index and the Wasserstein distance in reference standard deviations,\nreference = the serving model's training sample, current = the newest WINDOW_SIZE rows.",
  options: {
    id: { type: 'string', value: '<check>', description: 'a drift check id instead of the latest' },
    list: { type: 'boolean', description: 'the newest checks as a table, one line each' },
    limit: { type: 'string', value: '<n>', description: 'with --list: how many checks (default 20)' },
    drifted: { type: 'boolean', description: 'with --list: only the checks that found drift' },
  },
  usesApi: true,
  usesPipeline: true,
  hasJson: true,
  async run(context) {
    const { flags, client, pipeline, json, io } = context;
    if (flags.list === true) return printCheckList(context);
    if (flags.limit !== undefined || flags.drifted !== undefined) {
      throw new UsageError('--limit and --drifted go with --list');
    }
    const id = intFlag(flags, 'id', { min: 1 });
    let check: DriftEventFieldsFragment | null;
    if (id !== undefined) {
      check = (await client().request(DriftEventDocument, { pipeline, id: String(id) })).driftEvent;
      if (!check && !json) throw new CliError(`there is no drift check ${id} in pipeline "${pipeline}"`);
    } else {
      check = (await client().request(LatestDriftCheckDocument, { pipeline })).driftEvents.items[0] ?? null;
    }
    if (json) {
      printJson(check, io.stdout);
      return;
    }
    if (!check) {
      io.stdout.write(
        'no drift check yet: the first one runs once a model serves and WINDOW_SIZE rows have arrived\n',
      );
      return;
    }
    io.stdout.write(formatDriftCheck(check));
  },
};

/** `drift --list`: the newest checks, one line each (`drift --id N` shows one in full). */
async function printCheckList({ flags, client, pipeline, json, io }: CommandContext): Promise<void> {
  if (flags.id !== undefined) throw new UsageError('--id shows one check; --list shows many: choose one');
  const limit = intFlag(flags, 'limit', { min: 1, max: 500 }) ?? 20;
  const { driftEvents } = await client().request(DriftEventsDocument, {
    pipeline,
    limit,
    driftedOnly: flags.drifted === true,
  });
  if (json) {
    printJson(driftEvents, io.stdout);
    return;
  }
  if (driftEvents.items.length === 0) {
    io.stdout.write(flags.drifted === true ? 'no check has found drift\n' : 'no drift check yet\n');
    return;
  }
  io.stdout.write(
    formatTable(
      ['check', 'time (UTC)', 'trigger', 'verdict', 'found', 'action', 'model'],
      driftEvents.items.map((c) => [
        `#${c.id}`,
        timestamp(c.createdAt),
        c.trigger.toLowerCase(),
        c.verdict.toLowerCase(),
        driftKinds(c).join(', ') || null,
        c.action.toLowerCase(),
        c.modelVersion === null ? null : `v${c.modelVersion}`,
      ]),
    ),
  );
  io.stdout.write(
    `${driftEvents.items.length} of ${driftEvents.total} checks, newest first; \`drift --id N\` shows one with its reasons\n`,
  );
}
