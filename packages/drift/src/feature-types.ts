import { DriftInputError } from './errors.ts';

/*
 * Typed columns of a real table, as the platform encodes them in number rows: a missing value is
 * NaN; a categorical value is an integer code 0..C-1, and a negative code (e.g. -1) a category the
 * schema did not know ("unseen", all negative codes counted as one category); a boolean is 0 or 1.
 */

/** How a feature column is tested for drift (see `CompareOptions.featureTypes`). */
export type FeatureType = 'numeric' | 'categorical' | 'boolean';

const FEATURE_TYPES: readonly FeatureType[] = ['numeric', 'categorical', 'boolean'];

/** Category key of every negative ("unseen") code in {@link countCodes}. */
export const UNSEEN_KEY = -1;
/** Category key of missing (NaN) values in {@link countCodes}. */
export const MISSING_KEY = -2;

/**
 * Checks a `featureTypes` option against the number of features.
 * @throws DriftInputError for a list of the wrong length or an unknown type.
 */
export function checkFeatureTypes(
  types: readonly FeatureType[],
  nFeatures: number,
  what: string,
): FeatureType[] {
  if (!Array.isArray(types) || types.length !== nFeatures) {
    throw new DriftInputError(
      `${what}: featureTypes must list one type per feature (${nFeatures}), got ${Array.isArray(types) ? types.length : typeof types}`,
    );
  }
  types.forEach((t, i) => {
    if (!FEATURE_TYPES.includes(t)) {
      throw new DriftInputError(
        `${what}: featureTypes[${i}] must be 'numeric', 'categorical' or 'boolean', got '${String(t)}'`,
      );
    }
  });
  return [...types];
}

/** Whether two optional type lists are the same list. */
export function sameFeatureTypes(
  a: readonly FeatureType[] | undefined,
  b: readonly FeatureType[] | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

function checkTypedValue(v: unknown, type: FeatureType, where: () => string): void {
  if (typeof v !== 'number' || v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) {
    throw new DriftInputError(
      `${where()} has an invalid value (${String(v)}); missing values must be NaN, infinities are refused`,
    );
  }
  if (Number.isNaN(v) || type === 'numeric') return;
  if (type === 'boolean' && v !== 0 && v !== 1) {
    throw new DriftInputError(`${where()} is a boolean column but holds ${v}; use 0, 1 or NaN (missing)`);
  }
  if (type === 'categorical' && !Number.isInteger(v)) {
    throw new DriftInputError(
      `${where()} is a categorical column but holds ${v}; use integer category codes (negative = unseen) or NaN (missing)`,
    );
  }
}

/**
 * Column `feature` of a row table as its present (non-NaN) values, unsorted, and the number of
 * missing values. Checks the row shape and that each value suits the column's type.
 */
export function extractTypedColumn(
  rows: readonly (readonly number[])[],
  feature: number,
  width: number,
  name: string,
  what: string,
  type: FeatureType,
): { present: Float64Array; missing: number } {
  const values = new Float64Array(rows.length);
  let k = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (!Array.isArray(row) || row.length !== width) {
      throw new DriftInputError(
        `${what} row ${r} has ${Array.isArray(row) ? row.length : 'no'} values but ${width} features are expected; every row needs one value per feature`,
      );
    }
    const v = row[feature]!;
    checkTypedValue(v, type, () => `${what} feature '${name}' at row ${r}`);
    if (!Number.isNaN(v)) values[k++] = v;
  }
  return { present: values.slice(0, k), missing: rows.length - k };
}

/**
 * Category counts of a sorted column of codes: each non-negative code its own category, every
 * negative code one "unseen" category ({@link UNSEEN_KEY}), missing values one more ({@link MISSING_KEY}).
 */
export function countCodes(sortedPresent: Float64Array, missing: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < sortedPresent.length; i++) {
    const v = sortedPresent[i]!;
    const key = v < 0 ? UNSEEN_KEY : v;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (missing > 0) counts.set(MISSING_KEY, missing);
  return counts;
}

/** Order of category keys: codes ascending, then "unseen", then "missing". */
function keyOrder(a: number, b: number): number {
  if (a >= 0 && b >= 0) return a - b;
  return b - a;
}

export interface AlignedCategories {
  keys: number[];
  labels: string[];
  reference: number[];
  current: number[];
}

/** Label of a category key: the code ('3'), 'false'/'true' for booleans, 'unseen' or 'missing'. */
export function categoryLabel(key: number, type: FeatureType): string {
  if (key === MISSING_KEY) return 'missing';
  if (key === UNSEEN_KEY) return 'unseen';
  if (type === 'boolean') return key === 1 ? 'true' : 'false';
  return String(key);
}

/** Aligns the category counts of both samples over the union of their categories. */
export function alignCodes(
  reference: ReadonlyMap<number, number>,
  current: ReadonlyMap<number, number>,
  type: FeatureType,
): AlignedCategories {
  const keys = [...new Set([...reference.keys(), ...current.keys()])].sort(keyOrder);
  return {
    keys,
    labels: keys.map((k) => categoryLabel(k, type)),
    reference: keys.map((k) => reference.get(k) ?? 0),
    current: keys.map((k) => current.get(k) ?? 0),
  };
}

/** Smallest expected count a category keeps its own chi-square cell with (Cochran's rule). */
export const MIN_EXPECTED_COUNT = 5;

/**
 * Pools the categories whose expected count on the smaller side is below {@link MIN_EXPECTED_COUNT}
 * into one cell, so that many rare categories do not inflate the chi-square statistic. The choice
 * depends only on the pooled counts (the margins), so the test keeps its level. A single rare
 * category is left alone (pooling it with nothing changes nothing).
 */
export function poolRareCategories(aligned: AlignedCategories): {
  reference: number[];
  current: number[];
  pooled: string[];
} {
  const refTotal = aligned.reference.reduce((s, c) => s + c, 0);
  const curTotal = aligned.current.reduce((s, c) => s + c, 0);
  const smaller = Math.min(refTotal, curTotal);
  const total = refTotal + curTotal;
  const rare = aligned.keys.map(
    (_, k) => (smaller * (aligned.reference[k]! + aligned.current[k]!)) / total < MIN_EXPECTED_COUNT,
  );
  if (rare.filter(Boolean).length < 2) {
    return { reference: [...aligned.reference], current: [...aligned.current], pooled: [] };
  }
  const reference: number[] = [];
  const current: number[] = [];
  const pooled: string[] = [];
  let pooledRef = 0;
  let pooledCur = 0;
  aligned.keys.forEach((_, k) => {
    if (rare[k]) {
      pooled.push(aligned.labels[k]!);
      pooledRef += aligned.reference[k]!;
      pooledCur += aligned.current[k]!;
    } else {
      reference.push(aligned.reference[k]!);
      current.push(aligned.current[k]!);
    }
  });
  reference.push(pooledRef);
  current.push(pooledCur);
  return { reference, current, pooled };
}
