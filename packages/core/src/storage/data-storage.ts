import type { Writable } from 'node:stream';
import type { Queryable, Sql } from '@automl-stream/db';
import { type CopyColumn, copyBinary, float8ArrayFromBinary } from './copy-binary.ts';

export interface RowToStore {
  features: number[];
  label: number | null;
  scoredLabel: number | null;
  scoredVersion: number | null;
}

/**
 * Rows per insert statement. Each statement sends a handful of array parameters (not one bind
 * parameter per value), so the limit only bounds the size of one statement.
 */
export const ROWS_PER_STATEMENT = 10_000;
const INSERT_CHUNK = ROWS_PER_STATEMENT;

/**
 * A Postgres array literal of numbers (`{1.5,-2,null}`). Built here because postgres.js's generic
 * array serialiser escapes every element, which costs more than the insert itself for wide
 * batches. JSON writes each number as the shortest text that parses back to the same double (and
 * null as `null`, which Postgres reads as NULL), so values round-trip exactly. Callers pass plain
 * arrays of finite numbers (validated at the API) or null.
 */
function numericArrayLiteral(values: readonly (number | null)[]): string {
  // NaN (a missing value) is Postgres' 'NaN'; JSON would write it as null.
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out +=
      (i === 0 ? '' : ',') + (v === null || v === undefined ? 'NULL' : Number.isNaN(v) ? 'NaN' : String(v));
  }
  return `{${out}}`;
}

/** All rows' values in one row-major list (every row has `width` values). */
function flatten(rows: readonly (readonly number[])[], width: number): number[] {
  const flat = new Array<number>(rows.length * width);
  let k = 0;
  for (const row of rows) for (let c = 0; c < width; c++) flat[k++] = row[c]!;
  return flat;
}

/** Inserts the batch header; returns its key, or null when the batch id was already stored. */
export async function insertBatch(
  sql: Queryable,
  pipeline: number,
  batch: { batchId: string; rowCount: number; labelledCount: number; source: string },
): Promise<number | null> {
  // name: insert-batch
  const [row] = await sql<{ id: string }[]>`
    insert into batches (pipeline_id, batch_id, row_count, labelled_count, source)
    values (${pipeline}, ${batch.batchId}, ${batch.rowCount}, ${batch.labelledCount}, ${batch.source})
    on conflict (pipeline_id, batch_id) do nothing
    returning id`;
  return row ? Number(row.id) : null;
}

/** The array literals of a chunk of rows, as the insert statements take them. */
function rowArrays(rows: RowToStore[]) {
  const width = rows[0]!.features.length;
  return {
    width,
    features: numericArrayLiteral(
      flatten(
        rows.map((r) => r.features),
        width,
      ),
    ),
    labels: numericArrayLiteral(rows.map((r) => r.label)),
    scoredLabels: numericArrayLiteral(rows.map((r) => r.scoredLabel)),
    scoredVersions: numericArrayLiteral(rows.map((r) => r.scoredVersion)),
  };
}

/**
 * The batch header and its rows (at most {@link ROWS_PER_STATEMENT}) in one statement, which is
 * atomic by itself: no BEGIN/COMMIT round trips. Returns the batch key, or null when the batch id
 * was already stored (then nothing is stored).
 */
export async function insertBatchWithRows(
  sql: Queryable,
  pipeline: number,
  batch: { batchId: string; rowCount: number; labelledCount: number; source: string },
  rows: RowToStore[],
): Promise<number | null> {
  if (rows.length > ROWS_PER_STATEMENT) {
    throw new Error(
      `insertBatchWithRows takes at most ${ROWS_PER_STATEMENT} rows; use insertBatch + insertRows`,
    );
  }
  const a = rowArrays(rows);
  // name: insert-batch-with-rows
  const [result] = await sql<{ batch_pk: string | null; stored: number }[]>`
    with batch as (
      insert into batches (pipeline_id, batch_id, row_count, labelled_count, source)
      values (${pipeline}, ${batch.batchId}, ${batch.rowCount}, ${batch.labelledCount}, ${batch.source})
      on conflict (pipeline_id, batch_id) do nothing
      returning id
    ), stored as (
      insert into rows (pipeline_id, batch_pk, features, label, scored_label, scored_version)
      select ${pipeline}::int, batch.id, f.features[(r.i - 1) * ${a.width}::int + 1 : r.i * ${a.width}::int], r.label, r.scored_label, r.scored_version
      from batch, (select ${a.features}::float8[] as features) f,
        unnest(${a.labels}::int[], ${a.scoredLabels}::int[], ${a.scoredVersions}::int[])
          with ordinality as r(label, scored_label, scored_version, i)
      order by r.i
      returning 1
    )
    select (select id from batch) as batch_pk, (select count(*) from stored)::int as stored`;
  return result?.batch_pk == null ? null : Number(result.batch_pk);
}

