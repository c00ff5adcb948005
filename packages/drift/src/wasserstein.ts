import { type Sample, toSortedArray } from './sample.ts';

/**
 * Wasserstein-1 distance ∫ |F_a(x) - F_b(x)| dx between the empirical distributions of two samples
 * that are already sorted ascending and finite, by one merge pass.
 */
export function wassersteinSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let distance = 0;
  let previous = Math.min(a[0]!, b[0]!);
  let gap = 0;
  while (i < n1 || j < n2) {
    const va = i < n1 ? a[i]! : Number.POSITIVE_INFINITY;
    const vb = j < n2 ? b[j]! : Number.POSITIVE_INFINITY;
    const v = va <= vb ? va : vb;
    // Between the previous distinct value and v both ECDFs are constant; their gap was set there.
    distance += gap * (v - previous);
    while (i < n1 && a[i]! <= v) i++;
    while (j < n2 && b[j]! <= v) j++;
    gap = Math.abs(i / n1 - j / n2);
    previous = v;
  }
  return distance;
}

/**
 * Wasserstein-1 (earth mover's) distance between the empirical distributions of two samples, in the
 * units of the data (scipy.stats.wasserstein_distance with unit weights).
 *
 * @throws DriftInputError for empty or non-finite samples.
 */
export function wasserstein(a: Sample, b: Sample): number {
  return wassersteinSorted(
    toSortedArray(a, 'wasserstein: first sample'),
    toSortedArray(b, 'wasserstein: second sample'),
  );
}
