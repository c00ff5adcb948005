import { badInput, type EventType, type StoredEvent } from '@automl-stream/core';
import { builder } from '../builder.ts';
import { page } from './pagination.ts';

export const PlatformEventRef = builder.objectRef<StoredEvent>('PlatformEvent').implement({
  description: 'An entry of the event log: drift checks, trainings, promotions, rollbacks.',
  fields: (t) => ({
    id: t.float({
      description: 'Position in the event log: grows with every event, so clients order and page by it.',
      resolve: (e) => e.id,
    }),
    type: t.string({ resolve: (e) => e.type }),
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
];

builder.queryField('events', (t) =>
  t.field({
    authScopes: { reader: true },
    type: [PlatformEventRef],
    description:
      'The event log, newest first. `types` filters (e.g. ["drift.detected"]); `beforeId` pages back.',
    args: {
      limit: t.arg.int({ required: false }),
      beforeId: t.arg.float({ required: false }),
      types: t.arg.stringList({ required: false }),
    },
    resolve: (_r, args, ctx) => {
      const { beforeId } = args;
      // A Float, so that positions past 2^31 fit; only whole positions mean anything.
      if (beforeId != null && !(Number.isSafeInteger(beforeId) && beforeId >= 1)) {
        throw badInput(`beforeId must be a whole event id from 1 to 2^53 - 1 (got ${beforeId})`);
      }
      const types = args.types?.filter((x): x is EventType => (EVENT_TYPES as string[]).includes(x));
      return ctx.platform.bus.recent({
        limit: page(args).limit,
        ...(types?.length ? { types } : {}),
        ...(args.beforeId ? { beforeId: args.beforeId } : {}),
      });
    },
  }),
);

builder.subscriptionField('platformEvents', (t) =>
  t.field({
    authScopes: { reader: true },
    type: PlatformEventRef,
    description: 'Every event of the log as it is committed (the dashboard’s live feed).',
    subscribe: (_r, _a, ctx) => {
      return ctx.platform.bus.iterate(EVENT_TYPES);
    },
    resolve: (e) => e as unknown as StoredEvent,
  }),
);