/**
 * One statement per chunk: the features travel as one flat float8[] sliced back into rows in
 * SQL, the other columns as int[] unnested in step (about twice the rate of a multi-row VALUES
 * insert of the same rows, measured in bench/api). Rows keep their order.
 */
export async function insertRows(
  sql: Queryable,
  pipeline: number,
  batchPk: number,
  rows: RowToStore[],
): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    const a = rowArrays(rows.slice(start, start + INSERT_CHUNK));
    // name: insert-rows
    await sql`
      insert into rows (pipeline_id, batch_pk, features, label, scored_label, scored_version)
      select ${pipeline}::int, ${batchPk}::bigint, f.features[(r.i - 1) * ${a.width}::int + 1 : r.i * ${a.width}::int], r.label, r.scored_label, r.scored_version
      from (select ${a.features}::float8[] as features) f,
        unnest(${a.labels}::int[], ${a.scoredLabels}::int[], ${a.scoredVersions}::int[])
          with ordinality as r(label, scored_label, scored_version, i)
      order by r.i`;
  }
}

/**
 * Fixes the pipeline's feature count on first use (under its row's lock) and returns the count in
 * force, so concurrent first batches of different widths cannot both win.
 */
export async function claimFeatureCount(
  sql: Queryable,
  pipeline: number,
  nFeatures: number,
): Promise<number> {
  // name: claim-feature-count
  const [row] = await sql<{ n_features: number }[]>`
    update pipelines set n_features = coalesce(n_features, ${nFeatures}),
      updated_at = case when n_features is null then now() else updated_at end
    where id = ${pipeline}
    returning n_features`;
  if (!row) throw new Error(`pipeline ${pipeline} does not exist`);
  return row.n_features;
}

export async function readFeatureCount(sql: Queryable, pipeline: number): Promise<number | null> {
  // name: read-feature-count
  const [row] = await sql<
    { n_features: number | null }[]
  >`select n_features from pipelines where id = ${pipeline}`;
  return row?.n_features ?? null;
}

export interface PredictionToStore {
  features: number[];
  label: number;
  probabilities: number[];
  modelVersion: number;
}

/**
 * How far the prediction id sequence moves past its state after Postgres restarted. With
 * asynchronous commit, the sequence's WAL (logged 32 values ahead) may be lost with the newest
 * predictions in a crash, and the sequence comes back behind ids already returned: those ids would
 * be handed out again, and late feedback would label someone else's prediction. The loss window
 * is the WAL not yet flushed, at most 3 × wal_writer_delay (600 ms by default); ten million ids
 * cover it at any rate one Postgres can insert, and a bigint sequence can afford it at every
 * restart (clean restarts and failovers included, since neither can be told from a crash here).
 */
export const PREDICTION_ID_FENCE_GAP = 10_000_000;

/**
 * Moves the prediction id sequence past every id it may have handed out before the running
 * postmaster started, once per postmaster start (the first prediction after a restart waits for
 * it). Run with synchronous commit: the move must be durable before any id after it is handed out.
 * Returns true when this call moved it.
 */
export async function fencePredictionIds(sql: Queryable & { begin: Sql['begin'] }): Promise<boolean> {
  return sql.begin(async (tx) => {
    // name: lock-prediction-fence
    await tx`insert into platform_settings (id) values (1) on conflict (id) do nothing`;
    const [state] = await tx<{ current: boolean; used: boolean }[]>`
      select prediction_id_fence is not distinct from pg_postmaster_start_time() as current,
        (select is_called from predictions_id_seq) as used
      from platform_settings where id = 1 for update`;
    if (state?.current) return false;
    if (state?.used) {
      // name: fence-prediction-ids
      await tx`select setval('predictions_id_seq',
        greatest((select last_value from predictions_id_seq), (select coalesce(max(id), 0) from predictions))
          + ${PREDICTION_ID_FENCE_GAP})`;
    }
    await tx`update platform_settings set prediction_id_fence = pg_postmaster_start_time() where id = 1`;
    return Boolean(state?.used);
  });
}

