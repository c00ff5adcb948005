import { type ModelStatus, ModelsDocument } from '@automl-stream/sdk/node.ts';
import { type Command, intFlag, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { fixed, formatTable, printJson, timestamp } from '../output.ts';

const STATUSES: ModelStatus[] = ['PRODUCTION', 'CANDIDATE', 'ARCHIVED', 'REJECTED'];

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the model registry, newest first',
  usage: 'models [--status <status>] [--limit <n>] [--json]',
  details:
    'Accuracy and F1 are measured on the hold-out slice (the newest labelled rows, unseen in training);\n"champion" is the serving model of the day scored on the same slice.',
  options: {
    status: {
      type: 'string',
      value: '<status>',
      description: 'only production, candidate, archived or rejected versions',
    },
    limit: { type: 'string', value: '<n>', description: 'how many versions (default 20)' },
  },
  usesApi: true,
  usesPipeline: true,
  hasJson: true,
  async run({ flags, client, pipeline, json, io }) {
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
      io.stdout.write(
        status
          ? `no ${status.toLowerCase()} versions\n`
          : 'no model yet: ingest MIN_TRAIN_ROWS labelled rows and version 1 trains by itself\n',
      );
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
          `${(m.trainingMs / 1000).toFixed(1)}s`,
          timestamp(m.createdAt),
          m.rejectedReason ?? m.reason,
        ]),
        ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left', 'left'],
      ),
    );
    if (models.total > models.items.length)
      io.stdout.write(`(${models.items.length} of ${models.total}; --limit for more)\n`);
    io.stdout.write('* serving now\n');
  },
};
