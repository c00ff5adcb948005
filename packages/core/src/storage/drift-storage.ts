import type { Queryable } from '@automl-stream/db';
import type { ChunkSpan } from './data-storage.ts';

export interface DriftFeatureResult {
  feature: string;
  index: number;
  ksStatistic: number;
  ksPValue: number;
  pValueAdjusted: number;
  psi: number;
  wasserstein: number;
  wassersteinNormalized: number;
  drifted: boolean;
  reason: string;
  importance: number | null;
}

export interface DriftCheckRecord {
  id: number;
  /** The pipeline's id. */
  pipelineId: number;
  modelVersion: number | null;
  trigger: string;
  verdict: string;
  drifted: boolean;
  dataDrift: boolean;
  predictionDrift: boolean;
  conceptDrift: boolean;
  driftedShare: number;
  nReference: number;
  nCurrent: number;
  windowStartId: number | null;
  windowEndId: number | null;
  features: DriftFeatureResult[];
  details: Record<string, unknown>;
  action: string;
  trainingJobId: number | null;
  durationMs: number | null;
  /** The newest manual check request made before this check read its data (answered by it). */
  requestTicket: number | null;
  createdAt: Date;
}

interface Row {
  id: string;
  pipeline_id: number;
  model_version: number | null;
  trigger: string;
  verdict: string;
  drifted: boolean;
  data_drift: boolean;
  prediction_drift: boolean;
  concept_drift: boolean;
  drifted_share: number;
  n_reference: number;
  n_current: number;
  window_start_id: string | null;
  window_end_id: string | null;
  features: DriftFeatureResult[];
  details: Record<string, unknown>;
  action: string;
  training_job_id: string | null;
  duration_ms: number | null;
  request_ticket: string | null;
  created_at: Date;
}

const num = (v: string | null) => (v === null ? null : Number(v));
const toRecord = (r: Row): DriftCheckRecord => ({
  id: Number(r.id),
  pipelineId: r.pipeline_id,
  modelVersion: r.model_version,
  trigger: r.trigger,
  verdict: r.verdict,
  drifted: r.drifted,
  dataDrift: r.data_drift,
  predictionDrift: r.prediction_drift,
  conceptDrift: r.concept_drift,
  driftedShare: r.drifted_share,
  nReference: r.n_reference,
  nCurrent: r.n_current,
  windowStartId: num(r.window_start_id),
  windowEndId: num(r.window_end_id),
  features: r.features,
  details: r.details,
  action: r.action,
  trainingJobId: num(r.training_job_id),
  durationMs: r.duration_ms,
  requestTicket: num(r.request_ticket),
  createdAt: r.created_at,
});

export type NewDriftCheck = Omit<DriftCheckRecord, 'id' | 'pipelineId' | 'createdAt' | 'requestTicket'> & {
  requestTicket?: number | null;
};

export async function insertDriftCheck(
  sql: Queryable,
  pipeline: number,
  c: NewDriftCheck,
): Promise<DriftCheckRecord> {
  // name: insert-drift-check
  const [row] = await sql<Row[]>`
    insert into drift_checks (pipeline_id, model_version, trigger, verdict, drifted, data_drift, prediction_drift, concept_drift,
      drifted_share, n_reference, n_current, window_start_id, window_end_id, features, details, action,
      training_job_id, duration_ms, request_ticket)
    values (${pipeline}, ${c.modelVersion}, ${c.trigger}, ${c.verdict}, ${c.drifted}, ${c.dataDrift}, ${c.predictionDrift},
      ${c.conceptDrift}, ${c.driftedShare}, ${c.nReference}, ${c.nCurrent}, ${c.windowStartId}, ${c.windowEndId},
      ${sql.json(c.features as never)}, ${sql.json(c.details as never)}, ${c.action}, ${c.trainingJobId}, ${c.durationMs},
      ${c.requestTicket ?? null})
    returning *`;
  return toRecord(row!);
}

export async function updateDriftCheckAction(
  sql: Queryable,
  pipeline: number,
  id: number,
  action: string,
  trainingJobId: number | null,
) {
  // name: update-drift-check-action
  await sql`update drift_checks set action = ${action}, training_job_id = ${trainingJobId}
    where id = ${id} and pipeline_id = ${pipeline}`;
}

export async function listDriftChecks(
  sql: Queryable,
  pipeline: number,
  options: { limit: number; offset: number; driftedOnly: boolean; sinceId?: number },
): Promise<DriftCheckRecord[]> {
  // name: list-drift-checks
  const rows = await sql<Row[]>`
    select * from drift_checks
    where pipeline_id = ${pipeline} and (not ${options.driftedOnly} or drifted)
      and id > ${options.sinceId ?? 0}
    order by id desc limit ${options.limit} offset ${options.offset}`;
  return rows.map(toRecord);
}

