import { type AccuracyPoint, classNames, DomainError, type PlatformStats } from '@automl-stream/core';
import { builder } from '../builder.ts';
import { pipelineArg, pipelineOf, scoped } from './pipeline-arg.ts';

/** Totals pass 2^31 on a busy platform, beyond GraphQL's Int: they are Floats (exact to 2^53). */
const count = { description: 'A count (a Float: exact to 2^53, beyond GraphQL Int’s 2^31).' };

const StatsRef = builder.objectRef<PlatformStats>('Stats').implement({
  description: 'Platform totals (exact counts from the tables).',
  fields: (t) => ({
    predictionsTotal: t.exposeFloat('predictionsTotal', count),
    rowsIngested: t.exposeFloat('rowsIngested', count),
    labelledRows: t.exposeFloat('labelledRows', count),
    batchesIngested: t.exposeFloat('batchesIngested', count),
    feedbackReceived: t.exposeFloat('feedbackReceived', count),
    driftChecks: t.exposeFloat('driftChecks', count),
    driftEvents: t.exposeFloat('driftEvents', count),
    retrains: t.exposeFloat('retrains', count),
    modelVersions: t.exposeFloat('modelVersions', count),
    activeModelVersion: t.exposeInt('activeModelVersion', { nullable: true }),
    currentAccuracy: t.exposeFloat('currentAccuracy', {
      nullable: true,
      description: 'Test-then-train accuracy of the serving version on its newest WINDOW_SIZE labelled rows.',
    }),
    currentAccuracyRows: t.exposeInt('currentAccuracyRows', {
      description: 'Labelled rows behind currentAccuracy (at most WINDOW_SIZE).',
    }),
    lastDriftCheckAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.lastDriftCheckAt }),
    lastEventId: t.float({ resolve: (s) => s.lastEventId }),
  }),
});

const AccuracyPointRef = builder.objectRef<AccuracyPoint>('AccuracyPoint').implement({
  description: 'Accuracy of one bucket of labelled rows, scored before training on them.',
  fields: (t) => ({
    position: t.float({
      resolve: (p) => p.position,
      description: 'Labelled rows seen up to the end of this bucket.',
    }),
    accuracy: t.exposeFloat('accuracy'),
    count: t.exposeInt('count'),
    modelVersion: t.exposeInt('modelVersion'),
    at: t.field({ type: 'DateTime', resolve: (p) => p.at }),
  }),
});

const ClassCountRef = builder
  .objectRef<{ label: number; count: number; className: string }>('ClassCount')
  .implement({
    fields: (t) => ({
      label: t.exposeInt('label'),
      className: t.exposeString('className', {
        description: 'The class as it was given (e.g. "pos"), or its number as text.',
      }),
      count: t.exposeInt('count'),
    }),
  });

const bounded = (
  value: number | null | undefined,
  fallback: number,
  min: number,
  max: number,
  name: string,
) => {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new DomainError('BAD_USER_INPUT', `${name} must be between ${min} and ${max} (got ${v})`);
  }
  return v;
};

builder.queryFields((t) => ({
  stats: t.field({
    authScopes: scoped('reader'),
    type: StatsRef,
    args: { pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => {
      return (await pipelineOf(ctx, args)).stats.read();
    },
  }),
  accuracySeries: t.field({
    authScopes: scoped('reader'),
    type: [AccuracyPointRef],
    description:
      'Accuracy over time in buckets of outcomes, in the order they were served: labelled rows scored before they were learned (test-then-train) and predictions whose true class came back (feedback); a bucket never spans two model versions.',
    args: {
      bucketSize: t.arg.int({ required: false }),
      limit: t.arg.int({ required: false }),
      pipeline: pipelineArg(t),
    },
    resolve: async (_r, args, ctx) => {
      return (await pipelineOf(ctx, args)).stats.accuracySeries(
        bounded(args.bucketSize, 100, 1, 100_000, 'bucketSize'),
        bounded(args.limit, 200, 1, 2000, 'limit'),
      );
    },
  }),
  predictionDistribution: t.field({
    authScopes: scoped('reader'),
    type: [ClassCountRef],
    description: 'Predicted classes over the newest `window` predictions and scored rows.',
    args: { window: t.arg.int({ required: false }), pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => {
      const { stats, config, schemas } = await pipelineOf(ctx, args);
      const counts = await stats.predictionDistribution(
        bounded(args.window, config.drift.windowSize, 1, 1_000_000, 'window'),
      );
      const schema = await schemas.current();
      return counts.map((c) => ({
        ...c,
        className: schema ? classNames(schema, c.label + 1)[c.label]! : String(c.label),
      }));
    },
  }),
}));

builder.subscriptionField('statsUpdated', (t) =>
  t.field({
    authScopes: scoped('reader'),
    type: StatsRef,
    description:
      'The pipeline’s aggregated totals, at most once per STATS_INTERVAL_MS and only when they changed.',
    args: { pipeline: pipelineArg(t) },
    subscribe: async (_r, args, ctx) => {
      return (await pipelineOf(ctx, args)).stats.iterate();
    },
    resolve: (s) => s as unknown as PlatformStats,
  }),
);
