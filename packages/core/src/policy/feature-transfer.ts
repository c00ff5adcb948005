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
   * A set of features is left out when the transfer without them beats the transfer with every
   * feature by this many standard errors over the rows it changed (McNemar's z: (wins − losses) /
   * √(wins + losses)), Bonferroni-corrected for the sets tried (with 3 moved features, 7 sets:
   * z ≥ 3.6). @default 3
   */
  minZ?: number;
  /** At most this many moved features are tried (every set of them), the most moved first. @default 3 */
  maxTried?: number;
  /** Feature types: categorical columns are never dropped (their KS is meaningless). */
  categorical?: readonly boolean[];
}

export interface TransferStep {
  /** The set of moved features left out in this try, the most moved first. */
  features: number[];
  /** KS statistic of each, before the change against the window. */
  shifts: number[];
  /** Transfer accuracy with them left out. */
  accuracy: number;
  /** McNemar's z of the try against the transfer with every feature (positive: it predicts better). */
  z: number;
  /** Clears the corrected threshold. */
  passed: boolean;
  /** The set left out: the passing try that predicted the window best. */
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

/** Every non-empty set of the moved features that leaves at least one feature, the smaller first. */
function sets<T>(items: readonly T[], nFeatures: number): T[][] {
  const out: T[][] = [];
  for (let mask = 1; mask < 2 ** items.length; mask++) {
    const set = items.filter((_, j) => mask & (1 << j));
    if (set.length < nFeatures) out.push(set);
  }
  return out.sort((a, b) => a.length - b.length);
}

/**
 * Every set of the (at most `maxTried`) moved features is tried against the transfer with every
 * feature; of the sets that predict the window better by `minZ` standard errors, corrected for
 * the sets tried (each try is a chance to keep a drop that only helped these rows), the one that
 * predicts it best is left out (a tie: the smaller set). A greedy search (the most moved first,
 * each drop against the best so far) missed sets whose members pay only together: on Seattle's
 * hourly temperatures, leaving out the temperature and its changes over 1 h and 24 h transferred
 * at 98.7 % where each alone did not clear the threshold (91.5 % with every feature). Never
 * leaves every feature out.
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
  const all = await transferRight(before, window, [], fit);
  const tries = sets(moved, nFeatures);
  const steps: TransferStep[] = [];
  for (const set of tries) {
    const right = await transferRight(
      before,
      window,
      set.map((m) => m.feature),
      fit,
    );
    const z = pairedZ(all, right);
    steps.push({
      features: set.map((m) => m.feature),
      shifts: set.map((m) => m.shift),
      accuracy: share(right),
      z,
      passed: normalSf(z) * tries.length <= normalSf(minZ),
      kept: false,
    });
  }
  let best: TransferStep | null = null;
  for (const step of steps) if (step.passed && (!best || step.accuracy > best.accuracy)) best = step;
  if (best) best.kept = true;
  return {
    dropped: best?.features ?? [],
    baseline: share(all),
    accuracy: best?.accuracy ?? share(all),
    steps,
  };
}
