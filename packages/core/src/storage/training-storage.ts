import type { Queryable } from '@automl-stream/db';

export type TrainingStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface TrainingJobRecord {
  id: number;
  /** The pipeline's id. */
  pipelineId: number;
  status: TrainingStatus;
  reason: string;
  driftCheckId: number | null;
  changeAt: Date | null;
  /** First ingested row of the new regime (see RegimeStart). */
  changeRowId: number | null;
  queueJobId: string | null;
  attempts: number;
  treesDone: number;
  treesTotal: number;
  progress: number;
  resultVersion: number | null;
  outcome: string | null;
  metrics: Record<string, unknown> | null;
  error: string | null;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
}

interface Row {
  id: string;
  pipeline_id: number;
  status: TrainingStatus;
  reason: string;
  drift_check_id: string | null;
  change_at: Date | null;
  change_row_id: string | null;
  queue_job_id: string | null;
  attempts: number;
  trees_done: number;
  trees_total: number;
  progress: number;
  result_version: number | null;
  outcome: string | null;
  metrics: Record<string, unknown> | null;
  error: string | null;
  queued_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  duration_ms: number | null;
}

const toRecord = (r: Row): TrainingJobRecord => ({
  id: Number(r.id),
  pipelineId: r.pipeline_id,
  status: r.status,
  reason: r.reason,
  driftCheckId: r.drift_check_id === null ? null : Number(r.drift_check_id),
  changeAt: r.change_at,
  changeRowId: r.change_row_id === null ? null : Number(r.change_row_id),
  queueJobId: r.queue_job_id,
  attempts: r.attempts,
  treesDone: r.trees_done,
  treesTotal: r.trees_total,
  progress: r.progress,
  resultVersion: r.result_version,
  outcome: r.outcome,
  metrics: r.metrics,
  error: r.error,
  queuedAt: r.queued_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  durationMs: r.duration_ms,
});

export async function insertTrainingJob(
  sql: Queryable,
  pipeline: number,
  job: { reason: string; driftCheckId: number | null; changeAt: Date | null; changeRowId?: number | null },
) {
  // name: insert-training-job
  const [row] = await sql<Row[]>`
    insert into training_jobs (pipeline_id, reason, drift_check_id, change_at, change_row_id)
    values (${pipeline}, ${job.reason}, ${job.driftCheckId}, ${job.changeAt}, ${job.changeRowId ?? null}) returning *`;
  return toRecord(row!);
}

export async function setQueueJobId(sql: Queryable, id: number, queueJobId: string) {
  // name: set-queue-job-id
  await sql`update training_jobs set queue_job_id = ${queueJobId} where id = ${id}`;
}

export async function getTrainingJob(sql: Queryable, pipeline: number, id: number) {
  // name: get-training-job
  const [row] = await sql<Row[]>`select * from training_jobs where id = ${id} and pipeline_id = ${pipeline}`;
  return row && toRecord(row);
}

/** Several jobs in one query (GraphQL batches `DriftEvent.trainingJob` through this). */
export async function getTrainingJobs(
  sql: Queryable,
  pipeline: number,
  ids: number[],
): Promise<TrainingJobRecord[]> {
  // name: get-training-jobs
  const rows = await sql<Row[]>`
    select * from training_jobs where id = any(${ids}::bigint[]) and pipeline_id = ${pipeline}`;
  return rows.map(toRecord);
}

/** Marks a job running (again, on a retry); returns it, or undefined when it already finished. */
export async function startTrainingJob(sql: Queryable, id: number, treesTotal: number) {
  // name: start-training-job
  const [row] = await sql<Row[]>`
    update training_jobs set status = 'running', attempts = attempts + 1, started_at = now(), trees_done = 0,
      trees_total = ${treesTotal}, progress = 0, error = null
    where id = ${id} and status in ('queued', 'running', 'failed')
    returning *`;
  return row && toRecord(row);
}

export async function updateTrainingProgress(
  sql: Queryable,
  id: number,
  treesDone: number,
  treesTotal: number,
) {
  // name: update-training-progress
  const rows = await sql`update training_jobs set trees_done = ${treesDone}, trees_total = ${treesTotal},
    progress = ${treesTotal === 0 ? 0 : treesDone / treesTotal} where id = ${id} and status = 'running'
    returning id`;
  /** False: the job is no longer running (a drift check superseded it). */
  return rows.length > 0;
}

/**
 * Ends an open growth retrain whose window starts before `changeAt` (or at the first row), so that
 * the retrain of a located concept change goes next: its rows are of the old regime only, or
 * mostly when it started a little after the change (it would then serve a model of the old
 * concept and hold the change's retrain back for a whole search). The running trainer notices at
 * its next progress write.
 */
