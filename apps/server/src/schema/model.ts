import type {
  ForwardRecord,
  LeftOut,
  ModelMetrics,
  ModelStatus,
  ModelVersionRecord,
  StoredCandidate,
  StoredSearch,
} from '@automl-stream/core';
import { builder } from '../builder.ts';
import { ModelChangeActionEnum } from './enums.ts';
import { loaders } from './loaders.ts';
import { page } from './pagination.ts';
import { pipelineArg, pipelineOf, scoped } from './pipeline-arg.ts';

export const ModelStatusEnum = builder.enumType('ModelStatus', {
  values: {
    CANDIDATE: { value: 'candidate', description: 'Trained, not yet decided.' },
    PRODUCTION: { value: 'production', description: 'Serving predictions now.' },
    ARCHIVED: { value: 'archived', description: 'Served before; replaced by a newer version.' },
    REJECTED: { value: 'rejected', description: 'Lost to the champion on the hold-out.' },
  } as const,
});

export const ModelMetricsRef = builder.objectRef<ModelMetrics>('ModelMetrics').implement({
  description:
    "Scores on the gate's rows: the window's rows the champion never trained on, predicted out of bag (PROMOTION_GATE=out-of-bag, the default: by the trees that left each row out), or the newest rows held out of training (params.holdout says which).",
  fields: (t) => ({
    accuracy: t.float({ resolve: (m) => m.accuracy }),
    f1: t.float({ description: 'Macro-averaged F1.', resolve: (m) => m.f1 }),
    logLoss: t.float({ resolve: (m) => m.logLoss }),
    holdoutRows: t.int({ resolve: (m) => m.holdoutRows }),
  }),
});

const SearchCandidateRef = builder.objectRef<StoredCandidate>('SearchCandidate').implement({
  description: 'One candidate of the search that chose a version: its window, parameters and score.',
  fields: (t) => ({
    rank: t.exposeInt('rank', { description: '1 = the winner; by rung reached, then score.' }),
    window: t.exposeString('window', { description: 'all, since-change, newest-N.' }),
    windowRows: t.exposeInt('windowRows'),
    maxDepth: t.exposeInt('maxDepth', { nullable: true, description: 'null: unlimited.' }),
    minSamplesLeaf: t.exposeInt('minSamplesLeaf'),
    maxFeatures: t.string({ resolve: (c) => String(c.maxFeatures) }),
    classWeight: t.exposeString('classWeight', { nullable: true }),
    nTrees: t.exposeInt('nTrees'),
    score: t.exposeFloat('score', {
      nullable: true,
      description: 'Validation score at the last rung it reached.',
    }),
    fitMs: t.exposeInt('fitMs'),
    rung: t.exposeInt('rung'),
    cutByHalving: t.exposeBoolean('cutByHalving'),
    winner: t.exposeBoolean('winner'),
  }),
});

const ModelSearchRef = builder.objectRef<StoredSearch>('ModelSearch').implement({
  description:
    'The search over training windows × forest hyperparameters (successive halving under AUTOML_BUDGET_SECONDS) that chose this version.',
  fields: (t) => ({
    metric: t.exposeString('metric', {
      description: 'accuracy, or balancedAccuracy for imbalanced classes.',
    }),
    reason: t.exposeString('reason', { description: 'Why the winner won.' }),
    window: t.exposeString('window', { description: 'The winner’s training window.' }),
    budgetSeconds: t.exposeFloat('budgetSeconds'),
    elapsedMs: t.exposeInt('elapsedMs'),
    stoppedByBudget: t.exposeBoolean('stoppedByBudget'),
    rungs: t.exposeInt('rungs'),
    refitRows: t.int({
      nullable: true,
      description:
        'The rows the winner was refit on: its window and the validation rows (null for versions stored before it was recorded).',
      resolve: (s) => s.refitRows ?? null,
    }),
    candidates: t.field({ type: [SearchCandidateRef], resolve: (s) => s.candidates }),
  }),
});

