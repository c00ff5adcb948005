import {
  ActiveModelDocument,
  ConfigDocument,
  ModelDocument,
  type ModelSearchFieldsFragment,
  type ModelStatus,
  ModelsDocument,
  type NodeClient,
  TrainingJobsDocument,
} from '@automl-stream/sdk/node.ts';
import { type Command, type CommandContext, intFlag, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { fixed, formatTable, printJson, timestamp } from '../output.ts';

const STATUSES: ModelStatus[] = ['PRODUCTION', 'CANDIDATE', 'ARCHIVED', 'REJECTED'];

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the model registry, newest first; --candidates: the leaderboard of a version',
  usage: 'models [--status <status>] [--limit <n>] [--candidates [--version <n>]] [--json]',
  details:
    'Accuracy and F1 are measured on the gate\'s rows: the window\'s rows the serving model never trained\non, each predicted by the trees that left it out (out of bag), or the newest rows held out of\ntraining; "champion" is the serving model of the day scored on the same rows. "window" is the training\nwindow the search chose (all, since-change, newest-N), "fixed" for the fixed forest.\n\n--candidates prints the leaderboard of the search that chose a version (default: the serving\none): every candidate\'s window and parameters, validation score, fit time, the rung it reached,\nwhether successive halving cut it, and why the winner won.',
  options: {
    status: {
      type: 'string',
      value: '<status>',
      description: 'only production, candidate, archived or rejected versions',
    },
    limit: { type: 'string', value: '<n>', description: 'how many versions (default 20)' },
    candidates: { type: 'boolean', description: 'the leaderboard of the search that chose a version' },
    version: {
      type: 'string',
      value: '<n>',
      description: 'with --candidates: the version (3 or v3; default: the serving one)',
    },
  },
  usesApi: true,
  usesPipeline: true,
  hasJson: true,
  async run(context) {
    const { flags } = context;
    if (flags.candidates === true) return printCandidates(context);
    if (flags.version !== undefined) throw new UsageError('--version goes with --candidates');
    return printRegistry(context);
  },
};

async function printRegistry({ flags, client, pipeline, json, io }: CommandContext): Promise<void> {
  const rawStatus = stringFlag(flags, 'status');
  const status = rawStatus?.toUpperCase() as ModelStatus | undefined;
  if (status && !STATUSES.includes(status)) {
    throw new UsageError(
      `--status must be one of ${STATUSES.map((s) => s.toLowerCase()).join(', ')} (got ${JSON.stringify(rawStatus)})`,
    );
  }
  const limit = intFlag(flags, 'limit', { min: 1, max: 500 }) ?? 20;
  const { models } = await client().request(ModelsDocument, {
    pipeline,
    limit,
    ...(status ? { status } : {}),
  });
  if (json) {
    printJson(models, io.stdout);
    return;
  }
  if (models.items.length === 0) {
    io.stdout.write(status ? `no ${status.toLowerCase()} versions\n` : await noModelYet(client(), pipeline));
    return;
  }
  io.stdout.write(
    formatTable(
      [
        'version',
        'status',
        'accuracy',
        'f1',
        'champion',
        'train rows',
        'window',
        'trained in',
        'created (UTC)',
        'reason',
      ],
      models.items.map((m) => [
        `${m.serving ? '* ' : ''}v${m.version}`,
        m.status.toLowerCase(),
        fixed(m.metrics.accuracy),
        fixed(m.metrics.f1),
        fixed(m.championMetrics?.accuracy),
        m.trainRows,
        m.search?.window ?? 'fixed',
        `${(m.trainingMs / 1000).toFixed(m.trainingMs < 1000 ? 2 : 1)}s`,
        timestamp(m.createdAt),
        m.rejectedReason ?? m.reason,
      ]),
      ['left', 'left', 'right', 'right', 'right', 'right', 'left', 'right', 'left', 'left'],
    ),
  );
  if (models.total > models.items.length)
    io.stdout.write(`(${models.items.length} of ${models.total}; --limit for more)\n`);
  io.stdout.write('* serving now\n');
}

