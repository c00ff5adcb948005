import { DriftInputError } from './errors.ts';
import { chiSquareSf } from './special.ts';

/**
 * Category counts: either arrays aligned by position, or maps / records keyed by category. With keyed
 * counts, a category missing on one side counts 0 there (an unseen category).
 */
export type CategoryCounts =
  | readonly number[]
  | ReadonlyMap<string | number, number>
  | Readonly<Record<string, number>>;

export interface ChiSquareOptions {
  /** Apply Yates' continuity correction when the table has 1 degree of freedom (scipy's default). @default true */
  correction?: boolean;
}

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  /** (2 - 1)·(K - 1) for the K categories seen in either sample. */
  degreesOfFreedom: number;
  /** Categories in the order the statistic used them (indices as strings for aligned arrays). */
  categories: string[];
  /** Expected counts under homogeneity, [reference row, current row]. */
  expected: [number[], number[]];
}

/** Aligns two count collections over the union of their categories. */
export function alignCategoryCounts(
  reference: CategoryCounts,
  current: CategoryCounts,
): { categories: string[]; referenceCounts: number[]; currentCounts: number[] } {
  if (Array.isArray(reference) !== Array.isArray(current)) {
    throw new DriftInputError(
      'category counts must both be arrays (aligned by position) or both be keyed by category (Map or object)',
    );
  }
  if (Array.isArray(reference)) {
    const ref = reference as readonly number[];
    const cur = current as readonly number[];
    if (ref.length !== cur.length) {
      throw new DriftInputError(
        `aligned category counts must have equal length (got ${ref.length} and ${cur.length}); pass Maps or objects keyed by category to align them by name`,
      );
    }
    return { categories: ref.map((_, k) => String(k)), referenceCounts: [...ref], currentCounts: [...cur] };
  }
  const toMap = (counts: CategoryCounts): Map<string, number> => {
    const entries =
      counts instanceof Map ? [...counts.entries()] : Object.entries(counts as Record<string, number>);
    const map = new Map<string, number>();
    for (const [key, value] of entries) map.set(String(key), (map.get(String(key)) ?? 0) + value);
    return map;
  };
  const refMap = toMap(reference);
  const curMap = toMap(current);
  const categories = [...new Set([...refMap.keys(), ...curMap.keys()])];
  return {
    categories,
    referenceCounts: categories.map((c) => refMap.get(c) ?? 0),
    currentCounts: categories.map((c) => curMap.get(c) ?? 0),
  };
}

/**
 * Counts the categories of two samples of labels (predicted classes, string features) over the union
 * of the values seen in either, in first-seen order (reference first).
 */
export function countCategories<T extends string | number | boolean>(
  reference: readonly T[],
  current: readonly T[],
): { categories: T[]; referenceCounts: number[]; currentCounts: number[] } {
  const index = new Map<T, number>();
  const categories: T[] = [];
  const referenceCounts: number[] = [];
  const currentCounts: number[] = [];
  const slot = (value: T): number => {
    let k = index.get(value);
    if (k === undefined) {
      k = categories.length;
      index.set(value, k);
      categories.push(value);
      referenceCounts.push(0);
      currentCounts.push(0);
    }
    return k;
  };
  for (const value of reference) referenceCounts[slot(value)]! += 1;
  for (const value of current) currentCounts[slot(value)]! += 1;
  return { categories, referenceCounts, currentCounts };
}

/**
 * Chi-square test of homogeneity on the 2 × K table [reference counts; current counts]
 * (scipy.stats.chi2_contingency). Categories unseen in both samples are dropped (their expected
 * count would be 0); a category seen in only one sample is kept, which is what makes a new class
 * count as drift. With a single category left the samples cannot differ: statistic 0, p = 1.
 *
 * @throws DriftInputError for negative or non-finite counts, or a sample with no observations.
 */
export function chiSquareTest(
  referenceCounts: CategoryCounts,
  currentCounts: CategoryCounts,
  options: ChiSquareOptions = {},
): ChiSquareResult {
  const aligned = alignCategoryCounts(referenceCounts, currentCounts);
  const categories: string[] = [];
  const ref: number[] = [];
  const cur: number[] = [];
  let refTotal = 0;
  let curTotal = 0;
  for (let k = 0; k < aligned.categories.length; k++) {
    const r = aligned.referenceCounts[k]!;
    const c = aligned.currentCounts[k]!;
    if (!(r >= 0 && c >= 0) || !Number.isFinite(r) || !Number.isFinite(c)) {
      throw new DriftInputError(
        `chiSquareTest: counts must be finite and non-negative (category '${aligned.categories[k]}': ${r}, ${c})`,
      );
    }
    if (r + c === 0) continue;
    categories.push(aligned.categories[k]!);
    ref.push(r);
    cur.push(c);
    refTotal += r;
    curTotal += c;
  }
  if (refTotal === 0 || curTotal === 0) {
    throw new DriftInputError(
      'chiSquareTest: both the reference and the current sample need at least one observation',
    );
  }
  const total = refTotal + curTotal;
  const expectedRef = ref.map((r, k) => (refTotal * (r + cur[k]!)) / total);
  const expectedCur = cur.map((c, k) => (curTotal * (ref[k]! + c)) / total);
  const dof = categories.length - 1;
  if (dof === 0) {
    return { statistic: 0, pValue: 1, degreesOfFreedom: 0, categories, expected: [expectedRef, expectedCur] };
  }
  const yates = (options.correction ?? true) && dof === 1;
  let statistic = 0;
  const addCell = (observed: number, expected: number): void => {
    let o = observed;
    if (yates) {
      // Move each observed count up to 0.5 towards its expectation.
      const diff = expected - o;
      o += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
    }
    const d = o - expected;
    statistic += (d * d) / expected;
  };
  // Row-major order, as scipy sums the table.
  for (let k = 0; k < categories.length; k++) addCell(ref[k]!, expectedRef[k]!);
  for (let k = 0; k < categories.length; k++) addCell(cur[k]!, expectedCur[k]!);
  return {
    statistic,
    pValue: chiSquareSf(statistic, dof),
    degreesOfFreedom: dof,
    categories,
    expected: [expectedRef, expectedCur],
  };
}
