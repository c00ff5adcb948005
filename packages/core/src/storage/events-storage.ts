import type { Queryable } from '@automl-stream/db';

/** Channel that carries event ids; the truth stays in the `events` table. */
export const EVENTS_CHANNEL = 'automl_events';

export type EventType =
  | 'drift.checked'
  | 'drift.detected'
  | 'training.queued'
  | 'training.started'
  | 'training.progress'
  | 'training.finished'
  | 'training.failed'
  | 'model.promoted'
  | 'model.rolled_back'
  | 'model.rejected'
  | 'data.ingested'
  | 'pipeline.created'
  | 'pipeline.updated'
  | 'pipeline.archived';

export interface StoredEvent<T = Record<string, unknown>> {
  id: number;
  /** The pipeline's id. */
  pipelineId: number;
  type: EventType;
  payload: T;
  createdAt: Date;
}

/**
 * Writes the event row and queues a NOTIFY in the same transaction (pass a transaction to make the
 * event part of a larger unit of work): Postgres delivers the NOTIFY only on commit, so listeners
 * never hear of an event they cannot read.
 */
export async function appendEvent(
  sql: Queryable,
  pipeline: number,
  type: EventType,
  payload: Record<string, unknown>,
): Promise<StoredEvent> {
  // name: append-event
  const [row] = await sql<{ id: string; created_at: Date }[]>`
    with inserted as (
      insert into events (pipeline_id, type, payload) values (${pipeline}, ${type}, ${sql.json(payload as never)})
      returning id, created_at
    )
    select id, created_at, pg_notify(${EVENTS_CHANNEL}, json_build_object('id', id, 'type', ${type}::text, 'pipeline', ${pipeline}::int)::text)
    from inserted`;
  if (!row) throw new Error('append-event returned no row');
  return { id: Number(row.id), pipelineId: pipeline, type, payload, createdAt: row.created_at };
}

interface EventRow {
  id: string;
  pipeline_id: number;
  type: EventType;
  payload: Record<string, unknown>;
  created_at: Date;
}

const toEvent = (r: EventRow): StoredEvent => ({
  id: Number(r.id),
  pipelineId: r.pipeline_id,
  type: r.type,
  payload: r.payload,
  createdAt: r.created_at,
});

export async function readEventsAfter(sql: Queryable, afterId: number, limit = 1000): Promise<StoredEvent[]> {
  // name: read-events-after
  const rows = await sql<EventRow[]>`
    select id, pipeline_id, type, payload, created_at from events where id > ${afterId} order by id limit ${limit}`;
  return rows.map((r) => toEvent(r));
}

export async function readEvent(sql: Queryable, id: number): Promise<StoredEvent | undefined> {
  // name: read-event
  const [r] = await sql<EventRow[]>`
    select id, pipeline_id, type, payload, created_at from events where id = ${id}`;
  return r && toEvent(r);
}

export async function latestEventId(sql: Queryable): Promise<number> {
  // name: latest-event-id
  const [r] = await sql<{ id: string | null }[]>`select max(id) as id from events`;
  return Number(r?.id ?? 0);
}

export async function recentEvents(
  sql: Queryable,
  options: { types?: EventType[]; limit: number; beforeId?: number; pipeline?: number },
) {
  // name: recent-events
  const rows = await sql<EventRow[]>`
    select id, pipeline_id, type, payload, created_at from events
    where (${options.types ?? null}::text[] is null or type = any(${options.types ?? null}::text[]))
      and (${options.pipeline ?? null}::int is null or pipeline_id = ${options.pipeline ?? null}::int)
      and (${options.beforeId ?? null}::bigint is null or id < ${options.beforeId ?? null}::bigint)
    order by id desc limit ${options.limit}`;
  return rows.map((r) => toEvent(r));
}