export async function supersedeGrowthJob(
  sql: Queryable,
  pipeline: number,
  /** null: whatever its window (a covariate shift: the retrain learns the newest rows at once). */
  changeAt: Date | null,
  why: string,
): Promise<TrainingJobRecord | null> {
  // name: supersede-growth-job
  const [row] = await sql<Row[]>`
    update training_jobs set status = 'failed', outcome = 'superseded', error = ${why}, finished_at = now(),
      duration_ms = extract(epoch from (now() - coalesce(started_at, queued_at))) * 1000
    where pipeline_id = ${pipeline} and status in ('queued', 'running') and reason like 'growth%'
      and (${changeAt}::timestamptz is null or change_at is null or change_at < ${changeAt}::timestamptz)
    returning *`;
  if (!row) return null;
  // name: announce-training-stop
  await sql`select pg_notify(${TRAINING_STOP_CHANNEL}, ${`${pipeline}:${row.id}`})`;
  return toRecord(row);
}

/**
 * The channel a superseded run is announced on (`pipeline:job` as payload), when the transaction
 * that ended its job commits: the process that runs it stops at once, not at its next progress write.
 */
export const TRAINING_STOP_CHANNEL = 'automl_stream_training_stop';

/**
 * A failed attempt that the queue will retry: the job waits again, keeping its last error.
 * `refund`: the attempt does not count (it was cut short by a shutdown, not by the job).
 */
export async function requeueTrainingJob(sql: Queryable, id: number, error: string, refund = false) {
  // name: requeue-training-job
  const [row] = await sql<Row[]>`
    update training_jobs set status = 'queued', error = ${error}, trees_done = 0, progress = 0,
      attempts = case when ${refund} then greatest(0, attempts - 1) else attempts end
    where id = ${id} and status = 'running' returning *`;
  return row && toRecord(row);
}

/**
 * Fails a job that is still open (queued or running) and still under the queue job `queueJobId`
 * that was found dead (a job queued again meanwhile under a new queue job is left alone).
 * Returns it, or undefined when it had finished or moved on.
 */
export async function abandonTrainingJob(
  sql: Queryable,
  id: number,
  queueJobId: string | null,
  error: string,
) {
  // name: abandon-training-job
  const [row] = await sql<Row[]>`
    update training_jobs set status = 'failed', outcome = 'error', error = ${error}, finished_at = now(),
      duration_ms = extract(epoch from (now() - coalesce(started_at, queued_at))) * 1000
    where id = ${id} and status in ('queued', 'running') and queue_job_id is not distinct from ${queueJobId}
    returning *`;
  return row && toRecord(row);
}

/**
 * Open jobs (queued or running), or the one with `id` when it is open, with how long ago they were
 * queued: for the abandoned-retrain checks.
 */
export async function listOpenTrainingJobs(sql: Queryable, id: number | null = null) {
  // Every pipeline's (the sweep of abandoned jobs runs platform-wide); each record names its pipeline.
  // name: list-open-training-jobs
  const rows = await sql<(Row & { open_seconds: number })[]>`
    select *, extract(epoch from (now() - queued_at))::float8 as open_seconds
    from training_jobs where status in ('queued', 'running') and (${id}::bigint is null or id = ${id}::bigint)
    order by id`;
  return rows.map((r) => ({ job: toRecord(r), openSeconds: r.open_seconds }));
}

export async function finishTrainingJob(
  sql: Queryable,
  id: number,
  result: {
    status: 'succeeded' | 'failed';
    outcome: string | null;
    resultVersion: number | null;
    metrics: Record<string, unknown> | null;
    error: string | null;
  },
) {
  // name: finish-training-job
  const [row] = await sql<Row[]>`
    update training_jobs set status = ${result.status}, outcome = ${result.outcome}, result_version = ${result.resultVersion},
      metrics = ${result.metrics ? sql.json(result.metrics as never) : null}, error = ${result.error},
      finished_at = now(), progress = case when ${result.status} = 'succeeded' then 1 else progress end,
      duration_ms = extract(epoch from (now() - coalesce(started_at, queued_at))) * 1000
    where id = ${id} returning *`;
  return row && toRecord(row);
}

export async function listTrainingJobs(
  sql: Queryable,
  pipeline: number,
  options: { limit: number; offset: number; status?: TrainingStatus },
) {
  // name: list-training-jobs
  const rows = await sql<Row[]>`
    select * from training_jobs where pipeline_id = ${pipeline} and (${options.status ?? null}::text is null or status = ${options.status ?? null})
    order by id desc limit ${options.limit} offset ${options.offset}`;
  return rows.map(toRecord);
}

