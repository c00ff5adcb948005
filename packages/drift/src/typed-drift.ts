import { chiSquareTest } from './categorical.ts';
import { jensenShannon } from './divergence.ts';
import {
  alignCodes,
  countCodes,
  extractTypedColumn,
  type FeatureType,
  poolRareCategories,
} from './feature-types.ts';
import { fmt, pct } from './format.ts';
import { type KsMethod, ksTestSorted } from './ks.ts';
import { type BinClosedSide, psiFromCounts, psiSorted } from './psi.ts';
import { type FeatureRows, normalizedWasserstein, type PreparedReference } from './reference.ts';
import type { FeatureDrift } from './report.ts';
import { sortFloat64 } from './sample.ts';
import { wassersteinSorted } from './wasserstein.ts';

/*
 * Drift of one typed feature (compareDistributions with `featureTypes`). Numeric: KS, PSI,
 * Jensen-Shannon and Wasserstein on the present values, plus a 2×2 chi-square test of the missing
 * share; the feature's p-value is min(1, 2·min(p_KS, p_missing)) (Bonferroni over its two tests)
 * when a value is missing on either side, else p_KS. Categorical and boolean: one chi-square test
 * of homogeneity on the category counts, missing and unseen codes counted as categories of their own,
 * the rare ones pooled into one cell; PSI and Jensen-Shannon on the same cells.
 */

/** A feature's statistics before the multiple-testing correction decides about it. */
export type FeatureMeasurement = Omit<FeatureDrift, 'pValueAdjusted' | 'drifted' | 'reason'>;

/** The settings a typed measurement needs. */
export interface MeasureSettings {
  ksMethod: KsMethod;
  psiBins: number;
  psiClosed: BinClosedSide;
}

/** Sides of one column: present values sorted, missing counted. */
interface ColumnPair {
  ref: Float64Array;
  cur: Float64Array;
  refMissing: number;
  curMissing: number;
  nReference: number;
  nCurrent: number;
}

/** The two-proportion test of the missing share: chi-square on [[missing, present] × 2] with Yates. */
function missingShareTest(c: ColumnPair): FeatureDrift['missingShareTest'] {
  if (c.refMissing + c.curMissing === 0) return null;
  const chi = chiSquareTest([c.refMissing, c.ref.length], [c.curMissing, c.cur.length]);
  return { statistic: chi.statistic, pValue: chi.pValue };
}

function measureNumeric(c: ColumnPair, refStd: number, s: MeasureSettings) {
  const base = { ks: { statistic: 0, pValue: 1, method: 'none' as const }, psi: 0, jensenShannon: 0 };
  let distribution: typeof base | { ks: FeatureDrift['ks']; psi: number; jensenShannon: number } = base;
  let wasserstein = 0;
  let wassersteinNormalized = 0;
  if (c.ref.length > 0 && c.cur.length > 0) {
    const ks = ksTestSorted(c.ref, c.cur, { method: s.ksMethod });
    const bins = psiSorted(c.ref, c.cur, { bins: s.psiBins, closed: s.psiClosed });
    distribution = {
      ks: { statistic: ks.statistic, pValue: ks.pValue, method: ks.method },
      psi: bins.psi,
      jensenShannon: jensenShannon(bins.referenceCounts, bins.currentCounts, { base: 2 }),
    };
    wasserstein = wassersteinSorted(c.ref, c.cur);
    wassersteinNormalized = normalizedWasserstein(wasserstein, refStd, c.ref, c.cur);
  }
  const missingTest = missingShareTest(c);
  const pKs = distribution.ks.pValue;
  const pValue = missingTest ? Math.min(1, 2 * Math.min(pKs, missingTest.pValue)) : pKs;
  return { ...distribution, wasserstein, wassersteinNormalized, missingShareTest: missingTest, pValue };
}

