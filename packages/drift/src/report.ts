import type { CalibratedThresholds } from './calibration.ts';
import { jensenShannon } from './divergence.ts';
import { DriftInputError } from './errors.ts';
import { type KsMethod, ksTestSorted } from './ks.ts';
import { benjaminiHochberg, bonferroni } from './multiple-testing.ts';
import { type BinClosedSide, psiSorted } from './psi.ts';
import {
  defaultFeatureNames,
  extractColumn,
  type FeatureRows,
  featureCount,
  isPreparedReference,
  normalizedWasserstein,
  type PreparedReference,
  prepareReference,
} from './reference.ts';
import { wassersteinSorted } from './wasserstein.ts';

/** Multiple-testing correction applied to the per-feature KS p-values. */
export type PValueCorrection = 'bh' | 'bonferroni' | 'none';

export type DriftVerdict = 'drift' | 'no_drift' | 'insufficient_data';

export interface CompareOptions {
  /** Significance level for the (adjusted) KS p-values. @default 0.05 */
  pValue?: number;
  /** PSI at or above which a feature counts as drifted (the usual "significant shift" level). @default 0.2 */
  psiThreshold?: number;
  /** @default 'bh' (Benjamini-Hochberg) */
  correction?: PValueCorrection;
  /**
   * Share of drifted features at or above which the dataset verdict is 'drift'; 'any' means at least
   * one. @default 0.5
   *
   * Why 0.5 and not 'any': with 'any', the verdict is exactly a level-α test of "nothing drifted"
   * (Simes), so windows without drift are flagged 5 % of the time on average, and 1,000 seeded
   * windows land above 5 % about half the time. 0.5 (Evidently's default) keeps false alarms near 0
   * while any change that moves half of the features is caught; each feature's own flag is still in
   * the report, and 'any' is there for policies that retrain on a single drifted feature.
   */
  driftShare?: number | 'any';
  /** Rows needed in both the reference and the current window; below it the verdict is 'insufficient_data'. @default 100 */
  minSamples?: number;
  /** Names of the features, in column order (ignored for a prepared reference, which has its own). @default ['feature_0', ...] */
  featureNames?: readonly string[];
  /** @default 'auto' (exact KS distribution up to 10,000 rows per side, like scipy) */
  ksMethod?: KsMethod;
  /** Quantile bins for PSI and Jensen-Shannon. @default 10 */
  psiBins?: number;
  /** @default 'left' */
  psiClosed?: BinClosedSide;
  /**
   * Thresholds from `calibrateThresholds`. When given, a feature drifts when its KS statistic, PSI or
   * normalised Wasserstein distance exceeds its calibrated threshold, instead of the fixed `pValue`
   * and `psiThreshold` rules.
   */
  thresholds?: CalibratedThresholds;
}

export interface FeatureDrift {
  feature: string;
  index: number;
  ks: { statistic: number; pValue: number; method: 'exact' | 'asymp' };
  /** KS p-value after the multiple-testing correction. */
  pValueAdjusted: number;
  psi: number;
  /** Jensen-Shannon distance (base 2, in [0, 1]) on the PSI bins. */
  jensenShannon: number;
  /** Wasserstein-1 distance in the feature's units. */
  wasserstein: number;
  /** Wasserstein distance divided by the reference's standard deviation. */
  wassersteinNormalized: number;
  drifted: boolean;
  reason: string;
}

export interface DriftReport {
  drifted: boolean;
  verdict: DriftVerdict;
  /** Drifted features ÷ features (0 when there are no features or data). */
  driftedShare: number;
  nDrifted: number;
  nFeatures: number;
  nReference: number;
  nCurrent: number;
  reason: string;
  /** Per-feature results; empty when either sample has no rows. */
  features: FeatureDrift[];
  /** The settings the verdict was reached with, defaults filled in. */
  settings: {
    pValue: number;
    psiThreshold: number;
    correction: PValueCorrection;
    driftShare: number | 'any';
    minSamples: number;
    ksMethod: KsMethod;
    psiBins: number;
    psiClosed: BinClosedSide;
    thresholds: 'fixed' | 'calibrated';
  };
}

/** Short, stable rendering of a statistic for reasons (3 significant digits). */
function fmt(x: number): string {
  return Number(x.toPrecision(3)).toString();
}