/**
 * Stores predictions in one statement per chunk (flat arrays, as {@link insertRows}); returns
 * their ids in the order of `predictions`. Each statement stores nothing unless the id sequence
 * was fenced for the running postmaster (see PREDICTION_ID_FENCE_GAP); then `fence` runs and the
 * chunk is tried again.
 */
export async function insertPredictions(
  sql: Queryable,
  pipeline: number,
  predictions: PredictionToStore[],
  fence: () => Promise<unknown>,
): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < predictions.length; start += INSERT_CHUNK) {
    const chunk = predictions.slice(start, start + INSERT_CHUNK);
    let chunkIds = await insertPredictionChunk(sql, pipeline, chunk);
    if (chunkIds.length === 0) {
      await fence();
      chunkIds = await insertPredictionChunk(sql, pipeline, chunk);
      if (chunkIds.length === 0)
        throw new Error('predictions were not stored: the id fence could not be set');
    }
    for (const id of chunkIds) ids.push(id);
  }
  return ids;
}

async function insertPredictionChunk(
  sql: Queryable,
  pipeline: number,
  chunk: PredictionToStore[],
): Promise<number[]> {
  if (chunk.length === 1) return insertOnePrediction(sql, pipeline, chunk[0]!);
  const width = chunk[0]!.features.length;
  const classes = chunk[0]!.probabilities.length;
  const features = numericArrayLiteral(
    flatten(
      chunk.map((p) => p.features),
      width,
    ),
  );
  const probabilities = numericArrayLiteral(
    flatten(
      chunk.map((p) => p.probabilities),
      classes,
    ),
  );
  const labels = numericArrayLiteral(chunk.map((p) => p.label));
  const versions = numericArrayLiteral(chunk.map((p) => p.modelVersion));
  // name: insert-predictions
  const rows = await sql<{ id: string }[]>`
    insert into predictions (pipeline_id, features, label, probabilities, model_version)
    select ${pipeline}::int, f.features[(r.i - 1) * ${width}::int + 1 : r.i * ${width}::int], r.label,
      f.probabilities[(r.i - 1) * ${classes}::int + 1 : r.i * ${classes}::int], r.model_version
    from (select ${features}::float8[] as features, ${probabilities}::real[] as probabilities) f,
      unnest(${labels}::int[], ${versions}::int[]) with ordinality as r(label, model_version, i)
    where exists (select 1 from platform_settings
      where id = 1 and prediction_id_fence = pg_postmaster_start_time())
    order by r.i
    returning id`;
  // Ids come from one sequence in insertion order (which is r.i order), so ascending id order
  // is input order whatever order RETURNING lists them in.
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/**
 * One prediction (a single-row predict, the latency-bound case): the same fence check without the
 * arrays to slice, about a quarter less time in Postgres than the batch statement for one row.
 */
async function insertOnePrediction(
  sql: Queryable,
  pipeline: number,
  p: PredictionToStore,
): Promise<number[]> {
  // name: insert-prediction
  const rows = await sql<{ id: string }[]>`
    insert into predictions (pipeline_id, features, label, probabilities, model_version)
    select ${pipeline}::int, ${numericArrayLiteral(p.features)}::float8[], ${p.label}::int,
      ${numericArrayLiteral(p.probabilities)}::real[], ${p.modelVersion}::int
    where exists (select 1 from platform_settings
      where id = 1 and prediction_id_fence = pg_postmaster_start_time())
    returning id`;
  return rows.map((r) => Number(r.id));
}

/**
 * Stores delayed labels; returns the ids updated. Unless `overwrite`, a prediction that already
 * has feedback keeps it (and is not in the result).
 */
export async function recordFeedback(
  sql: Queryable,
  pipeline: number,
  ids: number[],
  labels: number[],
  overwrite = true,
): Promise<number[]> {
  // name: record-feedback
  const rows = await sql<{ id: string }[]>`
    update predictions p set feedback_label = f.label, feedback_at = now()
    from unnest(${ids}::bigint[], ${labels}::int[]) as f(id, label)
    where p.id = f.id and p.pipeline_id = ${pipeline} and (${overwrite} or p.feedback_label is null)
    returning p.id`;
  return rows.map((r) => Number(r.id));
}

/** The predictions among `ids` whose feedback is already `labels`' class (sent before). */
export async function predictionsWithFeedback(
  sql: Queryable,
  pipeline: number,
  ids: number[],
  labels: number[],
): Promise<Set<number>> {
  // name: predictions-with-feedback
  const rows = await sql<{ id: string }[]>`
    select p.id from predictions p
    join unnest(${ids}::bigint[], ${labels}::int[]) as f(id, label) on p.id = f.id
    where p.pipeline_id = ${pipeline} and p.feedback_label = f.label`;
  return new Set(rows.map((r) => Number(r.id)));
}

export async function existingPredictionIds(
  sql: Queryable,
  pipeline: number,
  ids: number[],
): Promise<Set<number>> {
  // name: existing-prediction-ids
  const rows = await sql<{ id: string }[]>`
    select id from predictions where id = any(${ids}::bigint[]) and pipeline_id = ${pipeline}`;
  return new Set(rows.map((r) => Number(r.id)));
}

/**
 * Where a new regime begins in the labelled stream. Ingested rows of one batch share
 * `created_at`, so a change point inside a batch is the pair (time, first row id): rows count from
 * (at, rowId) on in (created_at, id) order, predictions with feedback served from `at` on. Without
 * `rowId`, everything served at or after `at` counts.
 */
export interface RegimeStart {
  at: Date;
  rowId: number | null;
}

/**
 * The regime's start time as the database stores it: the row's own `created_at` (microseconds;
 * a JavaScript Date keeps milliseconds, which would sort the row's whole batch after it), or `at`.
 */
function regimeStartSql(sql: Queryable, at: Date | null, rowId: number) {
  return sql`coalesce((select created_at from rows where id = ${rowId}::bigint), ${at}::timestamptz)`;
}

/**
 * The training window: the newest `limit` labelled examples, oldest first: ingested rows with a
 * label and served predictions that received a feedback label, ordered by when the row was served
 * (a late label keeps its prediction's place, D14). With `since`, only examples served from the
 * start of that regime on: a row served before a change never enters the new regime's window,
 * however late its label came.
 */
export async function readLabelledWindow(
  sql: Queryable,
  pipeline: number,
  limit: number,
  since: RegimeStart | null = null,
  /** Labels at or above this are left out (stored before MAX_CLASSES was lowered, or before it existed). */
  maxClasses = 65_536,
): Promise<{
  features: number[][];
  labels: number[];
  firstAt: Date | null;
  lastAt: Date | null;
  firstRowId: number | null;
  lastRowId: number | null;
  /** When each row was served (ingested, or predicted for feedback), in the window's order. */
  servedAt: Date[];
}> {
  // name: read-labelled-window
  const at = since?.at ?? null;
  const rowId = since?.rowId ?? 0;
  const rows = await sql<{ src: string; id: string; features: Uint8Array; label: number; at: Date }[]>`
    select src, id, array_send(features) as features, label, at from (
      (select 'r' as src, id, features, label, created_at as at from rows
        where pipeline_id = ${pipeline} and label is not null and label < ${maxClasses}
          and (${at}::timestamptz is null or (created_at, id) >= (${regimeStartSql(sql, at, rowId)}, ${rowId}::bigint))
        order by id desc limit ${limit})
      union all
      (select 'p' as src, id, features, feedback_label as label, created_at as at from predictions
        where pipeline_id = ${pipeline} and feedback_label is not null and feedback_label < ${maxClasses}
          and (${at}::timestamptz is null or created_at >= ${at}::timestamptz)
        order by id desc limit ${limit})
      order by at desc, id desc limit ${limit}
    ) w order by at, id`;
  // A loop, not Math.min(...ids): spreading 125k+ arguments overflows the stack (TRAIN_WINDOW).
  let firstRowId: number | null = null;
  let lastRowId: number | null = null;
  for (const r of rows) {
    if (r.src !== 'r') continue;
    const id = Number(r.id);
    if (firstRowId === null || id < firstRowId) firstRowId = id;
    if (lastRowId === null || id > lastRowId) lastRowId = id;
  }
  return {
    features: rows.map((r) => float8ArrayFromBinary(r.features)),
    labels: rows.map((r) => r.label),
    firstAt: rows[0]?.at ?? null,
    lastAt: rows[rows.length - 1]?.at ?? null,
    firstRowId,
    lastRowId,
    servedAt: rows.map((r) => r.at),
  };
}

/** When a stored row was ingested (null: no such row, e.g. dropped by retention). */
export async function rowCreatedAt(sql: Queryable, pipeline: number, rowId: number): Promise<Date | null> {
  // name: row-created-at
  const [row] = await sql<{ at: Date }[]>`
    select created_at as at from rows where pipeline_id = ${pipeline} and id = ${rowId}`;
  return row?.at ?? null;
}

/**
 * The newest `limit` labelled rows served before the regime that starts at `before`, in serve
 * order: the past a retrain after a located change checks its features against.
 */
export async function readLabelledBefore(
  sql: Queryable,
  pipeline: number,
  limit: number,
  before: RegimeStart,
  maxClasses = 65_536,
): Promise<{ features: number[][]; labels: number[] }> {
  // name: read-labelled-before
  const rowId = before.rowId ?? 0;
  const rows = await sql<{ features: Uint8Array; label: number }[]>`
    select array_send(features) as features, label from (
      (select id, features, label, created_at as at from rows
        where pipeline_id = ${pipeline} and label is not null and label < ${maxClasses}
          and (created_at, id) < (${regimeStartSql(sql, before.at, rowId)}, ${rowId}::bigint)
        order by id desc limit ${limit})
      union all
      (select id, features, feedback_label as label, created_at as at from predictions
        where pipeline_id = ${pipeline} and feedback_label is not null and feedback_label < ${maxClasses}
          and created_at < ${before.at}
        order by id desc limit ${limit})
      order by at desc, id desc limit ${limit}
    ) w order by at, id`;
  return { features: rows.map((r) => float8ArrayFromBinary(r.features)), labels: rows.map((r) => r.label) };
}

/** Labelled examples of the regime that starts at `since` (see RegimeStart). */
export async function countLabelledSince(
  sql: Queryable,
  pipeline: number,
  since: RegimeStart,
): Promise<number> {
  // name: count-labelled-since
  const [row] = await sql<{ n: number }[]>`
    select (select count(*) from rows where pipeline_id = ${pipeline} and label is not null
              and (created_at, id) >= (${regimeStartSql(sql, since.at, since.rowId ?? 0)}, ${since.rowId ?? 0}::bigint))::int
         + (select count(*) from predictions where pipeline_id = ${pipeline} and feedback_label is not null
              and created_at >= ${since.at})::int as n`;
  return row?.n ?? 0;
}

/**
 * Labelled examples served from `since` on, counted up to `cap` (a back-off only asks whether it
 * has run: a long-past start must not cost a count of everything since).
 */
export async function countLabelledSinceUpTo(
  sql: Queryable,
  pipeline: number,
  since: Date,
  cap: number,
): Promise<number> {
  // name: count-labelled-since-up-to
  const [row] = await sql<{ n: number }[]>`
    select (select count(*) from (select 1 from rows where pipeline_id = ${pipeline} and label is not null
              and created_at >= ${since} limit ${cap}) r)::int
         + (select count(*) from (select 1 from predictions where pipeline_id = ${pipeline}
              and feedback_label is not null and created_at >= ${since} limit ${cap}) p)::int as n`;
  return Math.min(cap, row?.n ?? 0);
}

/** Rows the model saw (predictions and ingested rows) since a moment: a quiet stream has none. */
/**
 * Labelled outcomes that arrived after `since`: labelled rows ingested, and labels sent back for
 * predictions (by when the label came, not when the row was served).
 */
export async function countLabelsArrivedSince(
  sql: Queryable,
  pipeline: number,
  since: Date,
): Promise<number> {
  // name: count-labels-arrived-since
  const [row] = await sql<{ n: number }[]>`
    select (select count(*) from rows
             where pipeline_id = ${pipeline} and created_at > ${since} and label is not null)::int
         + (select count(*) from predictions
             where pipeline_id = ${pipeline} and feedback_label is not null
               and feedback_at > ${since})::int as n`;
  return row?.n ?? 0;
}

export async function countLabelledRows(sql: Queryable, pipeline: number): Promise<number> {
  // name: count-labelled-rows
  const [row] = await sql<{ n: number }[]>`
    select (select count(*) from rows where pipeline_id = ${pipeline} and label is not null)::int
         + (select count(*) from predictions where pipeline_id = ${pipeline} and feedback_label is not null)::int as n`;
  return row?.n ?? 0;
}

/**
 * How many classes (at most 2: all a first model needs to know) the newest `limit` labelled rows
 * and labelled predictions hold.
 */
export async function labelledClassesAmongNewest(
  sql: Queryable,
  pipeline: number,
  limit: number,
): Promise<number> {
  // name: labelled-classes-among-newest
  const [row] = await sql<{ n: number }[]>`
    select least(count(distinct label), 2)::int as n from (
      (select label from rows where pipeline_id = ${pipeline} and label is not null order by id desc limit ${limit})
      union all
      (select feedback_label as label from predictions
        where pipeline_id = ${pipeline} and feedback_label is not null order by id desc limit ${limit})
    ) s`;
  return row?.n ?? 0;
}

/** Served entities the drift window looks back over to decide between ingested rows and predictions. */
const SOURCE_LOOKBACK_WINDOWS = 10;

/**
 * The live feature stream's newest `limit` rows, newest first, each served row once (D6): a
 * client that predicts rows and then ingests them labelled sends each row twice. The window is
 * made of ingested rows when any were stored among the newest 10 × `limit` served entities,
 * else of predictions (a client that only predicts). `predicted` holds the classes given by
 * `version` only, so the predicted-class mix is never a blend of two models around a promotion.
 */
export async function readCurrentWindow(
  sql: Queryable,
  pipeline: number,
  limit: number,
  version: number,
): Promise<{
  features: number[][];
  /** The served entities' ids (of `source`), as `features`: newest first. */
  ids: number[];
  predicted: number[];
  newestPredictionId: number | null;
  newestRowId: number | null;
  source: 'rows' | 'predictions';
  /** The ids of the oldest and newest served entity (of `source`) in the window; null: empty. */
  span: ChunkSpan | null;
}> {
  type Served = { id: string; features: Uint8Array; predicted: number | null; v: number | null };
  // name: read-current-window-rows
  const rows = await sql<(Served & { created_at: Date })[]>`
    select id, array_send(features) as features, scored_label as predicted, scored_version as v, created_at from rows
      where pipeline_id = ${pipeline} order by id desc limit ${limit}`;
  // Predictions served after the newest ingested row: rows stopped coming once there are many.
  const newestRowAt = rows[0]?.created_at ?? null;
  // name: count-predictions-after
  const [after] = await sql<{ n: number }[]>`
    select count(*)::int as n from (select 1 from predictions
      where pipeline_id = ${pipeline} and (${newestRowAt}::timestamptz is null or created_at > ${newestRowAt}::timestamptz)
      limit ${SOURCE_LOOKBACK_WINDOWS * limit}) p`;
  const useRows = rows.length > 0 && (after?.n ?? 0) < SOURCE_LOOKBACK_WINDOWS * limit;
  // name: read-current-window-predictions
  const predictions = useRows
    ? []
    : await sql<Served[]>`
    select id, array_send(features) as features, label as predicted, model_version as v from predictions
      where pipeline_id = ${pipeline} order by id desc limit ${limit}`;
  // name: newest-prediction-id
  const [newest] = await sql<{ id: string | null }[]>`
    select max(id)::text as id from predictions where pipeline_id = ${pipeline}`;
  const served: Served[] = useRows ? rows : predictions;
  return {
    features: served.map((r) => float8ArrayFromBinary(r.features)),
    ids: served.map((r) => Number(r.id)),
    predicted: served
      .filter((r) => r.predicted !== null && r.v === version)
      .map((r) => r.predicted as number),
    newestPredictionId: newest?.id ? Number(newest.id) : null,
    newestRowId: rows[0] ? Number(rows[0].id) : null,
    source: useRows ? 'rows' : 'predictions',
    span:
      served.length > 0
        ? {
            source: useRows ? 'rows' : 'predictions',
            first: Number(served[served.length - 1]!.id),
            last: Number(served[0]!.id),
          }
        : null,
  };
}

/** The served rows (or predictions) a drift check tested: ids of the oldest and the newest. */
export interface ChunkSpan {
  source: 'rows' | 'predictions';
  first: number;
  last: number;
}

/**
 * The error stream of a model version, in arrival order: labelled ingested rows it scored and
 * predictions of it that received feedback. wrong: 1 = wrong, 0 = right; rowId: the ingested
 * row's id (null for a prediction's feedback), so a change point is located to the row.
 */
export async function readErrorStream(
  sql: Queryable,
  pipeline: number,
  version: number,
  limit: number,
): Promise<{ wrong: number[]; at: Date[]; rowId: (number | null)[] }> {
  // name: read-error-stream
  const rows = await sql<{ wrong: number; at: Date; src: string; id: string }[]>`
    select wrong, at, src, id from (
      (select (scored_label <> label)::int as wrong, created_at as at, 'r' as src, id from rows
        where pipeline_id = ${pipeline} and scored_version = ${version} and label is not null and scored_label is not null
        order by id desc limit ${limit})
      union all
      (select (label <> feedback_label)::int as wrong, feedback_at as at, 'p' as src, id from predictions
        where pipeline_id = ${pipeline} and model_version = ${version} and feedback_label is not null
        order by feedback_at desc limit ${limit})
      order by at desc, id desc limit ${limit}
    ) s order by at, id`;
  return {
    wrong: rows.map((r) => r.wrong),
    at: rows.map((r) => r.at),
    rowId: rows.map((r) => (r.src === 'r' ? Number(r.id) : null)),
  };
}

/**
 * The lineage's error stream: labelled outcomes of whichever version served, in serve order (an
 * ingested row when it was stored and scored, a prediction when it was served — never when its
 * label arrived, D14), the newest `limit`. wrong: 1 = wrong; version: the version that served;
 * rowId: the ingested row's id (null for a prediction's feedback).
 */
export async function readLineageErrorStream(
  sql: Queryable,
  pipeline: number,
  limit: number,
): Promise<{ wrong: number[]; at: Date[]; rowId: (number | null)[]; version: number[]; label: number[] }> {
  // name: read-lineage-error-stream
  const rows = await sql<{ wrong: number; at: Date; src: string; id: string; v: number; y: number }[]>`
    select wrong, at, src, id, v, y from (
      (select (scored_label <> label)::int as wrong, created_at as at, 'r' as src, id, scored_version as v,
          label as y from rows
        where pipeline_id = ${pipeline} and label is not null and scored_label is not null
        order by id desc limit ${limit})
      union all
      (select (label <> feedback_label)::int as wrong, created_at as at, 'p' as src, id, model_version as v,
          feedback_label as y
        from predictions
        where pipeline_id = ${pipeline} and feedback_label is not null
        order by id desc limit ${limit})
      order by at desc, id desc limit ${limit}
    ) s order by at, id`;
  return {
    wrong: rows.map((r) => r.wrong),
    at: rows.map((r) => r.at),
    rowId: rows.map((r) => (r.src === 'r' ? Number(r.id) : null)),
    version: rows.map((r) => r.v),
    label: rows.map((r) => r.y),
  };
}

/**
 * From this many rows on, rows and predictions go in through binary COPY ({@link copyBatchWithRows},
 * {@link copyPredictions}): a few more round trips, but no number → text conversions, which cost
 * the server's thread more than everything else of storing a large batch. Smaller batches keep
 * the single statement (fewer round trips is what matters for them).
 */
export const COPY_MIN_ROWS = 64;

const rowColumns = (pipeline: number, batchPk: number, width: number): CopyColumn<RowToStore>[] => [
  { kind: 'int4', value: () => pipeline },
  { kind: 'int8', value: () => batchPk },
  { kind: 'float8[]', value: (r) => r.features, width },
  { kind: 'int4', value: (r) => r.label },
  { kind: 'int4', value: (r) => r.scoredLabel },
  { kind: 'int4', value: (r) => r.scoredVersion },
];

/**
 * Streams `data` into a `copy … from stdin (format binary)` statement and resolves once Postgres
 * has stored it. postgres.js does not report a COPY that Postgres refuses after its last byte was
 * sent (its stream never finishes), so `stored` (a statement on the same connection, sent right
 * behind the copy's end: no extra round trip) is the signal: Postgres answers it after the COPY,
 * and it must resolve true only when the COPY stored the data. (A refusal that arrives before the
 * end fails the stream itself.)
 */
function copyIn(
  copy: { writable(): Promise<Writable> },
  data: Buffer,
  stored: () => Promise<boolean>,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    copy.writable().then((stream) => {
      stream.once('error', reject);
      // `_final` sends CopyDone; only once it has run does the connection take another statement.
      const final = stream._final!;
      stream._final = (callback) => {
        final.call(stream, callback);
        stored().then(
          (ok) => (ok ? resolve() : reject(new Error('Postgres refused the COPY (see its log)'))),
          (error: unknown) =>
            reject(new Error(`Postgres refused the COPY: ${String(error)}`, { cause: error })),
        );
      };
      stream.end(data);
    }, reject);
  });
}

