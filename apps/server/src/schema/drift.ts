import {
  type DriftCheckRecord,
  type DriftFeatureResult,
  explainCheck,
  type StoredEvent,
} from '@automl-stream/core';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { DriftActionEnum, DriftCheckSkippedEnum, DriftTriggerEnum, DriftVerdictEnum } from './enums.ts';
import { loaders } from './loaders.ts';
import { page } from './pagination.ts';
import { pipelineArg, pipelineOf, scoped, writablePipelineOf } from './pipeline-arg.ts';
import { TrainingJobRef } from './training.ts';

export const FeatureDriftRef = builder.objectRef<DriftFeatureResult>('FeatureDrift').implement({
  description: 'One feature of a drift check: reference (the model’s training sample) vs the current window.',
  fields: (t) => ({
    feature: t.exposeString('feature'),
    index: t.exposeInt('index'),
    ksStatistic: t.exposeFloat('ksStatistic', { description: 'Two-sample Kolmogorov-Smirnov D.' }),
    ksPValue: t.exposeFloat('ksPValue'),
    pValueAdjusted: t.exposeFloat('pValueAdjusted', {
      description: 'Benjamini-Hochberg adjusted across features.',
    }),
    psi: t.exposeFloat('psi', { description: 'Population stability index, 10 reference-quantile bins.' }),
    wasserstein: t.exposeFloat('wasserstein'),
    wassersteinNormalized: t.exposeFloat('wassersteinNormalized', {
      description: 'Wasserstein-1 / reference standard deviation.',
    }),
    drifted: t.exposeBoolean('drifted'),
    reason: t.exposeString('reason'),
    importance: t.exposeFloat('importance', {
      nullable: true,
      description: 'The serving model’s impurity importance.',
    }),
  }),
});

interface Histogram {
  feature: number;
  edges: number[];
  reference: number[];
  current: number[];
  categories?: string[];
}

export const FeatureHistogramRef = builder.objectRef<Histogram>('FeatureHistogram').implement({
  description: 'Shared bins of one feature, with reference and current counts.',
  fields: (t) => ({
    feature: t.exposeInt('feature'),
    edges: t.floatList({ resolve: (h) => h.edges }),
    reference: t.intList({ resolve: (h) => h.reference }),
    current: t.intList({ resolve: (h) => h.current }),
    categories: t.stringList({
      nullable: true,
      description:
        'Categorical and boolean columns: the name of each bar (edges sit at code ± 0.5); null for numeric bins.',
      resolve: (h) => h.categories ?? null,
    }),
  }),
});

interface DataQuality {
  cells: number;
  missing: number;
  missingRate: number;
  unseenCategories: number;
  outOfRange: number;
}

const DataQualityRef = builder.objectRef<DataQuality>('DataQuality').implement({
  description: "A drift check's window against the model's reference sample.",
  fields: (t) => ({
    cells: t.exposeInt('cells'),
    missing: t.exposeInt('missing', { description: 'Missing cells (null, NA, ...).' }),
    missingRate: t.exposeFloat('missingRate'),
    unseenCategories: t.exposeInt('unseenCategories', {
      description: 'Cells whose category the schema did not know.',
    }),
    outOfRange: t.exposeInt('outOfRange', {
      description: 'Numeric cells outside the training sample’s range.',
    }),
  }),
});

export const DriftEventRef = builder.objectRef<DriftCheckRecord>('DriftEvent').implement({
  description: 'A drift check (every check is recorded; `drifted` marks a drift).',
  fields: (t) => ({
    id: t.id({ resolve: (c) => c.id }),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    modelVersion: t.exposeInt('modelVersion', { nullable: true }),
    trigger: t.field({ type: DriftTriggerEnum, resolve: (c) => c.trigger as 'schedule' }),
    verdict: t.field({ type: DriftVerdictEnum, resolve: (c) => c.verdict as 'drift' }),
    drifted: t.exposeBoolean('drifted'),
    dataDrift: t.exposeBoolean('dataDrift'),
    predictionDrift: t.exposeBoolean('predictionDrift'),
    conceptDrift: t.exposeBoolean('conceptDrift'),
    driftedShare: t.exposeFloat('driftedShare', { description: 'Share of features that drifted.' }),
    nReference: t.exposeInt('nReference'),
    nCurrent: t.exposeInt('nCurrent'),
    action: t.field({ type: DriftActionEnum, resolve: (c) => c.action as 'none' }),
    explanation: t.stringList({
      description:
        'Why the check decided what it did: one line per kind of evidence (labels: the lineage error stream and its located rise; features: the chunk test, its threshold and effect size; predictions) and one for the action (why it did or did not retrain, and the training it costs).',
      resolve: (c) => explainCheck(c),
    }),
    durationMs: t.exposeFloat('durationMs', { nullable: true }),
    features: t.field({
      type: [FeatureDriftRef],
      description: 'Drifted features first, then by the model’s feature importance.',
      resolve: (c) =>
        [...c.features].sort(
          (a, b) =>
            Number(b.drifted) - Number(a.drifted) ||
            (b.importance ?? 0) - (a.importance ?? 0) ||
            a.index - b.index,
        ),
    }),
    predictionDriftDetails: t.field({
      type: 'JSON',
      resolve: (c) => c.details.prediction ?? null,
      nullable: true,
    }),
    conceptDriftDetails: t.field({ type: 'JSON', resolve: (c) => c.details.concept ?? null, nullable: true }),
    dataQuality: t.field({
      type: DataQualityRef,
      nullable: true,
      description:
        'Missing cells, unseen categories and values outside the training range in the window (null for checks before this was measured).',
      resolve: (c) => (c.details.quality as DataQuality | undefined) ?? null,
    }),
    histogram: t.field({
      type: FeatureHistogramRef,
      nullable: true,
      args: { feature: t.arg.int() },
      description: 'Reference vs current histogram of one feature, as seen by this check.',
      resolve: (c, args) => {
        const all = (c.details.histograms ?? []) as Histogram[];
        return all.find((h) => h.feature === args.feature) ?? null;
      },
    }),
    trainingJob: t.field({
      type: TrainingJobRef,
      nullable: true,
      resolve: async (c, _a, ctx) =>
        c.trainingJobId
          ? ((await loaders(ctx, c.pipelineId).trainingJob.load(c.trainingJobId)) ?? null)
          : null,
    }),
  }),
});

