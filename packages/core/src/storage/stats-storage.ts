import type { Queryable } from '@automl-stream/db';

export interface PlatformStats {
  predictionsTotal: number;
  rowsIngested: number;
  labelledRows: number;
  batchesIngested: number;
  feedbackReceived: number;
  driftChecks: number;
  driftEvents: number;
  retrains: number;
  modelVersions: number;
  activeModelVersion: number | null;
  /** Test-then-train accuracy of the serving version over its newest labelled rows (and feedback). */
  currentAccuracy: number | null;
  currentAccuracyRows: number;
  lastDriftCheckAt: Date | null;
  lastEventId: number;
}

export async function readStats(
  sql: Queryable,
  pipeline: number,
  accuracyWindow: number,
): Promise<PlatformStats> {
  // name: read-stats (one round trip; counts are exact)
  // Counts are bigint (they pass 2^31 on a busy platform), sent as text and read as exact numbers.
  const [s] = await sql<
    {
      predictions: string;
      rows: string;
      labelled: string;
      batches: string;
      feedback: string;
      checks: string;
      drifts: string;
      retrains: string;
      versions: string;
      active: number | null;
      last_check: Date | null;
      last_event: string | null;
    }[]
  >`
    select
      (select count(*) from predictions where pipeline_id = ${pipeline}) as predictions,
      (select count(*) from rows where pipeline_id = ${pipeline}) as rows,
      (select count(*) from rows where pipeline_id = ${pipeline} and label is not null) as labelled,
      (select count(*) from batches where pipeline_id = ${pipeline}) as batches,
      (select count(*) from predictions where pipeline_id = ${pipeline} and feedback_label is not null) as feedback,
      (select count(*) from drift_checks where pipeline_id = ${pipeline}) as checks,
      (select count(*) from drift_checks where pipeline_id = ${pipeline} and drifted) as drifts,
      (select count(*) from training_jobs where pipeline_id = ${pipeline}) as retrains,
      (select count(*) from model_versions where pipeline_id = ${pipeline}) as versions,
      (select version from model_versions where pipeline_id = ${pipeline} and status = 'production') as active,
      (select max(created_at) from drift_checks where pipeline_id = ${pipeline}) as last_check,
      (select max(id) from events where pipeline_id = ${pipeline}) as last_event`;
  let accuracy: number | null = null;
  let accuracyRows = 0;
  if (s?.active != null) {
    // name: current-accuracy
    const [a] = await sql<{ acc: number | null; n: number }[]>`
      select avg(right_)::float8 as acc, count(*)::int as n from (
        (select (scored_label = label)::int as right_ from rows
          where pipeline_id = ${pipeline} and scored_version = ${s.active} and label is not null and scored_label is not null
          order by id desc limit ${accuracyWindow})
        union all
        (select (label = feedback_label)::int from predictions
          where pipeline_id = ${pipeline} and model_version = ${s.active} and feedback_label is not null
          order by feedback_at desc limit ${accuracyWindow})
      ) x`;
    accuracy = a?.acc ?? null;
    accuracyRows = a?.n ?? 0;
  }
  return {
    predictionsTotal: Number(s?.predictions ?? 0),
    rowsIngested: Number(s?.rows ?? 0),
    labelledRows: Number(s?.labelled ?? 0),
    batchesIngested: Number(s?.batches ?? 0),
    feedbackReceived: Number(s?.feedback ?? 0),
    driftChecks: Number(s?.checks ?? 0),
    driftEvents: Number(s?.drifts ?? 0),
    retrains: Number(s?.retrains ?? 0),
    modelVersions: Number(s?.versions ?? 0),
    activeModelVersion: s?.active ?? null,
    currentAccuracy: accuracy,
    currentAccuracyRows: accuracyRows,
    lastDriftCheckAt: s?.last_check ?? null,
    lastEventId: Number(s?.last_event ?? 0),
  };
}

