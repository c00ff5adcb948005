/**
 * Which features to leave out of a retrain after a change: those whose values moved across the
 * change *and* whose use made a model of the rows before it predict the rows after it worse.
 *
 * A feature that tracks a level that keeps moving (a temperature through the seasons, a price, a
 * date) lets a forest learn thresholds that hold for a few weeks; after the next move every
 * split on it points the wrong way, the error rises, and the policy retrains again. Checking the
 * transfer over the change the policy has just located answers "does this feature still mean
 * what it meant?" on real evidence: the rows before the change are the past, the window the
 * future that the new model will face. Kaggle's adversarial validation and the covariate-shift
 * literature drop features that tell past from future; this keeps only the drops that the
 * labels say pay off, so a feature the concept needs (it moved, but the model cannot do without
 * it) stays.
 */
import { ksTest, normalSf } from '@automl-stream/drift';

export interface TransferRows {
  features: readonly (readonly number[])[];
  labels: readonly number[];
}

/** Trains on rows and predicts rows: the platform's forest or the benchmark's trainer. */
export type TransferFit = (
  rows: TransferRows,
) => Promise<{ predict(features: readonly (readonly number[])[]): ArrayLike<number> }>;

export interface TransferOptions {
  /** KS p-value below which a feature counts as moved across the change. @default 0.001 */
  shiftAlpha?: number;
  /**
   * A drop is kept when the transfer's paired wins over the rows it changed beat its losses by
   * this many standard errors (McNemar's z: (wins − losses) / √(wins + losses)), Bonferroni-
   * corrected for the features tried (with 3 tried, z ≥ 3.4). @default 3
   */
  minZ?: number;
  /** At most this many moved features are tried, the most moved first. @default 3 */
  maxTried?: number;
  /** Feature types: categorical columns are never dropped (their KS is meaningless). */
  categorical?: readonly boolean[];
}

export interface TransferStep {
  feature: number;
  /** KS statistic of the feature, before the change against the window. */
  shift: number;
  /** Transfer accuracy with this feature (and the ones kept dropped before it) left out. */
  accuracy: number;
  /** McNemar's z of the drop against the best transfer so far (positive: the drop predicts better). */
  z: number;
  kept: boolean;
}

export interface TransferResult {
  /** Features to leave out, in the order they were dropped. */
  dropped: number[];
  /** Transfer accuracy with every feature (a model of the rows before, scored on the window). */
  baseline: number;
  /** Transfer accuracy with `dropped` left out. */
  accuracy: number;
  steps: TransferStep[];
}

/** The rows with the given columns set to 0: a constant column, which a forest never splits on. */
export function withoutFeatures(
  features: readonly (readonly number[])[],
  dropped: readonly number[],
): number[][] {
  if (dropped.length === 0) return features.map((r) => [...r]);
  return features.map((r) => {
    const copy = [...r];
    for (const j of dropped) copy[j] = 0;
    return copy;
  });
}

function column(features: readonly (readonly number[])[], j: number): number[] {
  const out: number[] = [];
  for (const r of features) if (Number.isFinite(r[j])) out.push(r[j]!);
  return out;
}

/** The features that moved across the change (KS p < shiftAlpha), the most moved first. */
export function movedFeatures(
  before: readonly (readonly number[])[],
  window: readonly (readonly number[])[],
  options: TransferOptions = {},
): { feature: number; shift: number }[] {
  const alpha = options.shiftAlpha ?? 0.001;
  const nFeatures = window[0]?.length ?? 0;
  const moved: { feature: number; shift: number }[] = [];
  for (let j = 0; j < nFeatures; j++) {
    if (options.categorical?.[j]) continue;
    const a = column(before, j);
    const b = column(window, j);
    if (a.length < 20 || b.length < 20) continue;
    const ks = ksTest(a, b, { method: 'asymp' });
    if (ks.pValue < alpha) moved.push({ feature: j, shift: ks.statistic });
  }
  return moved.sort((x, y) => y.shift - x.shift);
}

/** Which window rows a model of the rows before, with `dropped` left out, predicts right. */
async function transferRight(
  before: TransferRows,
  window: TransferRows,
  dropped: readonly number[],
  fit: TransferFit,
): Promise<Uint8Array> {
  const model = await fit({ features: withoutFeatures(before.features, dropped), labels: before.labels });
  const predicted = model.predict(withoutFeatures(window.features, dropped));
  return Uint8Array.from(window.labels, (y, i) => (predicted[i] === y ? 1 : 0));
}

const share = (right: Uint8Array) => right.reduce((a, b) => a + b, 0) / Math.max(1, right.length);

/** McNemar's z of `b` against `a` on the same rows: (b's wins − its losses) / √(discordant). */
export function pairedZ(a: Uint8Array, b: Uint8Array): number {
  let wins = 0;
  let losses = 0;
  for (let i = 0; i < a.length; i++) {
    if (b[i]! > a[i]!) wins++;
    else if (b[i]! < a[i]!) losses++;
  }
  return wins + losses === 0 ? 0 : (wins - losses) / Math.sqrt(wins + losses);
}

/**
 * Greedy: the most moved feature first, each drop kept when it predicts the window better than
 * the best transfer so far by `minZ` standard errors (corrected for the number tried: each try
 * is a chance to keep a drop that only helped these rows). Never drops every feature.
 */
export async function transferMask(
  before: TransferRows,
  window: TransferRows,
  fit: TransferFit,
  options: TransferOptions = {},
): Promise<TransferResult> {
  const minZ = options.minZ ?? 3;
  const nFeatures = window.features[0]?.length ?? 0;
  const moved = movedFeatures(before.features, window.features, options).slice(0, options.maxTried ?? 3);
  if (moved.length === 0 || new Set(before.labels).size < 2)
    return { dropped: [], baseline: Number.NaN, accuracy: Number.NaN, steps: [] };
  let best = await transferRight(before, window, [], fit);
  const baseline = share(best);
  const dropped: number[] = [];
  const steps: TransferStep[] = [];
  for (const { feature, shift } of moved) {
    if (dropped.length + 1 >= nFeatures) break;
    const trial = [...dropped, feature];
    const right = await transferRight(before, window, trial, fit);
    const z = pairedZ(best, right);
    const kept = normalSf(z) * moved.length <= normalSf(minZ);
    steps.push({ feature, shift, accuracy: share(right), z, kept });
    if (!kept) continue;
    dropped.push(feature);
    best = right;
  }
  return { dropped, baseline, accuracy: share(best), steps };
}
