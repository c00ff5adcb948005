import type { CalibratedThresholds, FeatureThresholds } from './calibration.ts';
import { jensenShannon } from './divergence.ts';
import { DriftInputError } from './errors.ts';
import { type FeatureType, sameFeatureTypes } from './feature-types.ts';
import { fmt } from './format.ts';
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
import { sortFloat64 } from './sample.ts';
import {
  type FeatureMeasurement,
  type MeasureSettings,
  measureTypedFeatures,
  missingShareWords,
  typedQuietWords,
  typedTestWords,
} from './typed-drift.ts';
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
  /**
   * The type of each column, in order. Without it every column is numeric and every value must be
   * finite. With it, NaN marks a missing value in any column (±Infinity is still refused) and:
   * - `numeric`: KS, PSI, Jensen-Shannon and Wasserstein on the present values, plus a 2×2
   *   chi-square test (Yates) of the missing share. The feature's p-value, the one the
   *   multiple-testing correction sees, is min(1, 2·min(p_KS, p_missing)) — Bonferroni over its two
   *   tests — when a value is missing on either side, else p_KS; a side without present values
   *   gives p_KS = 1 and zero distances.
   * - `categorical` (integer codes; every negative code is one "unseen" category) and `boolean`
   *   (0/1): a chi-square test of homogeneity on the category counts, missing counted as a category
   *   and categories with an expected count below 5 pooled into one cell; PSI and Jensen-Shannon on
   *   the category shares (PSI floored at 1e-4 like the numeric one); no KS or Wasserstein.
   * A prepared reference must have been prepared with the same types (it remembers them).
   */
  featureTypes?: readonly FeatureType[];
}

export interface FeatureDrift {
  feature: string;
  index: number;
  /** The column's type; present only when `featureTypes` was given. */
  kind?: FeatureType;
  /**
   * Two-sample KS test. With `featureTypes`: on the present values of a numeric column; for a
   * categorical or boolean column (no KS) and for a numeric column without present values on a
   * side, `statistic` is 0 and `method` 'none', and `pValue` is the chi-square p-value
   * (categorical/boolean) or 1 (numeric).
   */
  ks: { statistic: number; pValue: number; method: 'exact' | 'asymp' | 'none' };
  /** The feature's p-value after the multiple-testing correction (untyped: the KS p-value's). */
  pValueAdjusted: number;
  /** PSI on the reference's quantile bins (numeric) or on the category shares (categorical, boolean). */
  psi: number;
  /** Jensen-Shannon distance (base 2, in [0, 1]) on the PSI bins or on the category shares. */
  jensenShannon: number;
  /** Wasserstein-1 distance in the feature's units (0 for categorical and boolean columns). */
  wasserstein: number;
  /** Wasserstein distance divided by the reference's standard deviation (0 for categorical and boolean). */
  wassersteinNormalized: number;
  /** With `featureTypes`: share of missing (NaN) values on each side. */
  missingShare?: { reference: number; current: number };
  /** With `featureTypes`, numeric columns: 2×2 chi-square test of the missing share (null when nothing is missing). */
  missingShareTest?: { statistic: number; pValue: number } | null;
  /**
   * With `featureTypes`, categorical and boolean columns: chi-square test of homogeneity on the
   * category counts (as scipy.stats.chi2_contingency, Yates for 1 dof); `pooledCategories` were
   * merged into one cell because their expected counts were below 5.
   */
  chiSquare?: { statistic: number; pValue: number; dof: number; pooledCategories: string[] };
  /** With `featureTypes`, categorical and boolean columns: the counts per category ('missing', 'unseen' included). */
  categories?: { labels: string[]; reference: number[]; current: number[] };
  /** With `featureTypes`: the feature's p-value before the correction (see `CompareOptions.featureTypes`). */
  pValue?: number;
  drifted: boolean;
  /** What moved, in words: the test(s) and thresholds behind the flag, or why it did not drift. */
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
    /** Present only when the check was typed (`featureTypes`, or a reference prepared with them). */
    featureTypes?: FeatureType[];
  };
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
 * still reported but the verdict is 'insufficient_data' and no feature is flagged. With
 * `featureTypes` each column is tested as its type says (see `CompareOptions.featureTypes`) and
 * the feature's own p-value takes the KS p-value's place in these rules.
 *
 * Each column is sorted once and the sorted arrays are shared by KS, PSI and Wasserstein; pass a
 * `prepareReference(...)` result to also skip re-sorting the reference on every check.
 *
 * @throws DriftInputError for ragged rows, non-finite values (NaN is allowed with featureTypes),
 *   mismatched feature counts or types, or invalid options.
 */