function measureCategorical(c: ColumnPair, type: FeatureType) {
  const aligned = alignCodes(countCodes(c.ref, c.refMissing), countCodes(c.cur, c.curMissing), type);
  const pooled = poolRareCategories(aligned);
  const chi = chiSquareTest(pooled.reference, pooled.current);
  return {
    ks: { statistic: 0, pValue: chi.pValue, method: 'none' as const },
    // The shares are compared on the chi-square's cells: categories too rare to test on their own
    // are one cell. A column of (nearly) unique values (a date, an identifier) then has nothing
    // that moved, where one cell per value would give every new value a share that "moved".
    psi: psiFromCounts(pooled.reference, pooled.current),
    jensenShannon: jensenShannon(pooled.reference, pooled.current, { base: 2 }),
    wasserstein: 0,
    wassersteinNormalized: 0,
    chiSquare: {
      statistic: chi.statistic,
      pValue: chi.pValue,
      dof: chi.degreesOfFreedom,
      pooledCategories: pooled.pooled,
    },
    categories: { labels: aligned.labels, reference: aligned.reference, current: aligned.current },
    pValue: chi.pValue,
  };
}

/** Measures every feature of a typed reference against the current rows (both sides non-empty). */
export function measureTypedFeatures(
  prepared: PreparedReference,
  current: FeatureRows,
  settings: MeasureSettings,
): FeatureMeasurement[] {
  const types = prepared.featureTypes!;
  return prepared.featureNames.map((feature, index) => {
    const kind = types[index]!;
    const column = extractTypedColumn(current, index, types.length, feature, 'current', kind);
    const c: ColumnPair = {
      ref: prepared.columns[index]!,
      cur: sortFloat64(column.present),
      refMissing: prepared.missing![index]!,
      curMissing: column.missing,
      nReference: prepared.nRows,
      nCurrent: current.length,
    };
    const missingShare = { reference: c.refMissing / c.nReference, current: c.curMissing / c.nCurrent };
    const { pValue, ...stats } =
      kind === 'numeric' ? measureNumeric(c, prepared.stds[index]!, settings) : measureCategorical(c, kind);
    return { feature, index, kind, ...stats, missingShare, pValue };
  });
}

/** "missing share rose from 2% to 31%". */
export function missingShareWords(share: { reference: number; current: number }): string {
  const { reference, current } = share;
  if (reference === current) return `missing share unchanged at ${pct(reference)}`;
  return `missing share ${current > reference ? 'rose' : 'fell'} from ${pct(reference)} to ${pct(current)}`;
}

/** The category whose share moved most: "'2' from 20% to 45%". */
function largestMove(categories: NonNullable<FeatureDrift['categories']>): string {
  const refTotal = categories.reference.reduce((s, c) => s + c, 0);
  const curTotal = categories.current.reduce((s, c) => s + c, 0);
  let best = 0;
  let bestMove = -1;
  categories.labels.forEach((_, k) => {
    const move = Math.abs(categories.current[k]! / curTotal - categories.reference[k]! / refTotal);
    if (move > bestMove) [best, bestMove] = [k, move];
  });
  const from = pct(categories.reference[best]! / refTotal);
  return `'${categories.labels[best]}' from ${from} to ${pct(categories.current[best]! / curTotal)}`;
}

/** What the significant test(s) of a typed feature say moved, in words. */
export function typedTestWords(m: FeatureMeasurement, alpha: number): string {
  if (m.chiSquare && m.categories) {
    return `category shares moved (chi² p=${fmt(m.chiSquare.pValue)}; largest move ${largestMove(m.categories)})`;
  }
  const parts: string[] = [];
  const pMissing = m.missingShareTest?.pValue ?? 1;
  const pKs = m.ks.pValue;
  if (m.missingShareTest && (pMissing <= pKs || pMissing < alpha)) {
    parts.push(`${missingShareWords(m.missingShare!)} (chi² p=${fmt(pMissing)})`);
  }
  if (m.ks.method !== 'none' && (pKs < pMissing || pKs < alpha)) {
    parts.push(`values moved (KS D=${fmt(m.ks.statistic)}, p=${fmt(pKs)})`);
  }
  return parts.join('; ');
}

/** What stayed put, for the "no drift" reason of a typed feature. */
export function typedQuietWords(m: FeatureMeasurement): string {
  if (m.kind !== 'numeric') return `category shares stable (chi² p=${fmt(m.chiSquare!.pValue)})`;
  const values = m.ks.method === 'none' ? 'no values on one side' : `KS p=${fmt(m.ks.pValue)}`;
  return m.missingShareTest ? `${values}, ${missingShareWords(m.missingShare!)}` : values;
}
