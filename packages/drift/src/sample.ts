import { DriftInputError } from './errors.ts';

/** A one-dimensional numeric sample: a plain array or a typed array. */
export type Sample = ArrayLike<number>;

/**
 * Copies a sample into a Float64Array after checking that it is non-empty and finite.
 * `what` names the sample in error messages (e.g. "reference sample of feature 'age'").
 */
export function toFiniteArray(values: Sample, what: string): Float64Array {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new DriftInputError(`${what} must be an array of numbers, got ${typeof values}`);
  }
  const n = values.length;
  if (n === 0) throw new DriftInputError(`${what} is empty; pass at least one value`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new DriftInputError(
        `${what} has a non-finite value (${String(v)}) at index ${i}; drop or impute missing values first`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** Sorted ascending copy of a finite, non-empty sample (the form every statistic here works on). */
export function toSortedArray(values: Sample, what: string): Float64Array {
  // Float64Array#sort compares numerically, unlike Array#sort.
  return toFiniteArray(values, what).sort();
}

/** Number of elements of sorted `a` that are strictly less than `x` (numpy searchsorted side='left'). */
export function countBelow(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of elements of sorted `a` that are less than or equal to `x` (searchsorted side='right'). */
export function countAtOrBelow(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Sample quantile of sorted data by linear interpolation between order statistics (Hyndman & Fan
 * type 7, numpy's default 'linear' method), with numpy's exact floating-point formula so that bin
 * edges match numpy's bit for bit.
 */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const virtualIndex = (n - 1) * q;
  if (virtualIndex >= n - 1) return sorted[n - 1]!;
  if (virtualIndex < 0) return sorted[0]!;
  const previous = Math.floor(virtualIndex);
  const a = sorted[previous]!;
  const b = sorted[previous + 1]!;
  const gamma = virtualIndex - previous;
  const diff = b - a;
  // numpy's _lerp: interpolate from the nearer end to keep monotonicity and exact endpoints.
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** Mean and population standard deviation (ddof = 0) of a sample, by a two-pass algorithm. */
export function meanAndStd(values: Float64Array): { mean: number; std: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    squares += d * d;
  }
  return { mean, std: Math.sqrt(squares / n) };
}
