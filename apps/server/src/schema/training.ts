import type { StoredEvent, TrainingJobRecord, TrainingStatus } from '@automl-stream/core';
import { builder } from '../builder.ts';
import { TrainingOutcomeEnum } from './enums.ts';
import { loaders } from './loaders.ts';
import { page } from './pagination.ts';
import { pipelineArg, pipelineOf, scoped, writablePipelineOf } from './pipeline-arg.ts';

export const TrainingStatusEnum = builder.enumType('TrainingStatus', {
  values: {
    QUEUED: { value: 'queued' },
    RUNNING: { value: 'running' },
    SUCCEEDED: { value: 'succeeded', description: 'Trained; see outcome (promoted or rejected).' },
    FAILED: { value: 'failed' },
  } as const,
});

export const TrainingJobRef = builder.objectRef<TrainingJobRecord>('TrainingJob').implement({
  description: 'A retraining run.',
  fields: (t) => ({
    id: t.id({ resolve: (j) => j.id }),
    status: t.field({ type: TrainingStatusEnum, resolve: (j) => j.status as TrainingStatus }),
    reason: t.exposeString('reason'),
    driftEventId: t.id({ nullable: true, resolve: (j) => j.driftCheckId }),
    attempts: t.exposeInt('attempts'),
    treesDone: t.exposeInt('treesDone'),
    treesTotal: t.exposeInt('treesTotal'),
    progress: t.exposeFloat('progress', { description: '0..1' }),
    resultVersion: t.exposeInt('resultVersion', { nullable: true }),
    outcome: t.field({
      type: TrainingOutcomeEnum,
      nullable: true,
      resolve: (j) => j.outcome as 'promoted' | null,
    }),
    metrics: t.field({ type: 'JSON', nullable: true, resolve: (j) => j.metrics }),
    error: t.exposeString('error', { nullable: true }),
    queuedAt: t.field({ type: 'DateTime', resolve: (j) => j.queuedAt }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (j) => j.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (j) => j.finishedAt }),
    durationMs: t.exposeFloat('durationMs', { nullable: true }),
  }),
});

export const TrainingJobPage = builder
  .objectRef<{ items: TrainingJobRecord[]; total: number; limit: number; offset: number }>('TrainingJobPage')
  .implement({
    fields: (t) => ({
      items: t.field({ type: [TrainingJobRef], resolve: (p) => p.items }),
      total: t.exposeInt('total'),
      limit: t.exposeInt('limit'),
      offset: t.exposeInt('offset'),
    }),
  });

export const TrainingEventTypeEnum = builder.enumType('TrainingEventType', {
  values: {
    QUEUED: { value: 'training.queued' },
    STARTED: { value: 'training.started' },
    PROGRESS: { value: 'training.progress' },
    FINISHED: { value: 'training.finished' },
    FAILED: { value: 'training.failed' },
  } as const,
});

type TrainingEventType =
  | 'training.queued'
  | 'training.started'
  | 'training.progress'
  | 'training.finished'
  | 'training.failed';

