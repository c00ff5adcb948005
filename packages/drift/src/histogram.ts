import { DriftInputError } from './errors.ts';
import { countBelow, type Sample, toSortedArray } from './sample.ts';

export interface HistogramOptions {
  /** Number of equal-width bins spanning both samples. @default 20 */
  bins?: number;
}

/** Reference-vs-current histogram of one feature on shared bins, as the dashboard draws it. */
export interface FeatureHistogram {
  /** bins + 1 increasing edges; bin k is [edges[k], edges[k+1]), the last bin also includes its right edge. */
  edges: number[];
  referenceCounts: number[];
  currentCounts: number[];
  referenceTotal: number;
  currentTotal: number;
}

function countsOnEdges(sorted: Float64Array, edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const counts = new Array<number>(bins);
  let previous = 0;
  for (let k = 1; k < bins; k++) {
    const cumulative = countBelow(sorted, edges[k]!);
    counts[k - 1] = cumulative - previous;
    previous = cumulative;
  }
  counts[bins - 1] = sorted.length - previous;
  return counts;
}

/**
 * Equal-width histogram of a feature's reference and current values on the same bin edges, spanning
 * the range of both samples (numpy.histogram's bin convention). A feature whose values are all equal
 * gets bins centred on that value (width 1) instead of zero-width bins.
 *
 * @throws DriftInputError for empty or non-finite samples, or a bin count that is not a positive integer.
 */
export function histogram(
  reference: Sample,
  current: Sample,
  options: HistogramOptions = {},
): FeatureHistogram {
  const bins = options.bins ?? 20;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new DriftInputError(`histogram: bins must be a positive integer, got ${bins}`);
  }
  const ref = toSortedArray(reference, 'histogram: reference sample');
  const cur = toSortedArray(current, 'histogram: current sample');
  return histogramSorted(ref, cur, bins);
}

/**
 * {@link histogram} of samples already sorted ascending, finite and non-empty (a prepared
 * reference's columns: the platform checks a version against the same reference every time, and
 * sorting its 5,000 rows again per feature was a third of a check's time on 64 features).
 */
export function histogramSorted(ref: Float64Array, cur: Float64Array, bins = 20): FeatureHistogram {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new DriftInputError(`histogramSorted: bins must be a positive integer, got ${bins}`);
  }
  if (ref.length === 0 || cur.length === 0) {
    throw new DriftInputError('histogramSorted: both samples need at least one value');
  }
  let lo = Math.min(ref[0]!, cur[0]!);
  let hi = Math.max(ref[ref.length - 1]!, cur[cur.length - 1]!);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? hi : lo + k * width));
  return {
    edges,
    referenceCounts: countsOnEdges(ref, edges),
    currentCounts: countsOnEdges(cur, edges),
    referenceTotal: ref.length,
    currentTotal: cur.length,
  };
}