export interface AccuracyPoint {
  /** Position of the bucket's last labelled row in the labelled stream (1-based). */
  position: number;
  accuracy: number;
  count: number;
  modelVersion: number;
  at: Date;
}

/**
 * Most labelled rows one accuracy series reads: the newest ones. Its three window functions
 * sort what they read, so an unbounded read costs more with every row ever ingested.
 */
export const ACCURACY_SERIES_MAX_ROWS = 500_000;

/**
 * Accuracy in buckets of `bucketSize` outcomes, oldest first, the newest `limit` buckets. An
 * outcome is a labelled row scored by the serving version before it was stored (test-then-train)
 * or a prediction whose true class came back (feedback); they count in the order they were
 * served. A bucket never mixes model versions, so the chart can mark each change. Reads only the
 * newest (limit + 1) × bucketSize outcomes of each kind (at most ACCURACY_SERIES_MAX_ROWS);
 * positions count every outcome before them, so they are the same as over the whole stream.
 * Buckets start where a model version's run starts; for the run that the window cuts, they start
 * at the window's first outcome instead (so they may be cut at other rows than a read of the
 * whole stream).
 */
export async function readAccuracySeries(
  sql: Queryable,
  pipeline: number,
  bucketSize: number,
  limit: number,
): Promise<AccuracyPoint[]> {
  const windowRows = Math.min(ACCURACY_SERIES_MAX_ROWS, (limit + 1) * bucketSize);
  // name: accuracy-series (feedback read by its partial index: the newest answered predictions)
  const rows = await sql<
    { position: string; accuracy: number; count: number; model_version: number; at: Date }[]
  >`
    with outcomes as (
      (select created_at, 0 as kind, id, scored_version as v, (scored_label = label)::int as right_
        from rows where pipeline_id = ${pipeline} and label is not null and scored_label is not null
        order by id desc limit ${windowRows})
      union all
      (select created_at, 1, id, model_version, (label = feedback_label)::int
        from predictions where pipeline_id = ${pipeline} and feedback_label is not null
        order by feedback_at desc limit ${windowRows})
    ), recent as (
      select * from outcomes order by created_at desc, kind desc, id desc limit ${windowRows}
    ), earlier as (
      select (select count(*) from rows
                where pipeline_id = ${pipeline} and label is not null and scored_label is not null)
           + (select count(*) from predictions where pipeline_id = ${pipeline} and feedback_label is not null)
           - (select count(*) from recent) as n
    ), labelled as (
      select v, right_, created_at, (select n from earlier) + row_number() over (order by created_at, kind, id) as pos
      from recent
    ), grouped as (
      select v, right_, created_at, pos,
             pos - row_number() over (partition by v order by pos) as run
      from labelled
    ), buckets as (
      select v, run, (row_number() over (partition by v, run order by pos) - 1) / ${bucketSize} as b,
             right_, created_at, pos
      from grouped
    )
    select max(pos) as position, avg(right_)::float8 as accuracy, count(*)::int as count, v as model_version,
           max(created_at) as at
    from buckets group by v, run, b
    order by max(pos) desc limit ${limit}`;
  return rows
    .map((r) => ({
      position: Number(r.position),
      accuracy: r.accuracy,
      count: r.count,
      modelVersion: r.model_version,
      at: r.at,
    }))
    .reverse();
}

/** Predicted-class counts over the newest `window` predictions and scored rows. */
export async function readPredictionDistribution(sql: Queryable, pipeline: number, window: number) {
  // name: prediction-distribution
  const rows = await sql<{ label: number; n: number }[]>`
    select label, count(*)::int as n from (
      (select label from predictions where pipeline_id = ${pipeline} order by id desc limit ${window})
      union all
      (select scored_label as label from rows where pipeline_id = ${pipeline} and scored_label is not null
        order by id desc limit ${window})
    ) x group by label order by label`;
  return rows.map((r) => ({ label: r.label, count: r.n }));
}