export async function countDriftChecks(
  sql: Queryable,
  pipeline: number,
  driftedOnly: boolean,
): Promise<number> {
  // name: count-drift-checks
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from drift_checks where pipeline_id = ${pipeline} and (not ${driftedOnly} or drifted)`;
  return row?.n ?? 0;
}

export async function getDriftCheck(
  sql: Queryable,
  pipeline: number,
  id: number,
): Promise<DriftCheckRecord | undefined> {
  // name: get-drift-check
  const [row] = await sql<Row[]>`select * from drift_checks where id = ${id} and pipeline_id = ${pipeline}`;
  return row && toRecord(row);
}

/**
 * The newest check that queued a retrain, for the cooldown, with the seconds since (the
 * database's clock, so replicas with skewed clocks agree).
 */
export async function lastRetrainTrigger(
  sql: Queryable,
  pipeline: number,
): Promise<(DriftCheckRecord & { secondsAgo: number }) | undefined> {
  // name: last-retrain-trigger
  const [row] = await sql<(Row & { seconds_ago: number })[]>`
    select *, extract(epoch from (now() - created_at))::float8 as seconds_ago
    from drift_checks where pipeline_id = ${pipeline} and action = 'retrain_queued' order by id desc limit 1`;
  return row && { ...toRecord(row), secondsAgo: row.seconds_ago };
}

/**
 * A new manual check request: its number orders it against the checks (a sequence, so it is
 * visible to every session at once, whatever transaction asked).
 */
export async function requestCheckTicket(sql: Queryable): Promise<number> {
  // name: request-check-ticket
  const [row] = await sql<{ ticket: string }[]>`select nextval('drift_check_requests') as ticket`;
  return Number(row!.ticket);
}

/**
 * At the start of a check: the newest request made so far, and whether any came after the newest
 * one an earlier check answered (then this check answers them, and counts as manual).
 */
export async function pendingCheckRequests(
  sql: Queryable,
  pipeline: number,
): Promise<{ ticket: number; pending: boolean }> {
  // name: pending-check-requests
  const [row] = await sql<{ ticket: string; answered: string | null }[]>`
    select (select case when is_called then last_value else 0 end from drift_check_requests) as ticket,
      (select max(request_ticket) from drift_checks where pipeline_id = ${pipeline}) as answered`;
  const ticket = Number(row?.ticket ?? 0);
  return { ticket, pending: ticket > Number(row?.answered ?? 0) };
}

/** The first check that answers request `ticket` (it read its data after the request), if any. */
export async function checkAnswering(
  sql: Queryable,
  pipeline: number,
  ticket: number,
): Promise<DriftCheckRecord | undefined> {
  // name: check-answering-request
  const [row] = await sql<Row[]>`
    select * from drift_checks where pipeline_id = ${pipeline} and request_ticket >= ${ticket} order by id limit 1`;
  return row && toRecord(row);
}

/** Seconds since the newest manual check was recorded, or null when there is none. */
export async function secondsSinceManualCheck(sql: Queryable, pipeline: number): Promise<number | null> {
  // name: seconds-since-manual-check
  const [row] = await sql<{ seconds: number }[]>`
    select extract(epoch from (now() - created_at))::float8 as seconds
    from drift_checks where pipeline_id = ${pipeline} and trigger = 'manual' order by id desc limit 1`;
  return row?.seconds ?? null;
}

/**
 * The serving version's newest checks, newest first (at most `limit`): whether each flagged the
 * features (`data_drift`) and the predicted-class mix (`prediction_drift`), whether the features
 * moved (flagged, or advisory against a reference too small for a verdict), and the rows it
 * tested (`details.span`; null for checks stored before it).
 */
export async function recentChunkChecks(
  sql: Queryable,
  pipeline: number,
  version: number,
  limit: number,
): Promise<{ flagged: boolean; moved: boolean; predicted: boolean; span: ChunkSpan | null }[]> {
  // name: recent-chunk-checks
  const rows = await sql<
    {
      flagged: boolean;
      moved: boolean;
      predicted: boolean;
      source: string | null;
      first: string | null;
      last: string | null;
    }[]
  >`
    select data_drift as flagged, prediction_drift as predicted,
        data_drift or coalesce((details->'chunk'->>'advisory')::boolean, false) as moved,
        details->'span'->>'source' as source, details->'span'->>'first' as first,
        details->'span'->>'last' as last
      from drift_checks where pipeline_id = ${pipeline} and model_version = ${version}
      order by id desc limit ${limit}`;
  return rows.map((r) => ({
    flagged: r.flagged,
    moved: r.moved,
    predicted: r.predicted,
    span:
      r.source && r.first !== null && r.last !== null
        ? { source: r.source as ChunkSpan['source'], first: Number(r.first), last: Number(r.last) }
        : null,
  }));
}

/**
 * Whether a drift check, or a later check of the same serving version, took the change for a
 * covariate shift (`details.shift.confirmed`): a retrain queued before the features' second
 * flagged check still learns that the rows before its change kept their labels.
 */
export async function shiftSeenSince(sql: Queryable, pipeline: number, checkId: number): Promise<boolean> {
  // name: shift-seen-since
  const [row] = await sql<{ shift: boolean }[]>`
    select exists (
      select 1 from drift_checks c
        join drift_checks q on q.pipeline_id = c.pipeline_id and q.id = ${checkId}
      where c.pipeline_id = ${pipeline} and c.id >= q.id and c.model_version = q.model_version
        and (c.details->'shift'->>'confirmed')::boolean
    ) as shift`;
  return row?.shift === true;
}

/**
 * The newest change a concept-drift check located after a training job was queued (`queuedAt`)
 * and later than the start of its window (`windowStart`; null: all rows), or null: such a job
 * read a window that reaches back before the change (the old regime, or both mixed).
 */
export async function changeLocatedAfter(
  sql: Queryable,
  pipeline: number,
  job: { queuedAt: Date; windowStart: Date | null },
): Promise<Date | null> {
  // name: change-located-after
  const [row] = await sql<{ at: Date }[]>`
    select (details->'concept'->>'changeAt')::timestamptz as at from drift_checks
      where pipeline_id = ${pipeline} and concept_drift and created_at > ${job.queuedAt}
        and (details->'concept'->>'changeAt')::timestamptz > ${job.windowStart ?? new Date(0)}
      order by id desc limit 1`;
  return row?.at ?? null;
}
