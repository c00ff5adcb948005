import type { DemoSummary } from './summary.ts';

/** One bucket of the platform's accuracy series (test-then-train accuracy of `count` scored rows). */
export interface AccuracyPoint {
  /** Global position (scored rows in id order) of the bucket's last row. */
  position: number;
  count: number;
  accuracy: number;
  modelVersion: number;
}

/** Bucket size the demo asks the accuracy series for. */
export const ACCURACY_BUCKET = 100;

const weightedMean = (points: { accuracy: number; count: number }[]) => {
  const n = points.reduce((s, p) => s + p.count, 0);
  return n === 0 ? null : points.reduce((s, p) => s + p.accuracy * p.count, 0) / n;
};

/** Scored positions and stream rows of one labelled batch the demo sent. */
export interface BatchRecord {
  /** Global positions (as in the accuracy series) of the batch's scored rows; last < first when none was scored. */
  firstScored: number;
  lastScored: number;
  /** Stream rows [startRow, endRow). */
  startRow: number;
  endRow: number;
}

/**
 * Accuracy before the drift, after it with the model that served at the drift point, and with the
 * newest retrained model; from the platform's accuracy series, mapped to stream rows through the
 * batches (a bucket counts on a side only when all its rows are on that side).
 */
export function accuracyAroundDrift(
  accuracySeries: AccuracyPoint[],
  run: { batchLog: BatchRecord[]; driftAt: number; versionAtDrift: number | null },
): DemoSummary['accuracy'] {
  const batchOf = (position: number) =>
    run.batchLog.find((b) => b.firstScored <= position && position <= b.lastScored);
  const buckets = accuracySeries.flatMap((p) => {
    const first = batchOf(p.position - p.count + 1);
    const last = batchOf(p.position);
    // Buckets of rows scored before the demo are not ours. (Positions count scored rows in id
    // order: the mapping assumes no other client stores labelled rows while the demo runs.)
    return first && last ? [{ ...p, startRow: first.startRow, endRow: last.endRow }] : [];
  });
  const beforeDrift = weightedMean(buckets.filter((b) => b.endRow <= run.driftAt));
  const stale = run.versionAtDrift;
  const after = buckets.filter((b) => b.startRow >= run.driftAt);
  const afterDriftStaleModel = weightedMean(after.filter((b) => b.modelVersion === stale));
  const newer = after.filter((b) => stale !== null && b.modelVersion > stale);
  const retrainedVersion = newer.length > 0 ? Math.max(...newer.map((b) => b.modelVersion)) : null;
  const afterRetrain = weightedMean(newer.filter((b) => b.modelVersion === retrainedVersion));
  return { beforeDrift, afterDriftStaleModel, afterRetrain, retrainedVersion };
}