export function compareDistributions(
  reference: FeatureRows | PreparedReference,
  current: FeatureRows,
  options: CompareOptions = {},
): DriftReport {
  const settings = resolveSettings(options);
  const prepared = resolveReference(reference, current, options);
  const nFeatures = prepared.featureNames.length;
  checkShapes(prepared, current, options.thresholds);
  if (prepared.featureTypes) settings.featureTypes = [...prepared.featureTypes];
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
  const measured = prepared.featureTypes
    ? measureTypedFeatures(prepared, current, settings)
    : measureFeatures(prepared, current, settings);
  const adjusted = adjustPValues(
    measured.map((m) => m.pValue ?? m.ks.pValue),
    settings.correction,
  );
  const context: DecisionContext = {
    settings,
    thresholds: options.thresholds,
    insufficient: nReference < settings.minSamples || nCurrent < settings.minSamples,
    nReference,
    nCurrent,
  };
  const features = measured.map((m, i) => decideFeature(m, adjusted[i]!, context));
  return summarize(base, features, context.insufficient);
}

/** The prepared reference of a check: the one given, or the rows prepared with the options' names and types. */
function resolveReference(
  reference: FeatureRows | PreparedReference,
  current: FeatureRows,
  options: CompareOptions,
): PreparedReference {
  if (isPreparedReference(reference)) {
    if (
      options.featureTypes !== undefined &&
      !sameFeatureTypes(options.featureTypes, reference.featureTypes)
    ) {
      throw new DriftInputError(
        `compareDistributions: featureTypes differ from those the reference was prepared with (${reference.featureTypes ? reference.featureTypes.join(', ') : 'none'}); prepare it with prepareReference(rows, { featureTypes })`,
      );
    }
    return reference;
  }
  // An empty reference takes its width from the current rows, so the verdict is "insufficient data".
  const names =
    options.featureNames ??
    (Array.isArray(reference) && reference.length === 0
      ? defaultFeatureNames(featureCount(current, 'current', 0))
      : undefined);
  return prepareReference(reference, { featureNames: names, featureTypes: options.featureTypes });
}

function checkShapes(
  prepared: PreparedReference,
  current: FeatureRows,
  thresholds: CalibratedThresholds | undefined,
): void {
  const nFeatures = prepared.featureNames.length;
  const currentWidth = featureCount(current, 'current', nFeatures);
  if (currentWidth !== nFeatures) {
    throw new DriftInputError(
      `current rows have ${currentWidth} features but the reference has ${nFeatures}; both must have the same columns in the same order`,
    );
  }
  if (thresholds && thresholds.features.length !== nFeatures) {
    throw new DriftInputError(
      `calibrated thresholds cover ${thresholds.features.length} features but the data has ${nFeatures}; recalibrate on this reference`,
    );
  }
  if (thresholds && !sameFeatureTypes(thresholds.featureTypes, prepared.featureTypes)) {
    throw new DriftInputError(
      'calibrated thresholds were calibrated with other featureTypes than this check uses; calibrate with the same featureTypes',
    );
  }
}