export async function countTrainingJobs(sql: Queryable, pipeline: number, status?: TrainingStatus) {
  // name: count-training-jobs
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from training_jobs where pipeline_id = ${pipeline} and (${status ?? null}::text is null or status = ${status ?? null})`;
  return row?.n ?? 0;
}

/** A job waiting or running, so a second trigger does not pile up another. */
export async function openTrainingJob(sql: Queryable, pipeline: number) {
  // name: open-training-job
  const [row] = await sql<Row[]>`
    select * from training_jobs where pipeline_id = ${pipeline} and status in ('queued', 'running')
    order by id desc limit 1`;
  return row && toRecord(row);
}

/**
 * Whether a drift-triggered retrain is fitting its model (running, trees done: it has read its
 * window, and no check can move it any more, see retargetTrainingJob): the serving version's
 * drift is being answered, so an early drift check would only say so again.
 */
export async function driftRetrainFitting(sql: Queryable, pipeline: number): Promise<boolean> {
  // name: drift-retrain-fitting
  const [row] = await sql<{ fitting: boolean }[]>`
    select exists (select 1 from training_jobs where pipeline_id = ${pipeline}
      and status = 'running' and trees_done > 0 and drift_check_id is not null) as fitting`;
  return row?.fitting ?? false;
}

/** Advisory lock key that serialises every decision to queue a retrain (drift, manual, bootstrap). */
const RETRAIN_REQUEST_LOCK = 7_301_946_223;

/**
 * Takes the retrain-request lock for the rest of the caller's transaction: whoever holds it sees
 * every open job and queues at most one.
 */
export async function lockRetrainRequests(tx: Queryable, pipeline: number): Promise<void> {
  // name: lock-retrain-requests (one lock per pipeline: the two-key form of the advisory lock)
  await tx`select pg_advisory_xact_lock(${RETRAIN_REQUEST_LOCK % 2 ** 31}::int, ${pipeline}::int)`;
}

/**
 * Moves a pending retrain's window start to a later located change (spec P5, D2), unless it has
 * begun fitting (trees done) or already starts there or later. Returns the job when moved.
 */
export async function retargetTrainingJob(
  sql: Queryable,
  pipeline: number,
  id: number,
  changeAt: Date,
  changeRowId: number | null,
): Promise<TrainingJobRecord | null> {
  // name: retarget-training-job
  const [row] = await sql<Row[]>`
    update training_jobs set change_at = ${changeAt}, change_row_id = ${changeRowId}
    where id = ${id} and pipeline_id = ${pipeline} and status in ('queued', 'running') and trees_done = 0
      and (change_at is null or change_at < ${changeAt})
    returning *`;
  return row ? toRecord(row) : null;
}

/**
 * Where the regime starts that an archived version was served again for: the change of the
 * newest job that re-promoted `version` (outcome `repromoted`), or null when none did.
 */
export async function repromotedAt(
  sql: Queryable,
  pipeline: number,
  version: number,
): Promise<{ at: Date; rowId: number | null } | null> {
  // name: repromoted-at
  const [row] = await sql<{ change_at: Date | null; change_row_id: string | null }[]>`
    select change_at, change_row_id from training_jobs
      where pipeline_id = ${pipeline} and outcome = 'repromoted' and result_version = ${version}
      order by finished_at desc, id desc limit 1`;
  if (!row?.change_at) return null;
  return { at: row.change_at, rowId: row.change_row_id === null ? null : Number(row.change_row_id) };
}

/** How many consecutive drift-triggered retrains back-off counts at most (the cap: 2^4 = 16). */
const BACKOFF_LOOKBACK = 5;

/**
 * The back-off of drift-triggered retrains (spec P7): how many of the newest finished ones in a
 * row ended without replacing the serving version (rejected by the gate, no usable rows, failed,
 * superseded), and when the newest of them finished; null when the newest one was promoted or
 * none finished.
 */
export async function driftRetrainBackoff(
  sql: Queryable,
  pipeline: number,
): Promise<{ failures: number; finishedAt: Date } | null> {
  // name: drift-retrain-backoff
  const rows = await sql<{ outcome: string | null; finished_at: Date }[]>`
    select outcome, finished_at from training_jobs
      where pipeline_id = ${pipeline} and drift_check_id is not null and finished_at is not null
        and status in ('succeeded', 'failed')
      order by finished_at desc, id desc limit ${BACKOFF_LOOKBACK}`;
  let failures = 0;
  const replaced = (outcome: string | null) => outcome === 'promoted' || outcome === 'repromoted';
  while (failures < rows.length && !replaced(rows[failures]!.outcome)) failures++;
  return failures === 0 ? null : { failures, finishedAt: rows[0]!.finished_at };
}

/**
 * When the newest drift-triggered retrain that finished after `since` ended without replacing the
 * serving version (trained, rejected by the gate): the drift it answered is accepted there. Not a
 * winner that MAX_PROMOTIONS_PER_HOUR withheld (`params.withheld`): the new rows did give a better
 * model, so the serving version's loss is real; nor one whose gate said why not (`metrics.notAccepted`:
 * the regression check refused both models, or the retrain was queued again from a later rise).
 */
export async function lastRejectedDriftRetrain(
  sql: Queryable,
  pipeline: number,
  since: Date,
): Promise<Date | null> {
  // name: last-rejected-drift-retrain
  const [row] = await sql<{ finished_at: Date }[]>`
    select j.finished_at from training_jobs j
      left join model_versions m on m.pipeline_id = j.pipeline_id and m.version = j.result_version
      where j.pipeline_id = ${pipeline} and j.drift_check_id is not null and j.status = 'succeeded'
        and j.outcome = 'rejected' and j.finished_at > ${since}
        and coalesce(m.params->>'withheld', '') <> 'promotion cap'
        and not coalesce(j.metrics ? 'notAccepted', false)
      order by j.finished_at desc limit 1`;
  return row?.finished_at ?? null;
}