/**
 * As {@link insertBatchWithRows} (null for a batch id already stored, then nothing is stored),
 * with the rows streamed in by binary COPY in the header's transaction. Two round trips on a
 * reserved connection: BEGIN with the header, then the COPY with a check and COMMIT right behind
 * it (`sql.begin` would take four).
 */
export async function copyBatchWithRows(
  sql: Sql,
  pipeline: number,
  batch: { batchId: string; rowCount: number; labelledCount: number; source: string },
  rows: RowToStore[],
): Promise<number | null> {
  const width = rows[0]!.features.length;
  const connection = await sql.reserve();
  let open = true;
  try {
    // name: copy-rows-begin
    void connection`begin`.catch(() => {}); // its failure fails the header insert too
    const batchPk = await insertBatch(connection, pipeline, batch);
    if (batchPk === null) return null;
    const data = copyBinary(rows, rowColumns(pipeline, batchPk, width));
    // name: copy-rows
    const copy = connection`copy rows (pipeline_id, batch_pk, features, label, scored_label, scored_version) from stdin (format binary)`;
    // A refused COPY aborts the transaction: the check fails (and COMMIT only rolls back).
    await copyIn(copy, data, async () => {
      // Sent in this order: a query is sent when its first `then` runs.
      // name: copy-rows-check
      const checked = connection`select 1`.then((r) => r.length === 1);
      // name: copy-rows-commit
      const committed = connection`commit`.then(
        () => true,
        () => false,
      );
      const ok = (await checked) && (await committed);
      open = false;
      return ok;
    });
    return batchPk;
  } finally {
    // name: copy-rows-rollback
    if (open) await connection`rollback`.catch(() => {});
    connection.release();
  }
}