/** KS, PSI, Jensen-Shannon and Wasserstein of every column of an untyped (all numeric) reference. */
function measureFeatures(
  prepared: PreparedReference,
  current: FeatureRows,
  settings: MeasureSettings,
): FeatureMeasurement[] {
  const nFeatures = prepared.featureNames.length;
  return prepared.featureNames.map((feature, index) => {
    const ref = prepared.columns[index]!;
    const cur = sortFloat64(extractColumn(current, index, nFeatures, feature, 'current'));
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
}

function adjustPValues(pValues: number[], correction: PValueCorrection): number[] {
  if (correction === 'bh') return benjaminiHochberg(pValues);
  if (correction === 'bonferroni') return bonferroni(pValues);
  return pValues;
}

interface DecisionContext {
  settings: DriftReport['settings'];
  thresholds: CalibratedThresholds | undefined;
  insufficient: boolean;
  nReference: number;
  nCurrent: number;
}

function decideFeature(m: FeatureMeasurement, pValueAdjusted: number, ctx: DecisionContext): FeatureDrift {
  let { drifted, reason } = ctx.thresholds
    ? calibratedVerdict(m, ctx.thresholds.features[m.index]!)
    : fixedVerdict(m, pValueAdjusted, ctx.settings);
  if (ctx.insufficient) {
    reason = `insufficient data (${ctx.nReference} reference and ${ctx.nCurrent} current rows, ${ctx.settings.minSamples} needed): ${reason}`;
    drifted = false;
  }
  return { ...m, pValueAdjusted, drifted, reason };
}

type Verdict = { drifted: boolean; reason: string };

function calibratedVerdict(m: FeatureMeasurement, t: FeatureThresholds): Verdict {
  const exceeded: string[] = [];
  if (m.ks.statistic > t.ksStatistic.threshold) {
    exceeded.push(`KS D ${fmt(m.ks.statistic)} > ${fmt(t.ksStatistic.threshold)}`);
  }
  if (m.psi > t.psi.threshold) {
    const prefix = m.kind === 'categorical' || m.kind === 'boolean' ? 'category shares moved: ' : '';
    exceeded.push(`${prefix}PSI ${fmt(m.psi)} > ${fmt(t.psi.threshold)}`);
  }
  if (m.wassersteinNormalized > t.wassersteinNormalized.threshold) {
    exceeded.push(
      `Wasserstein/σ ${fmt(m.wassersteinNormalized)} > ${fmt(t.wassersteinNormalized.threshold)}`,
    );
  }
  const missing = t.missingShareChange;
  if (m.missingShare && missing) {
    const change = Math.abs(m.missingShare.current - m.missingShare.reference);
    if (change > missing.threshold) {
      exceeded.push(
        `${missingShareWords(m.missingShare)} (change ${fmt(change)} > ${fmt(missing.threshold)})`,
      );
    }
  }
  const drifted = exceeded.length > 0;
  return { drifted, reason: drifted ? exceeded.join('; ') : 'within calibrated thresholds' };
}

function fixedVerdict(
  m: FeatureMeasurement,
  pValueAdjusted: number,
  settings: DriftReport['settings'],
): Verdict {
  const label = CORRECTION_LABEL[settings.correction];
  const ksRejects = pValueAdjusted < settings.pValue;
  const psiExceeds = m.psi >= settings.psiThreshold;
  const drifted = ksRejects || psiExceeds;
  const psiPart = `PSI ${fmt(m.psi)} ${psiExceeds ? '>=' : '<'} ${settings.psiThreshold}`;
  if (m.kind !== undefined) return { drifted, reason: typedReason(m, pValueAdjusted, settings, psiPart) };
  const ksPart = `KS p ${fmt(pValueAdjusted)} (${label}) ${ksRejects ? '<' : '>='} ${settings.pValue}`;
  if (ksRejects && psiExceeds) return { drifted, reason: `${ksPart}; ${psiPart}` };
  if (ksRejects) return { drifted, reason: ksPart };
  if (psiExceeds) return { drifted, reason: psiPart };
  return { drifted, reason: `no drift: ${ksPart}, ${psiPart}` };
}

/** Reason of a typed feature under fixed thresholds: what moved, then the rule it broke. */
function typedReason(
  m: FeatureMeasurement,
  pValueAdjusted: number,
  settings: DriftReport['settings'],
  psiPart: string,
): string {
  const alpha = settings.pValue;
  const rejects = pValueAdjusted < alpha;
  const pPart = `${CORRECTION_LABEL[settings.correction]} p ${fmt(pValueAdjusted)} ${rejects ? '<' : '>='} ${alpha}`;
  const psiExceeds = m.psi >= settings.psiThreshold;
  if (!rejects && !psiExceeds) return `no drift: ${typedQuietWords(m)}; ${pPart}, ${psiPart}`;
  const parts: string[] = [];
  if (rejects) parts.push(`${typedTestWords(m, alpha)}; ${pPart}`);
  if (psiExceeds) {
    const what = m.kind === 'numeric' ? 'values moved' : 'category shares moved';
    parts.push(rejects ? psiPart : `${what}: ${psiPart}`);
  }
  return parts.join('; ');
}

function summarize(
  base: Pick<DriftReport, 'nFeatures' | 'nReference' | 'nCurrent' | 'settings'>,
  features: FeatureDrift[],
  insufficient: boolean,
): DriftReport {
  const { nFeatures, nReference, nCurrent, settings } = base;
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
