import type { RowMajorMatrix } from './matrix.ts';
import { TurnBudget, WORK_PER_TURN } from './turns.ts';

/** The bin of a missing value (NaN), in every feature that has one; value bins stay below it. */
export const MISSING_BIN = 255;

/**
 * Features quantised to at most 256 bins each, feature-major so a split search reads one
 * feature's bins contiguously. `bins` lives in a SharedArrayBuffer so every worker reads the
 * same memory without a copy.
 *
 * A numeric feature's values fall in bins 0..binCounts-1 by its edges; a categorical feature's
 * bin is its category code (0..254). Missing values (NaN) sit in the dedicated bin 255
 * ({@link MISSING_BIN}); a numeric feature with missing values then keeps at most 255 value bins.
 */
export interface BinnedFeatures {
  /** `bins[f * nRows + r]`: bin of row r for feature f. */
  bins: Uint8Array;
  /**
   * Value bins of each feature: `edges[f].length + 1` for a numeric feature, 1 + the largest code
   * seen for a categorical one (at least 1). The missing bin is not counted.
   */
  binCounts: Int32Array;
  /** Per feature, 1 when some training value is missing (bin 255 is then the missing bin). */
  hasMissing: Uint8Array;
  /** Per feature, 1 for a categorical feature. */
  categorical: Uint8Array;
  /**
   * Per feature, the category codes seen in training as a 256-bit set (8 uint32 words, bit c of
   * word c >> 5); all zero for numeric features.
   */
  categorySeen: Uint32Array;
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

/**
 * Bins every feature of `matrix` (see {@link BinnedFeatures}). `categorical` flags the
 * categorical features (default none); their codes must already be checked (0..254 or NaN).
 */
export function binFeatures(
  matrix: RowMajorMatrix,
  nBins: number,
  categorical: Uint8Array = new Uint8Array(matrix.nFeatures),
): BinnedFeatures {
  const binned = emptyBinned(matrix, categorical);
  const column = new Float64Array(matrix.nRows);
  for (let f = 0; f < matrix.nFeatures; f++) binFeature(binned, matrix, f, nBins, column);
  return binned;
}

/** Values binned between two turns of the event loop in {@link binFeaturesInTurns} (about 10 ms). */
export const BIN_VALUES_PER_TURN = WORK_PER_TURN;

/**
 * {@link binFeatures}, the same result, giving the event loop a turn after every
 * {@link BIN_VALUES_PER_TURN} values: binning 12,000 rows × 64 features takes about 140 ms, and a
 * training's caller may be the thread that answers predictions. Throws the signal's reason when
 * it is aborted meanwhile.
 */
export async function binFeaturesInTurns(
  matrix: RowMajorMatrix,
  nBins: number,
  categorical: Uint8Array = new Uint8Array(matrix.nFeatures),
  signal?: AbortSignal,
): Promise<BinnedFeatures> {
  const binned = emptyBinned(matrix, categorical);
  const column = new Float64Array(matrix.nRows);
  const turns = new TurnBudget(signal, BIN_VALUES_PER_TURN);
  for (let f = 0; f < matrix.nFeatures; f++) {
    await turns.before(matrix.nRows);
    binFeature(binned, matrix, f, nBins, column);
  }
  return binned;
}

function emptyBinned(matrix: RowMajorMatrix, categorical: Uint8Array): BinnedFeatures {
  const { nRows, nFeatures } = matrix;
  const shared = (bytes: number) => new SharedArrayBuffer(bytes);
  const binned: BinnedFeatures = {
    bins: new Uint8Array(shared(nRows * nFeatures)),
    binCounts: new Int32Array(shared(4 * nFeatures)),
    hasMissing: new Uint8Array(shared(nFeatures)),
    categorical: new Uint8Array(shared(nFeatures)),
    categorySeen: new Uint32Array(8 * nFeatures),
    edges: [],
  };
  binned.categorical.set(categorical);
  return binned;
}

/** Bins feature `f` (features are binned in order: edges are pushed); `column` is scratch space. */
function binFeature(
  binned: BinnedFeatures,
  { data, nRows, nFeatures }: RowMajorMatrix,
  f: number,
  nBins: number,
  column: Float64Array,
): void {
  let missing = 0;
  for (let r = 0; r < nRows; r++) {
    const v = data[r * nFeatures + f]!;
    column[r] = v;
    if (Number.isNaN(v)) missing++;
  }
  binned.hasMissing[f] = missing > 0 ? 1 : 0;
  if (binned.categorical[f] === 1) binCategorical(binned, f, column, nRows);
  else binNumeric(binned, f, column, nRows, missing > 0 ? Math.min(nBins, MISSING_BIN) : nBins);
}

function binNumeric(
  binned: BinnedFeatures,
  f: number,
  column: Float64Array,
  nRows: number,
  nBins: number,
): void {
  // NaN sorts last in a Float64Array: the present values are the first ones.
  const sorted = column.slice().sort();
  let present = nRows;
  while (present > 0 && Number.isNaN(sorted[present - 1])) present--;
  const featureEdges = binEdges(sorted.subarray(0, present), nBins);
  binned.edges.push(featureEdges);
  binned.binCounts[f] = featureEdges.length + 1;
  const base = f * nRows;
  for (let r = 0; r < nRows; r++) {
    const v = column[r]!;
    binned.bins[base + r] = Number.isNaN(v) ? MISSING_BIN : binOf(featureEdges, v);
  }
}

function binCategorical(binned: BinnedFeatures, f: number, column: Float64Array, nRows: number): void {
  binned.edges.push(new Float64Array(0));
  const base = f * nRows;
  let count = 1;
  for (let r = 0; r < nRows; r++) {
    const v = column[r]!;
    if (Number.isNaN(v)) {
      binned.bins[base + r] = MISSING_BIN;
      continue;
    }
    binned.bins[base + r] = v;
    binned.categorySeen[8 * f + (v >>> 5)]! |= 1 << (v & 31);
    if (v + 1 > count) count = v + 1;
  }
  binned.binCounts[f] = count;
}
