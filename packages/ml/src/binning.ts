import type { RowMajorMatrix } from './matrix.ts';

/**
 * Features quantised to at most 256 bins each, feature-major so a split search reads one
 * feature's bins contiguously. `bins` lives in a SharedArrayBuffer so every worker reads the
 * same memory without a copy.
 */
export interface BinnedFeatures {
  /** `bins[f * nRows + r]`: bin of row r for feature f. */
  bins: Uint8Array;
  /** Bins used by each feature: `edges[f].length + 1`. */
  binCounts: Int32Array;
  /**
   * Per feature, strictly increasing cut points; value x falls in bin b when
   * `edges[b - 1] < x <= edges[b]`, hence `bin(x) <= b` exactly when `x <= edges[b]`, which is
   * how a bin threshold becomes the float threshold of the compiled forest.
   */
  edges: Float64Array[];
}

/** A value in [a, b) halfway between a < b, robust to overflow and to a, b one ulp apart. */
function midpoint(a: number, b: number): number {
  const m = a / 2 + b / 2;
  return m >= b || m < a ? a : m;
}

/**
 * Cut points for one feature from its sorted training values. With at most `nBins` distinct
 * values every gap between consecutive values is a cut (the exact CART candidates); otherwise
 * cuts sit at quantiles, never inside a run of tied values.
 */
export function binEdges(sorted: Float64Array, nBins: number): Float64Array {
  const n = sorted.length;
  let distinct = n === 0 ? 0 : 1;
  for (let i = 1; i < n && distinct <= nBins; i++) if (sorted[i]! > sorted[i - 1]!) distinct++;
  const cuts: number[] = [];
  if (distinct <= nBins) {
    for (let i = 1; i < n; i++)
      if (sorted[i]! > sorted[i - 1]!) cuts.push(midpoint(sorted[i - 1]!, sorted[i]!));
    return Float64Array.from(cuts);
  }
  // Greedy quantiles: each bin takes an equal share of the rows still unbinned, extended to the
  // end of a run of ties, so a heavy tie (say half the values are 0) costs one bin, not half.
  let start = 0;
  for (let cutsLeft = nBins - 1; cutsLeft > 0; cutsLeft--) {
    let end = start + Math.max(1, Math.round((n - start) / (cutsLeft + 1)));
    if (end >= n) break;
    const tied = sorted[end - 1]!;
    while (end < n && sorted[end]! <= tied) end++;
    if (end >= n) break;
    cuts.push(midpoint(tied, sorted[end]!));
    start = end;
  }
  return Float64Array.from(cuts);
}

/** Index of the bin of x: the number of edges strictly below x. */
export function binOf(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function binFeatures(matrix: RowMajorMatrix, nBins: number): BinnedFeatures {
  const { data, nRows, nFeatures } = matrix;
  const bins = new Uint8Array(new SharedArrayBuffer(nRows * nFeatures));
  const binCounts = new Int32Array(new SharedArrayBuffer(4 * nFeatures));
  const edges: Float64Array[] = [];
  const column = new Float64Array(nRows);
  for (let f = 0; f < nFeatures; f++) {
    for (let r = 0; r < nRows; r++) column[r] = data[r * nFeatures + f]!;
    const featureEdges = binEdges(column.slice().sort(), nBins);
    edges.push(featureEdges);
    binCounts[f] = featureEdges.length + 1;
    const base = f * nRows;
    for (let r = 0; r < nRows; r++) bins[base + r] = binOf(featureEdges, column[r]!);
  }
  return { bins, binCounts, edges };
}