function resolveSettings(options: CompareOptions): DriftReport['settings'] {
  const pValue = options.pValue ?? 0.05;
  const psiThreshold = options.psiThreshold ?? 0.2;
  const correction = options.correction ?? 'bh';
  const driftShare = options.driftShare ?? 0.5;
  const minSamples = options.minSamples ?? 100;
  const ksMethod = options.ksMethod ?? 'auto';
  // Calibrated PSI thresholds only apply to the binning they were calibrated with.
  const psiBins = options.psiBins ?? options.thresholds?.psiBins ?? 10;
  const psiClosed = options.psiClosed ?? options.thresholds?.psiClosed ?? 'left';
  if (!(pValue > 0 && pValue < 1))
    throw new DriftInputError(`compareDistributions: pValue must be in (0, 1), got ${pValue}`);
  if (!(psiThreshold > 0) || !Number.isFinite(psiThreshold)) {
    throw new DriftInputError(
      `compareDistributions: psiThreshold must be a positive number, got ${psiThreshold}`,
    );
  }
  if (correction !== 'bh' && correction !== 'bonferroni' && correction !== 'none') {
    throw new DriftInputError(
      `compareDistributions: correction must be 'bh', 'bonferroni' or 'none', got '${String(correction)}'`,
    );
  }
  if (driftShare !== 'any' && !(typeof driftShare === 'number' && driftShare > 0 && driftShare <= 1)) {
    throw new DriftInputError(
      `compareDistributions: driftShare must be in (0, 1] or 'any', got ${String(driftShare)}`,
    );
  }
  if (!Number.isInteger(minSamples) || minSamples < 1) {
    throw new DriftInputError(
      `compareDistributions: minSamples must be a positive integer, got ${minSamples}`,
    );
  }
  if (ksMethod !== 'auto' && ksMethod !== 'exact' && ksMethod !== 'asymp') {
    throw new DriftInputError(
      `compareDistributions: ksMethod must be 'auto', 'exact' or 'asymp', got '${String(ksMethod)}'`,
    );
  }
  if (!Number.isInteger(psiBins) || psiBins < 2) {
    throw new DriftInputError(`compareDistributions: psiBins must be an integer >= 2, got ${psiBins}`);
  }
  if (psiClosed !== 'left' && psiClosed !== 'right') {
    throw new DriftInputError(
      `compareDistributions: psiClosed must be 'left' or 'right', got '${String(psiClosed)}'`,
    );
  }
  const thresholds = options.thresholds;
  if (thresholds && (thresholds.psiBins !== psiBins || thresholds.psiClosed !== psiClosed)) {
    throw new DriftInputError(
      `compareDistributions: the thresholds were calibrated with ${thresholds.psiBins} ${thresholds.psiClosed}-closed PSI bins but psiBins/psiClosed ask for ${psiBins} ${psiClosed}-closed; recalibrate or drop those options`,
    );
  }
  return {
    pValue,
    psiThreshold,
    correction,
    driftShare,
    minSamples,
    ksMethod,
    psiBins,
    psiClosed,
    thresholds: options.thresholds ? 'calibrated' : 'fixed',
  };
}

const CORRECTION_LABEL: Record<PValueCorrection, string> = {
  bh: 'BH-adjusted',
  bonferroni: 'Bonferroni-adjusted',
  none: 'unadjusted',
};

/**
 * Compares the current window with the reference feature by feature and decides whether the data
 * has drifted.
 *
 * Per feature: two-sample KS test (statistic, p-value, p-value after the multiple-testing correction
 * across features), PSI and Jensen-Shannon distance on the reference's decile bins, Wasserstein
 * distance (raw and in reference standard deviations). With fixed thresholds a feature drifts when
 * its adjusted KS p-value is below `pValue` or its PSI reaches `psiThreshold`; with calibrated
 * thresholds when a statistic exceeds its threshold. The dataset drifts when the share of drifted
 * features reaches `driftShare`. With fewer than `minSamples` rows on either side the statistics are
 * still reported but the verdict is 'insufficient_data' and no feature is flagged.
 *
 * Each column is sorted once and the sorted arrays are shared by KS, PSI and Wasserstein; pass a
 * `prepareReference(...)` result to also skip re-sorting the reference on every check.
 *
 * @throws DriftInputError for ragged rows, non-finite values, mismatched feature counts or invalid options.
 */