/**
 * As {@link insertPredictions}: the ids are drawn from the sequence first
 * (only while it is fenced for the running postmaster; else `fence` runs and the draw is tried
 * again), then the predictions are streamed in with those ids by binary COPY.
 */
export async function copyPredictions(
  sql: Sql,
  pipeline: number,
  predictions: PredictionToStore[],
  fence: () => Promise<unknown>,
): Promise<number[]> {
  const width = predictions[0]!.features.length;
  const classes = predictions[0]!.probabilities.length;
  let ids = await drawPredictionIds(sql, predictions.length);
  if (ids.length === 0) {
    await fence();
    ids = await drawPredictionIds(sql, predictions.length);
    if (ids.length === 0) throw new Error('predictions were not stored: the id fence could not be set');
  }
  const data = copyBinary(predictions, [
    { kind: 'int8', value: (_p, i) => ids[i]! },
    { kind: 'int4', value: () => pipeline },
    { kind: 'float8[]', value: (p) => p.features, width },
    { kind: 'int4', value: (p) => p.label },
    { kind: 'float4[]', value: (p) => p.probabilities, width: classes },
    { kind: 'int4', value: (p) => p.modelVersion },
  ]);
  // One statement, atomic by itself: no transaction. Stored, the last id is there; refused, none is.
  await sql.reserve().then(async (connection) => {
    try {
      // name: copy-predictions
      const copy = connection`copy predictions (id, pipeline_id, features, label, probabilities, model_version) from stdin (format binary)`;
      const last = ids.at(-1)!;
      // name: copy-predictions-check
      await copyIn(
        copy,
        data,
        async () => (await connection`select 1 from predictions where id = ${last}`).length === 1,
      );
    } finally {
      connection.release();
    }
  });
  return ids;
}