const FeaturesLeftOutRef = builder.objectRef<LeftOut>('FeaturesLeftOut').implement({
  description:
    'Features a drift retrain trained without: they moved across the located change, and a model of the rows before it predicted the window clearly better without them (docs/policy.md, "A feature that stops meaning what it meant").',
  fields: (t) => ({
    columns: t.intList({
      description: 'Column indices (schema order), in the order they were left out.',
      resolve: (l) => l.features,
    }),
    names: t.stringList({
      description:
        "Their names in the pipeline's schema when the version was trained (column indices of versions trained before names were recorded).",
      resolve: (l) => l.features.map((j, k) => l.names?.[k] ?? `feature ${j}`),
    }),
    transferAccuracyWith: t.float({
      nullable: true,
      description:
        'A model of the rows before the change, with every feature, scored on the window (null when inherited).',
      resolve: (l) => (l.inherited ? null : l.baseline),
    }),
    transferAccuracyWithout: t.float({
      nullable: true,
      description: 'The same without the left-out columns (null when inherited).',
      resolve: (l) => (l.inherited ? null : l.accuracy),
    }),
    pastRows: t.int({
      description: 'Rows before the change that model learned.',
      resolve: (l) => l.pastRows,
    }),
    inherited: t.boolean({
      description:
        "Copied from the serving version (the regime's growth, or a covariate shift's window), not measured again.",
      resolve: (l) => l.inherited === true,
    }),
  }),
});

const ForwardCheckRef = builder.objectRef<ForwardRecord>('ForwardCheck').implement({
  description:
    "The forward check of what a version promises its level test: a smaller forest of the window's older rows predicted its newest rows, beside the version's out-of-bag predictions of them. When it erred clearly more (McNemar z ≥ 3), or when the labels of those rows change far less often than independent rows' would (they are near copies of each other), the rows are serially dependent and the version promises the forward error, counted as the independent rows they are worth (docs/policy.md, \"A promise that holds on serially dependent rows\").",
  fields: (t) => ({
    rows: t.int({ description: 'The newest rows it predicted.', resolve: (f) => f.n }),
    trainRows: t.int({ description: 'The older rows its forest learned.', resolve: (f) => f.trainRows }),
    forwardErrors: t.int({ description: 'Its errors on those rows.', resolve: (f) => f.forwardErrors }),
    outOfBagErrors: t.int({
      description: "The version's out-of-bag errors on the same rows.",
      resolve: (f) => f.outOfBagErrors,
    }),
    z: t.float({
      description: "McNemar's z of forward against out of bag (positive: forward erred more).",
      resolve: (f) => f.z,
    }),
    used: t.boolean({
      description: 'The version promises the forward error (else its gate error, as usual).',
      resolve: (f) => f.used,
    }),
    labelChanges: t.int({
      nullable: true,
      description:
        'How often the label changed from one of those rows to the next (null: a version checked before this was recorded).',
      resolve: (f) => (f.runs ? f.runs.observed - 1 : null),
    }),
    labelChangesExpected: t.float({
      nullable: true,
      description: "How often it would change between independent rows at the window's class shares.",
      resolve: (f) => (f.runs ? f.runs.expected - 1 : null),
    }),
    worth: t.int({
      nullable: true,
      description:
        'The independent rows the promise counts them as, when their labels come in runs (at least 50); null: all of them.',
      resolve: (f) => f.worth ?? null,
    }),
  }),
});

