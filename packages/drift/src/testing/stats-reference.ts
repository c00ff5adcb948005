/**
 * Loads the scipy reference values (`shared/reference/stats-reference.json`, computed with scipy 1.10;
 * its `conventions` key says how). Test support only. The file lives beside the repository; set
 * STATS_REFERENCE_JSON to read it from elsewhere.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface KsMethodReference {
  statistic: number;
  pvalue: number;
  statistic_location: number;
  statistic_sign: 1 | -1;
}

export interface KsReferenceCase {
  name: string;
  n1: number;
  n2: number;
  a: number[];
  b: number[];
  D_numpy_searchsorted: number;
  exact: KsMethodReference & { exact_succeeded: boolean };
  asymp: KsMethodReference;
  auto: KsMethodReference;
  en: number;
  pvalue_kstwo_sf_round_en: number;
  pvalue_kolmogorov_limit: number;
  pvalue_kolmogorov_stephens: number;
}

export interface PsiConventionReference {
  ref_counts: number[];
  cur_counts: number[];
  psi: number;
  jensenshannon_distance_base_e: number;
  jensenshannon_distance_base_2: number;
  jensenshannon_divergence_base_2: number;
}

export interface PsiReferenceCase {
  name: string;
  ref: number[];
  cur: number[];
  raw_edges: number[];
  edges: number[];
  left_closed: PsiConventionReference;
  right_closed: PsiConventionReference;
  wasserstein_distance: number;
}

export interface Chi2Reference {
  statistic: number;
  pvalue: number;
  dof: number;
  expected: [number[], number[]];
}

export interface CategoricalReferenceCase {
  name: string;
  categories: string[];
  ref_counts: number[];
  cur_counts: number[];
  chi2_contingency_correction_true: Chi2Reference;
  chi2_contingency_correction_false: Chi2Reference;
  psi: number;
  jensenshannon_distance_base_e: number;
  jensenshannon_distance_base_2: number;
}

export interface StatsReference {
  versions: Record<string, string>;
  conventions: Record<string, string>;
  ks_2samp: KsReferenceCase[];
  psi_numeric: PsiReferenceCase[];
  categorical: CategoricalReferenceCase[];
  distribution_anchors: {
    normal_cdf: { x: number; mean: number; sd: number; cdf: number; sf: number }[];
    chi2_sf: { x: number; df: number; cdf: number; sf: number }[];
    studentt_cdf: { t: number; df: number; cdf: number }[];
    kolmogorov_sf: { x: number; kolmogorov_sf: number }[];
  };
}

export function statsReferencePath(): string {
  const override = process.env.STATS_REFERENCE_JSON;
  if (override) return override;
  // A copy lives beside this module, so a clone on its own runs these tests too.
  return fileURLToPath(new URL('./stats-reference.json', import.meta.url));
}

let cached: StatsReference | undefined;

export function loadStatsReference(): StatsReference {
  cached ??= JSON.parse(readFileSync(statsReferencePath(), 'utf8')) as StatsReference;
  return cached;
}

/** |actual - expected| <= relative·|expected| (or <= absolute when expected is 0). */
export function relativeError(actual: number, expected: number): number {
  if (actual === expected) return 0;
  if (expected === 0) return Math.abs(actual);
  return Math.abs(actual - expected) / Math.abs(expected);
}