export const DriftEventPage = builder
  .objectRef<{ items: DriftCheckRecord[]; total: number; limit: number; offset: number }>('DriftEventPage')
  .implement({
    fields: (t) => ({
      items: t.field({ type: [DriftEventRef], resolve: (p) => p.items }),
      total: t.exposeInt('total'),
      limit: t.exposeInt('limit'),
      offset: t.exposeInt('offset'),
    }),
  });

builder.queryFields((t) => ({
  driftEvents: t.field({
    authScopes: scoped('reader'),
    type: DriftEventPage,
    description: 'Drift checks, newest first; `driftedOnly` keeps the drifts.',
    args: {
      limit: t.arg.int({ required: false }),
      offset: t.arg.int({ required: false }),
      driftedOnly: t.arg.boolean({ required: false }),
      pipeline: pipelineArg(t),
    },
    resolve: async (_r, args, ctx) => {
      const { limit, offset } = page(args);
      const driftedOnly = args.driftedOnly ?? false;
      return (await pipelineOf(ctx, args)).driftChecks.page({ limit, offset, driftedOnly });
    },
  }),
  driftEvent: t.field({
    authScopes: scoped('reader'),
    type: DriftEventRef,
    nullable: true,
    description: 'A drift check of the pipeline (null for an id of another pipeline).',
    args: { id: t.arg.id(), pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => {
      return (await pipelineOf(ctx, args)).driftChecks.get(Number(args.id));
    },
  }),
}));

const CheckDriftResult = builder
  .objectRef<{ event: DriftCheckRecord | null; skipped: string | null }>('CheckDriftResult')
  .implement({
    fields: (t) => ({
      event: t.field({ type: DriftEventRef, nullable: true, resolve: (r) => r.event }),
      skipped: t.field({
        type: DriftCheckSkippedEnum,
        nullable: true,
        description: 'Why there is no check (null when there is one).',
        resolve: (r) => r.skipped as 'no_model' | null,
      }),
    }),
  });

builder.mutationField('checkDrift', (t) =>
  t.field({
    authScopes: scoped('writer'),
    type: CheckDriftResult,
    description:
      'Ask for a drift check and return it once it ran (writer). The check runs on a worker through the drift-check queue, which merges concurrent requests; manual checks start at most once per DRIFT_CHECK_MIN_INTERVAL_SECONDS, and the answer is a check that saw everything written before the request. After DRIFT_CHECK_WAIT_SECONDS without one, `skipped` is `pending` and the check arrives later on driftChecked.',
    args: { pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => {
      const pipeline = await writablePipelineOf(ctx, args, { create: false });
      const outcome = await pipeline.manualChecks.request();
      return { event: outcome.check, skipped: outcome.skipped };
    },
  }),
);

const readCheck = async (event: StoredEvent, ctx: GraphQLContext) =>
  (await (await ctx.platform.pipelines.runtimeById(event.pipelineId))!.driftChecks.ofEvent(event))!;

builder.subscriptionFields((t) => ({
  driftChecked: t.field({
    authScopes: scoped('reader'),
    type: DriftEventRef,
    description: 'Every drift check of the pipeline as it is recorded.',
    args: { pipeline: pipelineArg(t) },
    subscribe: async (_r, args, ctx) => {
      return ctx.platform.bus.iterate(['drift.checked'], (await pipelineOf(ctx, args)).ref.id);
    },
    resolve: (event, _a, ctx) => readCheck(event as unknown as StoredEvent, ctx),
  }),
  driftDetected: t.field({
    authScopes: scoped('reader'),
    type: DriftEventRef,
    description: 'Drift checks of the pipeline that found drift.',
    args: { pipeline: pipelineArg(t) },
    subscribe: async (_r, args, ctx) => {
      return ctx.platform.bus.iterate(['drift.detected'], (await pipelineOf(ctx, args)).ref.id);
    },
    resolve: (event, _a, ctx) => readCheck(event as unknown as StoredEvent, ctx),
  }),
}));
