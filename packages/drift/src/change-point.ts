import { Adwin } from './detectors/adwin.ts';

/*
 * Change points in an error stream (1 = wrong, 0 = right). Moved here from
 * packages/core/src/drift-policy.ts, unchanged, so the policy (packages/core/src/policy) and the
 * current check share one copy; the core switches its import when the new policy is wired in.
 */

export interface ConceptDriftResult {
  detected: boolean;
  detector: 'adwin' | null;
  errors: number;
  errorRateBefore: number | null;
  errorRateAfter: number | null;
  changeIndex: number | null;
  changeAt: string | null;
  /** The ingested row at the change point (null when it is a prediction's feedback). */
  changeRowId: number | null;
}

/** Smallest segment on either side of a change point. */
const MIN_SEGMENT = 10;
/** z-score the rise in error rate must reach at the change point (two-proportion test). */
const MIN_RISE_Z = 3;

/**
 * Error rates before and after `cut` within errors[from..to) and the two-proportion z of the rise;
 * null when a side is shorter than 10 outcomes.
 */
export function errorRise(
  errors: ArrayLike<number>,
  cut: number,
  from = 0,
  to = errors.length,
): { before: number; after: number; z: number } | null {
  const n = to - from;
  const k = cut - from;
  if (k < MIN_SEGMENT || n - k < MIN_SEGMENT) return null;
  let head = 0;
  let total = 0;
  for (let i = from; i < to; i++) {
    total += errors[i]!;
    if (i < cut) head += errors[i]!;
  }
  const before = head / k;
  const after = (total - head) / (n - k);
  const pooled = total / n;
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / k + 1 / (n - k)));
  return { before, after, z: se > 0 ? (after - before) / se : 0 };
}

/**
 * The split in errors[from..to) with the largest significant rise in error rate (binary
 * segmentation: maximises the between-segment variance k(n-k)/n · (after - before)²), or null.
 */
export function strongestRise(errors: ArrayLike<number>, from: number, to = errors.length): number | null {
  const n = to - from;
  if (n < 2 * MIN_SEGMENT) return null;
  let total = 0;
  for (let i = from; i < to; i++) total += errors[i]!;
  let prefix = 0;
  let best: { k: number; score: number } | null = null;
  for (let k = 1; k < n; k++) {
    prefix += errors[from + k - 1]!;
    if (k < MIN_SEGMENT || n - k < MIN_SEGMENT) continue;
    const before = prefix / k;
    const after = (total - prefix) / (n - k);
    if (after <= before) continue;
    const score = ((k * (n - k)) / n) * (after - before) ** 2;
    if (!best || score > best.score) best = { k, score };
  }
  if (!best) return null;
  const rise = errorRise(errors, from + best.k, from, to);
  return rise && rise.z >= 2 ? from + best.k : null;
}

/**
 * ADWIN (River's defaults) over the error stream. At each detection ADWIN drops the part of its
 * window that no longer matches; what it keeps is its estimate of the new regime, so the newest
 * detection's cut marks where the change began (a conservative, late estimate: the retrain then
 * learns from rows that surely belong to the new concept). Drift counts only when the error rate
 * rose significantly across that cut (z ≥ 3). Page-Hinkley is not used for the verdict: with
 * River's defaults it false-alarms on long stationary streams (measured in packages/drift).
 */
export function detectConceptDrift(
  errors: ArrayLike<number>,
  at: readonly Date[],
  rowIds: readonly (number | null)[] = [],
): ConceptDriftResult {
  const adwin = new Adwin();
  let adwinCut: number | null = null;
  for (let i = 0; i < errors.length; i++) {
    if (adwin.update(errors[i]!).drift) adwinCut = i + 1 - adwin.width;
  }
  // ADWIN's kept window may still hold some old-regime items; the most likely rise inside it
  // (when significant) places the change more precisely.
  const cut = adwinCut === null ? null : (strongestRise(errors, adwinCut) ?? adwinCut);
  const rise = cut === null ? null : errorRise(errors, cut);
  const detected = rise !== null && rise.z >= MIN_RISE_Z;
  return {
    detected,
    detector: cut === null ? null : 'adwin',
    errors: errors.length,
    errorRateBefore: rise?.before ?? null,
    errorRateAfter: rise?.after ?? null,
    changeIndex: detected ? cut : null,
    changeAt: detected && cut !== null ? (at[cut]?.toISOString() ?? null) : null,
    changeRowId: detected && cut !== null ? (rowIds[cut] ?? null) : null,
  };
}