export function compareDistributions(
  reference: FeatureRows | PreparedReference,
  current: FeatureRows,
  options: CompareOptions = {},
): DriftReport {
  const settings = resolveSettings(options);
  let prepared: PreparedReference;
  if (isPreparedReference(reference)) {
    prepared = reference;
  } else {
    // An empty reference takes its width from the current rows, so the verdict is "insufficient data".
    const names =
      options.featureNames ??
      (Array.isArray(reference) && reference.length === 0
        ? defaultFeatureNames(featureCount(current, 'current', 0))
        : undefined);
    prepared = prepareReference(reference, { featureNames: names });
  }
  const nFeatures = prepared.featureNames.length;
  const currentWidth = featureCount(current, 'current', nFeatures);
  if (currentWidth !== nFeatures) {
    throw new DriftInputError(
      `current rows have ${currentWidth} features but the reference has ${nFeatures}; both must have the same columns in the same order`,
    );
  }
  const thresholds = options.thresholds;
  if (thresholds && thresholds.features.length !== nFeatures) {
    throw new DriftInputError(
      `calibrated thresholds cover ${thresholds.features.length} features but the data has ${nFeatures}; recalibrate on this reference`,
    );
  }
  const nReference = prepared.nRows;
  const nCurrent = current.length;
  const base = { nFeatures, nReference, nCurrent, settings };
  if (nReference === 0 || nCurrent === 0) {
    return {
      ...base,
      drifted: false,
      verdict: 'insufficient_data',
      driftedShare: 0,
      nDrifted: 0,
      reason: `${nReference === 0 ? 'the reference' : 'the current window'} has no rows`,
      features: [],
    };
  }

  const measured = prepared.featureNames.map((feature, index) => {
    const ref = prepared.columns[index]!;
    const cur = extractColumn(current, index, nFeatures, feature, 'current').sort();
    const ks = ksTestSorted(ref, cur, { method: settings.ksMethod });
    const bins = psiSorted(ref, cur, { bins: settings.psiBins, closed: settings.psiClosed });
    const w = wassersteinSorted(ref, cur);
    return {
      feature,
      index,
      ks: { statistic: ks.statistic, pValue: ks.pValue, method: ks.method },
      psi: bins.psi,
      jensenShannon: jensenShannon(bins.referenceCounts, bins.currentCounts, { base: 2 }),
      wasserstein: w,
      wassersteinNormalized: normalizedWasserstein(w, prepared.stds[index]!, ref, cur),
    };
  });

  const rawP = measured.map((m) => m.ks.pValue);
  const adjusted =
    settings.correction === 'bh'
      ? benjaminiHochberg(rawP)
      : settings.correction === 'bonferroni'
        ? bonferroni(rawP)
        : rawP;
  const insufficient = nReference < settings.minSamples || nCurrent < settings.minSamples;
  const label = CORRECTION_LABEL[settings.correction];

  const features: FeatureDrift[] = measured.map((m, i) => {
    const pValueAdjusted = adjusted[i]!;
    let drifted: boolean;
    let reason: string;
    if (thresholds) {
      const t = thresholds.features[i]!;
      const exceeded: string[] = [];
      if (m.ks.statistic > t.ksStatistic.threshold) {
        exceeded.push(`KS D ${fmt(m.ks.statistic)} > ${fmt(t.ksStatistic.threshold)}`);
      }
      if (m.psi > t.psi.threshold) exceeded.push(`PSI ${fmt(m.psi)} > ${fmt(t.psi.threshold)}`);
      if (m.wassersteinNormalized > t.wassersteinNormalized.threshold) {
        exceeded.push(
          `Wasserstein/σ ${fmt(m.wassersteinNormalized)} > ${fmt(t.wassersteinNormalized.threshold)}`,
        );
      }
      drifted = exceeded.length > 0;
      reason = drifted ? exceeded.join('; ') : 'within calibrated thresholds';
    } else {
      const ksRejects = pValueAdjusted < settings.pValue;
      const psiExceeds = m.psi >= settings.psiThreshold;
      drifted = ksRejects || psiExceeds;
      const ksPart = `KS p ${fmt(pValueAdjusted)} (${label}) ${ksRejects ? '<' : '>='} ${settings.pValue}`;
      const psiPart = `PSI ${fmt(m.psi)} ${psiExceeds ? '>=' : '<'} ${settings.psiThreshold}`;
      if (ksRejects && psiExceeds) reason = `${ksPart}; ${psiPart}`;
      else if (ksRejects) reason = ksPart;
      else if (psiExceeds) reason = psiPart;
      else reason = `no drift: ${ksPart}, ${psiPart}`;
    }
    if (insufficient) {
      reason = `insufficient data (${nReference} reference and ${nCurrent} current rows, ${settings.minSamples} needed): ${reason}`;
      drifted = false;
    }
    return { ...m, pValueAdjusted, drifted, reason };
  });

  const nDrifted = features.filter((f) => f.drifted).length;
  const driftedShare = nFeatures === 0 ? 0 : nDrifted / nFeatures;
  if (insufficient) {
    return {
      ...base,
      drifted: false,
      verdict: 'insufficient_data',
      driftedShare,
      nDrifted,
      reason: `${Math.min(nReference, nCurrent)} rows on the smaller side; at least ${settings.minSamples} are needed on both`,
      features,
    };
  }
  const drifted =
    nFeatures > 0 && (settings.driftShare === 'any' ? nDrifted >= 1 : driftedShare >= settings.driftShare);
  const shareText =
    settings.driftShare === 'any' ? 'any drifted feature' : `${fmt(settings.driftShare * 100)}%`;
  return {
    ...base,
    drifted,
    verdict: drifted ? 'drift' : 'no_drift',
    driftedShare,
    nDrifted,
    reason: `${nDrifted} of ${nFeatures} features drifted (${fmt(driftedShare * 100)}%); threshold ${shareText}`,
    features,
  };
}