/** `n` new prediction ids in ascending order, or none when the sequence is not fenced yet. */
async function drawPredictionIds(sql: Queryable, n: number): Promise<number[]> {
  // name: draw-prediction-ids
  const [row] = await sql<{ ids: string | null }[]>`
    select string_agg(nextval('predictions_id_seq')::text, ',' order by g) as ids
    from generate_series(1, ${n}::int) g
    where exists (select 1 from platform_settings
      where id = 1 and prediction_id_fence = pg_postmaster_start_time())`;
  if (!row?.ids) return [];
  return row.ids.split(',').map(Number);
}

/**
 * Among the newest `n` served entities (ingested rows and predictions, by serve time), how many
 * have a label: none means labels do not come in, and the features must decide alone.
 */
export async function labelledAmongNewest(
  sql: Queryable,
  pipeline: number,
  n: number,
): Promise<{ served: number; labelled: number }> {
  // name: labelled-among-newest
  const [row] = await sql<{ served: number; labelled: number }[]>`
    select count(*)::int as served, (count(*) filter (where labelled))::int as labelled from (
      (select created_at, id, label is not null as labelled from rows
        where pipeline_id = ${pipeline} order by id desc limit ${n})
      union all
      (select created_at, id, feedback_label is not null as labelled from predictions
        where pipeline_id = ${pipeline} order by id desc limit ${n})
      order by created_at desc, id desc limit ${n}
    ) s`;
  return { served: row?.served ?? 0, labelled: row?.labelled ?? 0 };
}
