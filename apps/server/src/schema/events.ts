import { badInput, type EventType, type StoredEvent } from '@automl-stream/core';
import { builder } from '../builder.ts';
import { mayUsePipeline } from '../roles.ts';
import { page } from './pagination.ts';
import { pipelineArg, pipelineOf, scoped } from './pipeline-arg.ts';

export const PlatformEventRef = builder.objectRef<StoredEvent>('PlatformEvent').implement({
  description: 'An entry of the event log: drift checks, trainings, promotions, rollbacks.',
  fields: (t) => ({
    id: t.float({
      description: 'Position in the event log: grows with every event, so clients order and page by it.',
      resolve: (e) => e.id,
    }),
    type: t.string({ resolve: (e) => e.type }),
    pipeline: t.string({
      description: 'The pipeline the event belongs to.',
      resolve: async (e, _a, ctx) =>
        (await ctx.platform.pipelines.nameOf(e.pipelineId)) ?? String(e.pipelineId),
    }),
    payload: t.field({
      type: 'JSON',
      description: 'The event as stored (ids in it are numbers).',
      resolve: (e) => e.payload,
    }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
  }),
});

const EVENT_TYPES: EventType[] = [
  'drift.checked',
  'drift.detected',
  'training.queued',
  'training.started',
  'training.progress',
  'training.finished',
  'training.failed',
  'model.promoted',
  'model.rolled_back',
  'model.rejected',
  'pipeline.created',
  'pipeline.updated',
  'pipeline.archived',
];

builder.queryField('events', (t) =>
  t.field({
    authScopes: scoped('reader'),
    type: [PlatformEventRef],
    description:
      'The pipeline’s event log, newest first. `types` filters (e.g. ["drift.detected"]); `beforeId` pages back.',
    args: {
      pipeline: pipelineArg(t),
      limit: t.arg.int({ required: false }),
      beforeId: t.arg.float({ required: false }),
      types: t.arg.stringList({ required: false }),
    },
    resolve: async (_r, args, ctx) => {
      const { beforeId } = args;
      // A Float, so that positions past 2^31 fit; only whole positions mean anything.
      if (beforeId != null && !(Number.isSafeInteger(beforeId) && beforeId >= 1)) {
        throw badInput(`beforeId must be a whole event id from 1 to 2^53 - 1 (got ${beforeId})`);
      }
      const types = args.types?.filter((x): x is EventType => (EVENT_TYPES as string[]).includes(x));
      const { ref } = await pipelineOf(ctx, args);
      return ctx.platform.bus.recent({
        pipeline: ref.id,
        limit: page(args).limit,
        ...(types?.length ? { types } : {}),
        ...(args.beforeId ? { beforeId: args.beforeId } : {}),
      });
    },
  }),
);

builder.subscriptionField('platformEvents', (t) =>
  t.field({
    authScopes: (_parent, args) =>
      args.allPipelines ? { reader: true } : { $all: { reader: true, pipeline: args.pipeline ?? 'default' } },
    type: PlatformEventRef,
    description:
      'Every event of the pipeline’s log as it is committed (the dashboard’s live feed); with `allPipelines`, of every pipeline the key may use.',
    args: { pipeline: pipelineArg(t), allPipelines: t.arg.boolean({ required: false }) },
    subscribe: async (_r, args, ctx) => {
      if (!args.allPipelines) {
        return ctx.platform.bus.iterate(EVENT_TYPES, (await pipelineOf(ctx, args)).ref.id);
      }
      const events = ctx.platform.bus.iterate(EVENT_TYPES);
      const { principal, platform } = ctx;
      if (principal.pipelines === null) return events;
      return (async function* () {
        try {
          for await (const e of events) {
            if (mayUsePipeline(principal, (await platform.pipelines.nameOf(e.pipelineId)) ?? '')) yield e;
          }
        } finally {
          await events.return?.();
        }
      })();
    },
    resolve: (e) => e as unknown as StoredEvent,
  }),
);