/** `--version` as a number (3 or v3); undefined when absent. */
function versionFlag(flags: CommandContext['flags']): number | undefined {
  const raw = flags.version;
  if (raw === undefined) return undefined;
  const version = typeof raw === 'string' ? Number(raw.replace(/^v/i, '')) : Number.NaN;
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isInteger(version) || version < 1) {
    throw new UsageError(`--version must be a model version such as 3 or v3 (got ${JSON.stringify(raw)})`);
  }
  return version;
}

/** The version asked for, or the serving one; null when there is none. */
async function readVersion(client: NodeClient, pipeline: string, version: number | undefined) {
  if (version !== undefined) return (await client.request(ModelDocument, { pipeline, version })).model;
  return (await client.request(ActiveModelDocument, { pipeline })).activeModel;
}

async function printCandidates({ flags, client, pipeline, json, io }: CommandContext): Promise<number> {
  const asked = versionFlag(flags);
  const model = await readVersion(client(), pipeline, asked);
  if (!model) {
    const what = asked === undefined ? 'no version is serving' : `no version ${asked}`;
    io.stderr.write(`error: ${what} in pipeline "${pipeline}"\n`);
    return 1;
  }
  if (json) {
    printJson({ version: model.version, search: model.search ?? null }, io.stdout);
    return 0;
  }
  const search = model.search;
  if (!search) {
    // Versions trained before `params.fixed` was recorded say only what is certain.
    const why = (model.params as { fixed?: string } | null)?.fixed ?? 'no search ran';
    io.stdout.write(`v${model.version} is the fixed forest (${why}): no search, no leaderboard\n`);
    return 0;
  }
  io.stdout.write(`${searchSummary(model.version, search)}\n`);
  io.stdout.write(leaderboard(search));
  io.stdout.write(`why: ${search.reason}\n`);
  return 0;
}

/** "v3: 24 candidates in 2.9s (budget 3s), 3 rungs of successive halving, scored by accuracy". */
function searchSummary(version: number, search: ModelSearchFieldsFragment): string {
  const budget = search.stoppedByBudget ? ', stopped by the budget' : '';
  return `v${version}: ${search.candidates.length} candidates in ${(search.elapsedMs / 1000).toFixed(1)}s (budget ${search.budgetSeconds}s${budget}), ${search.rungs} rungs of successive halving, scored by ${search.metric}; winner's window ${search.window}`;
}

/** The leaderboard, best first. */
function leaderboard(search: ModelSearchFieldsFragment): string {
  return formatTable(
    [
      'rank',
      'window',
      'rows',
      'depth',
      'min leaf',
      'max features',
      'class weight',
      'trees',
      'score',
      'fit ms',
      'rung',
      'cut',
      'winner',
    ],
    search.candidates.map((c) => [
      c.rank,
      c.window,
      c.windowRows,
      c.maxDepth ?? 'unlimited',
      c.minSamplesLeaf,
      c.maxFeatures,
      c.classWeight ?? 'none',
      c.nTrees,
      fixed(c.score, 4),
      c.fitMs,
      c.rung,
      c.cutByHalving ? 'yes' : 'no',
      c.winner ? 'yes' : '',
    ]),
    [
      'right',
      'left',
      'right',
      'right',
      'right',
      'left',
      'left',
      'right',
      'right',
      'right',
      'right',
      'left',
      'left',
    ],
  );
}

/** Why nothing serves yet: the first model training, failed, or waiting for rows (how many). */
async function noModelYet(client: NodeClient, pipeline: string | undefined): Promise<string> {
  const [{ config }, { trainingJobs }] = await Promise.all([
    client.request(ConfigDocument, { pipeline }),
    client.request(TrainingJobsDocument, { pipeline, limit: 1 }),
  ]);
  const job = trainingJobs.items[0];
  if (job?.status === 'QUEUED' || job?.status === 'RUNNING') {
    return `no model yet: version 1 is training (job ${job.id}, ${job.status.toLowerCase()}: ${job.reason})\n`;
  }
  const failed = job?.status === 'FAILED' && job.error ? `; the last training failed: ${job.error}` : '';
  return `no model yet: version 1 trains by itself once ${config.minTrainRows} labelled rows (MIN_TRAIN_ROWS) of two classes are stored${failed}; for a smaller table: pipelines configure ${pipeline ?? 'default'} --set MIN_TRAIN_ROWS=<n>\n`;
}
