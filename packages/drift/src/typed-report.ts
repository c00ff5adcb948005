import { chiSquareTest } from './categorical.ts';
import { jensenShannon } from './divergence.ts';
import { DriftInputError } from './errors.ts';
import { ksTestSorted } from './ks.ts';
import { benjaminiHochberg } from './multiple-testing.ts';
import { psiFromCounts, psiSorted } from './psi.ts';
import type { FeatureRows } from './reference.ts';
import type { DriftReport, FeatureDrift } from './report.ts';
import { wassersteinSorted } from './wasserstein.ts';

/** How a column is compared: numbers by their distribution, categories and booleans by their shares. */
export type ColumnKind = 'numeric' | 'categorical' | 'boolean';

export interface TypedCompareOptions {
  featureTypes: readonly ColumnKind[];
  featureNames?: readonly string[];
  /** @default 0.05 */
  pValue?: number;
  /** @default 0.2 */
  psiThreshold?: number;
  /** @default 0.5 */
  driftShare?: number | 'any';
  /** @default 100 */
  minSamples?: number;
}

/** A typed column's result: the numeric fields of FeatureDrift, plus what typed columns add. */
export interface TypedFeatureDrift extends FeatureDrift {
  kind: ColumnKind;
  /** Share of missing (NaN) values on each side. */
  missingShare: { reference: number; current: number };
}

/** Counts per category: codes as keys, `missing` for NaN, `unseen` for negative codes. */
function categoryCounts(values: number[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) {
    const key = Number.isNaN(v) ? 'missing' : v < 0 ? 'unseen' : String(v);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function column(rows: FeatureRows, j: number): number[] {
  const out = new Array<number>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = (rows[i] as ArrayLike<number>)[j]!;
    if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) {
      throw new DriftInputError(
        `row ${i}, feature ${j} is infinite: only NaN (missing) is allowed besides numbers`,
      );
    }
    out[i] = v;
  }
  return out;
}

const share = (missing: number, n: number) => (n === 0 ? 0 : missing / n);

/**
 * A categorical or boolean column: chi-square on category counts (missing and unseen values are
 * categories of their own), PSI and Jensen-Shannon on the category shares.
 */
function compareCategories(ref: number[], cur: number[]) {
  const r = categoryCounts(ref);
  const c = categoryCounts(cur);
  const chi = chiSquareTest(r, c);
  const keys = [...new Set([...r.keys(), ...c.keys()])];
  const rc = keys.map((k) => r.get(k) ?? 0);
  const cc = keys.map((k) => c.get(k) ?? 0);
  return {
    pValue: chi.pValue,
    statistic: chi.statistic,
    method: 'asymp' as const,
    psi: psiFromCounts(rc, cc),
    jensenShannon: jensenShannon(rc, cc, { base: 2 }),
    wasserstein: 0,
    wassersteinNormalized: 0,
    what: `category shares (chi² ${chi.statistic.toFixed(1)}, dof ${chi.degreesOfFreedom})`,
  };
}

/**
 * A numeric column: KS, PSI, Jensen-Shannon and Wasserstein on the present values; its missing
 * share tested apart (a 2×2 chi-square). The column's p-value is the smaller of the two times 2
 * (Bonferroni within the column), so a column counts once in the correction across columns.
 */
function compareNumbers(ref: number[], cur: number[]) {
  const present = (v: number[]) => Float64Array.from(v.filter((x) => !Number.isNaN(x))).sort();
  const a = present(ref);
  const b = present(cur);
  const missing = [ref.length - a.length, cur.length - b.length];
  const missingTest =
    missing[0]! + missing[1]! > 0 ? chiSquareTest([a.length, missing[0]!], [b.length, missing[1]!]) : null;
  if (a.length < 2 || b.length < 2) {
    const pValue = missingTest?.pValue ?? 1;
    return {
      pValue,
      statistic: 0,
      method: 'asymp' as const,
      psi: 0,
      jensenShannon: 0,
      wasserstein: 0,
      wassersteinNormalized: 0,
      what: 'missing share',
    };
  }
  const ks = ksTestSorted(a, b);
  const bins = psiSorted(a, b, { bins: 10 });
  const w = wassersteinSorted(a, b);
  const std = standardDeviation(a);
  const pValue = Math.min(1, 2 * Math.min(ks.pValue, missingTest?.pValue ?? 1));
  const byMissing = missingTest !== null && missingTest.pValue < ks.pValue;
  return {
    pValue,
    statistic: ks.statistic,
    method: ks.method,
    psi: bins.psi,
    jensenShannon: jensenShannon(bins.referenceCounts, bins.currentCounts, { base: 2 }),
    wasserstein: w,
    wassersteinNormalized: std > 0 ? w / std : 0,
    what: byMissing ? 'missing share' : `distribution (KS D ${ks.statistic.toFixed(3)})`,
  };
}