export const ModelVersionRef = builder.objectRef<ModelVersionRecord>('ModelVersion').implement({
  description: 'A trained random forest in the registry.',
  fields: (t) => ({
    version: t.exposeInt('version'),
    status: t.field({ type: ModelStatusEnum, resolve: (m) => m.status as ModelStatus }),
    serving: t.boolean({ resolve: (m) => m.status === 'production' }),
    params: t.field({ type: 'JSON', resolve: (m) => m.params }),
    search: t.field({
      type: ModelSearchRef,
      nullable: true,
      description: 'The leaderboard of the search that chose it (null: the fixed forest).',
      resolve: (m) => (m.params.search as StoredSearch | undefined) ?? null,
    }),
    featuresLeftOut: t.field({
      type: FeaturesLeftOutRef,
      nullable: true,
      description: 'Features it was trained without (null: it used every feature).',
      resolve: (m) => (m.params.leftOut as LeftOut | undefined) ?? null,
    }),
    forwardCheck: t.field({
      type: ForwardCheckRef,
      nullable: true,
      description:
        'The forward check of its promise (null: not run: a window under 250 rows, FORWARD_PROMISE=false, or a version trained before it existed).',
      resolve: (m) => (m.params.forward as ForwardRecord | undefined) ?? null,
    }),
    metrics: t.field({ type: ModelMetricsRef, resolve: (m) => m.metrics }),
    championMetrics: t.field({
      type: ModelMetricsRef,
      nullable: true,
      description: 'The champion of the day, scored on the same hold-out.',
      resolve: (m) => m.championMetrics,
    }),
    featureImportances: t.floatList({ resolve: (m) => m.featureImportances }),
    nFeatures: t.exposeInt('nFeatures'),
    nClasses: t.exposeInt('nClasses'),
    trainRows: t.exposeInt('trainRows', {
      description:
        'The rows the forest learned (a search: its winning window and validation rows; the rows read are params.read).',
    }),
    holdoutRows: t.exposeInt('holdoutRows', {
      description:
        'The gate\'s rows, on which it was compared with the champion: out of bag, the window\'s rows the champion never trained on (learned too, each predicted by the trees that left it out; params.holdout = "out-of-bag"), else the newest rows held out of training.',
    }),
    rowWindowStart: t.float({
      nullable: true,
      description: 'First ingested row id in the training window.',
      resolve: (m) => m.rowWindowStart,
    }),
    rowWindowEnd: t.float({
      nullable: true,
      description: 'Last ingested row id in the training window.',
      resolve: (m) => m.rowWindowEnd,
    }),
    trainingMs: t.exposeFloat('trainingMs'),
    trainingJobId: t.id({ nullable: true, resolve: (m) => m.trainingJobId }),
    reason: t.exposeString('reason', { nullable: true }),
    rejectedReason: t.exposeString('rejectedReason', { nullable: true }),
    referenceRows: t.exposeInt('referenceRows', { description: 'Rows in the drift reference sample.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (m) => m.createdAt }),
    promotedAt: t.field({ type: 'DateTime', nullable: true, resolve: (m) => m.promotedAt }),
    retiredAt: t.field({ type: 'DateTime', nullable: true, resolve: (m) => m.retiredAt }),
  }),
});

export const ModelVersionPage = builder
  .objectRef<{ items: ModelVersionRecord[]; total: number; limit: number; offset: number }>(
    'ModelVersionPage',
  )
  .implement({
    fields: (t) => ({
      items: t.field({ type: [ModelVersionRef], resolve: (p) => p.items }),
      total: t.exposeInt('total'),
      limit: t.exposeInt('limit'),
      offset: t.exposeInt('offset'),
    }),
  });

interface HistoryEntry {
  id: number;
  version: number;
  previousVersion: number | null;
  action: string;
  reason: string | null;
  createdAt: Date;
}

export const ModelHistoryEntryRef = builder.objectRef<HistoryEntry>('ModelHistoryEntry').implement({
  description: 'Which version served from when: promotions and rollbacks.',
  fields: (t) => ({
    id: t.exposeID('id'),
    version: t.exposeInt('version'),
    previousVersion: t.exposeInt('previousVersion', { nullable: true }),
    action: t.field({ type: ModelChangeActionEnum, resolve: (h) => h.action as 'promoted' }),
    reason: t.exposeString('reason', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (h) => h.createdAt }),
  }),
});

export interface ModelChange {
  pipelineId: number;
  action: 'promoted' | 'rolled_back';
  version: number;
  previousVersion: number | null;
  reason: string | null;
  eventId: number;
  at: Date;
}

export const ModelChangeRef = builder.objectRef<ModelChange>('ModelChange').implement({
  description: 'The serving version changed (promotion or rollback).',
  fields: (t) => ({
    eventId: t.float({ resolve: (c) => c.eventId }),
    action: t.field({ type: ModelChangeActionEnum, resolve: (h) => h.action as 'promoted' }),
    version: t.exposeInt('version'),
    previousVersion: t.exposeInt('previousVersion', { nullable: true }),
    reason: t.exposeString('reason', { nullable: true }),
    at: t.field({ type: 'DateTime', resolve: (c) => c.at }),
    model: t.field({
      type: ModelVersionRef,
      nullable: true,
      resolve: async (c, _a, ctx) => (await loaders(ctx, c.pipelineId).modelVersion.load(c.version)) ?? null,
    }),
  }),
});

builder.queryFields((t) => ({
  activeModel: t.field({
    authScopes: scoped('reader'),
    type: ModelVersionRef,
    nullable: true,
    description: 'The version serving predictions now (null before the first model).',
    args: { pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => {
      return (await pipelineOf(ctx, args)).registry.production();
    },
  }),
  models: t.field({
    authScopes: scoped('reader'),
    type: ModelVersionPage,
    description: 'The registry, newest first.',
    args: {
      limit: t.arg.int({ required: false }),
      offset: t.arg.int({ required: false }),
      status: t.arg({ type: ModelStatusEnum, required: false }),
      pipeline: pipelineArg(t),
    },
    resolve: async (_r, args, ctx) => {
      const { limit, offset } = page(args);
      const { registry } = await pipelineOf(ctx, args);
      return registry.page({ limit, offset, ...(args.status ? { status: args.status } : {}) });
    },
  }),
  model: t.field({
    authScopes: scoped('reader'),
    type: ModelVersionRef,
    nullable: true,
    description: 'A version of the pipeline (versions are numbered per pipeline).',
    args: { version: t.arg.int(), pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => {
      return (await pipelineOf(ctx, args)).registry.get(args.version);
    },
  }),
  modelHistory: t.field({
    authScopes: scoped('reader'),
    type: [ModelHistoryEntryRef],
    description: 'Promotions and rollbacks, newest first.',
    args: { limit: t.arg.int({ required: false }), pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => {
      return (await pipelineOf(ctx, args)).registry.history(page(args).limit);
    },
  }),
}));

builder.mutationFields((t) => ({
  promoteModel: t.field({
    authScopes: scoped('admin'),
    type: ModelVersionRef,
    description: 'Serve this version now (admin). Every replica swaps to it without dropping a request.',
    args: { version: t.arg.int(), pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => {
      const { registry } = await pipelineOf(ctx, args);
      return registry.promote(args.version, `promoted by ${ctx.principal.name}`);
    },
  }),
  rollbackModel: t.field({
    authScopes: scoped('admin'),
    type: ModelVersionRef,
    description: 'Go back to the version that served before the current one (admin).',
    args: { pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => {
      return (await pipelineOf(ctx, args)).registry.rollback(`rolled back by ${ctx.principal.name}`);
    },
  }),
}));

builder.subscriptionField('modelPromoted', (t) =>
  t.field({
    authScopes: scoped('reader'),
    type: ModelChangeRef,
    description: 'Each change of the pipeline’s serving version: automatic or manual promotion, rollback.',
    args: { pipeline: pipelineArg(t) },
    subscribe: async (_r, args, ctx) => {
      const { ref } = await pipelineOf(ctx, args);
      return ctx.platform.bus.iterate(['model.promoted', 'model.rolled_back'], ref.id);
    },
    resolve: (event): ModelChange => {
      const e = event as unknown as {
        id: number;
        type: string;
        payload: Record<string, unknown>;
        createdAt: Date;
        pipelineId: number;
      };
      return {
        pipelineId: e.pipelineId,
        eventId: e.id,
        action: e.type === 'model.rolled_back' ? 'rolled_back' : 'promoted',
        version: Number(e.payload.version),
        previousVersion: e.payload.previousVersion == null ? null : Number(e.payload.previousVersion),
        reason: (e.payload.reason as string | undefined) ?? null,
        at: e.createdAt,
      };
    },
  }),
);