const TrainingEventRef = builder.objectRef<StoredEvent>('TrainingEvent').implement({
  description:
    'A step of a training run, in order: queued, started, progress (per batch of trees), finished or failed.',
  fields: (t) => ({
    eventId: t.float({ resolve: (e) => e.id }),
    type: t.field({ type: TrainingEventTypeEnum, resolve: (e) => e.type as TrainingEventType }),
    trainingJobId: t.id({ resolve: (e) => Number(e.payload.trainingJobId) }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
    treesDone: t.int({ nullable: true, resolve: (e) => (e.payload.treesDone as number | undefined) ?? null }),
    treesTotal: t.int({
      nullable: true,
      resolve: (e) => (e.payload.treesTotal as number | undefined) ?? null,
    }),
    version: t.int({ nullable: true, resolve: (e) => (e.payload.version as number | undefined) ?? null }),
    outcome: t.field({
      type: TrainingOutcomeEnum,
      nullable: true,
      resolve: (e) => (e.payload.outcome as 'promoted' | undefined) ?? null,
    }),
    error: t.string({ nullable: true, resolve: (e) => (e.payload.error as string | undefined) ?? null }),
    attempt: t.int({
      nullable: true,
      description: 'Which delivery of the job this is (started events; retries count up).',
      resolve: (e) => (e.payload.attempt as number | undefined) ?? null,
    }),
    willRetry: t.boolean({
      nullable: true,
      description: 'On failed events: whether the queue will try the job again.',
      resolve: (e) => (e.payload.willRetry as boolean | undefined) ?? null,
    }),
    waitingForRows: t.int({
      nullable: true,
      description: 'On progress events before training: labelled rows of the new concept still awaited.',
      resolve: (e) => (e.payload.waitingForRows as number | undefined) ?? null,
    }),
    job: t.field({
      type: TrainingJobRef,
      nullable: true,
      resolve: async (e, _a, ctx) =>
        (await loaders(ctx, e.pipelineId).trainingJob.load(Number(e.payload.trainingJobId))) ?? null,
    }),
  }),
});

const RetrainResult = builder
  .objectRef<{ job: TrainingJobRecord; alreadyPending: boolean }>('RetrainResult')
  .implement({
    fields: (t) => ({
      job: t.field({ type: TrainingJobRef, resolve: (r) => r.job }),
      alreadyPending: t.exposeBoolean('alreadyPending', {
        description:
          'A retrain was already queued or running: that one is returned, no second one is queued.',
      }),
    }),
  });

builder.queryFields((t) => ({
  trainingJobs: t.field({
    authScopes: scoped('reader'),
    type: TrainingJobPage,
    args: {
      limit: t.arg.int({ required: false }),
      offset: t.arg.int({ required: false }),
      status: t.arg({ type: TrainingStatusEnum, required: false }),
      pipeline: pipelineArg(t),
    },
    resolve: async (_r, args, ctx) => {
      const { limit, offset } = page(args);
      const status = args.status ?? undefined;
      const { trainingJobs } = await pipelineOf(ctx, args);
      return trainingJobs.page({ limit, offset, ...(status ? { status } : {}) });
    },
  }),
  trainingJob: t.field({
    authScopes: scoped('reader'),
    type: TrainingJobRef,
    nullable: true,
    description: 'A training job of the pipeline (null for an id of another pipeline).',
    args: { id: t.arg.id(), pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => {
      return (await pipelineOf(ctx, args)).trainingJobs.get(Number(args.id));
    },
  }),
}));

builder.mutationField('retrain', (t) =>
  t.field({
    authScopes: scoped('admin'),
    type: RetrainResult,
    description:
      'Queue a retrain now (admin). Returns the pending one if a retrain is already queued or running.',
    args: { reason: t.arg.string({ required: false }), pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => {
      const reason = (args.reason ?? '').trim() || `manual retrain by ${ctx.principal.name}`;
      const pipeline = await writablePipelineOf(ctx, args, { create: false });
      return pipeline.drift.requestRetrain(reason.slice(0, 500));
    },
  }),
);

builder.subscriptionField('trainingEvents', (t) =>
  t.field({
    authScopes: scoped('reader'),
    type: TrainingEventRef,
    description: 'The pipeline’s training steps as they happen; `jobId` narrows to one run.',
    args: { jobId: t.arg.id({ required: false }), pipeline: pipelineArg(t) },
    subscribe: async (_r, args, ctx) => {
      const { ref } = await pipelineOf(ctx, args);
      const iterator = ctx.platform.bus.iterate(
        ['training.queued', 'training.started', 'training.progress', 'training.finished', 'training.failed'],
        ref.id,
      );
      if (args.jobId == null) return iterator;
      const wanted = Number(args.jobId);
      return (async function* () {
        try {
          for await (const e of iterator) if (Number(e.payload.trainingJobId) === wanted) yield e;
        } finally {
          await iterator.return?.();
        }
      })();
    },
    resolve: (event) => event as unknown as StoredEvent,
  }),
);