function standardDeviation(sorted: Float64Array): number {
  let mean = 0;
  for (const v of sorted) mean += v;
  mean /= sorted.length;
  let ss = 0;
  for (const v of sorted) ss += (v - mean) ** 2;
  return Math.sqrt(ss / Math.max(1, sorted.length - 1));
}

/**
 * The drift report of a typed table: numeric columns by their present values and their missing
 * share, categorical and boolean columns by their category shares; NaN is a missing value, a
 * negative category code one the schema did not know. Benjamini-Hochberg across columns; a column
 * drifts when its adjusted p-value is below `pValue` or its PSI reaches `psiThreshold`.
 */
export function compareTypedColumns(
  reference: FeatureRows,
  current: FeatureRows,
  options: TypedCompareOptions,
): DriftReport & { features: TypedFeatureDrift[] } {
  const kinds = options.featureTypes;
  const pValue = options.pValue ?? 0.05;
  const psiThreshold = options.psiThreshold ?? 0.2;
  const driftShare = options.driftShare ?? 0.5;
  const minSamples = options.minSamples ?? 100;
  const measured = kinds.map((kind, j) => {
    const ref = column(reference, j);
    const cur = column(current, j);
    const m = kind === 'numeric' ? compareNumbers(ref, cur) : compareCategories(ref, cur);
    const missingShare = {
      reference: share(ref.filter(Number.isNaN).length, ref.length),
      current: share(cur.filter(Number.isNaN).length, cur.length),
    };
    return { kind, j, m, missingShare };
  });
  const adjusted = benjaminiHochberg(measured.map((x) => x.m.pValue));
  const insufficient = reference.length < minSamples || current.length < minSamples;
  const features: TypedFeatureDrift[] = measured.map(({ kind, j, m, missingShare }, i) => {
    const rejects = adjusted[i]! < pValue;
    const psiExceeds = m.psi >= psiThreshold;
    const drifted = !insufficient && (rejects || psiExceeds);
    const moved = `${m.what}: p ${adjusted[i]!.toPrecision(3)} (BH-adjusted), PSI ${m.psi.toFixed(3)}`;
    return {
      feature: options.featureNames?.[j] ?? `feature_${j}`,
      index: j,
      kind,
      missingShare,
      ks: { statistic: m.statistic, pValue: m.pValue, method: m.method },
      pValueAdjusted: adjusted[i]!,
      psi: m.psi,
      jensenShannon: m.jensenShannon,
      wasserstein: m.wasserstein,
      wassersteinNormalized: m.wassersteinNormalized,
      drifted,
      reason: drifted ? `${m.what} moved: ${moved}` : `no drift: ${moved}`,
    };
  });
  return typedVerdict(features, {
    nReference: reference.length,
    nCurrent: current.length,
    insufficient,
    driftShare,
    pValue,
    psiThreshold,
    minSamples,
  });
}

function typedVerdict(
  features: TypedFeatureDrift[],
  s: {
    nReference: number;
    nCurrent: number;
    insufficient: boolean;
    driftShare: number | 'any';
    pValue: number;
    psiThreshold: number;
    minSamples: number;
  },
): DriftReport & { features: TypedFeatureDrift[] } {
  const nFeatures = features.length;
  const nDrifted = features.filter((f) => f.drifted).length;
  const driftedShare = nFeatures === 0 ? 0 : nDrifted / nFeatures;
  const drifted =
    !s.insufficient &&
    nFeatures > 0 &&
    (s.driftShare === 'any' ? nDrifted >= 1 : driftedShare >= s.driftShare);
  return {
    drifted,
    verdict: s.insufficient ? 'insufficient_data' : drifted ? 'drift' : 'no_drift',
    driftedShare,
    nDrifted,
    nFeatures,
    nReference: s.nReference,
    nCurrent: s.nCurrent,
    reason: s.insufficient
      ? `${Math.min(s.nReference, s.nCurrent)} rows on the smaller side; at least ${s.minSamples} are needed on both`
      : `${nDrifted} of ${nFeatures} columns drifted`,
    features,
    settings: {
      pValue: s.pValue,
      psiThreshold: s.psiThreshold,
      correction: 'bh',
      driftShare: s.driftShare,
      minSamples: s.minSamples,
      ksMethod: 'asymp',
      psiBins: 10,
      psiClosed: 'left',
      thresholds: 'fixed',
    },
  };
}
