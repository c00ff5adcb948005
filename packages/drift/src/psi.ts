import { DriftInputError } from './errors.ts';
import { countAtOrBelow, countBelow, quantileSorted, type Sample, toSortedArray } from './sample.ts';

/**
 * Which side of a bin an edge value belongs to:
 * - `left`: bins (-inf, e1), [e1, e2), ..., [ek, +inf) — numpy.digitize's default;
 * - `right`: bins (-inf, e1], (e1, e2], ..., (ek, +inf).
 * The two only differ for values that fall exactly on an edge, which happens with discrete data.
 */
export type BinClosedSide = 'left' | 'right';

export interface PsiOptions {
  /** Number of quantile bins of the reference; duplicate quantiles are merged, so there may be fewer. @default 10 */
  bins?: number;
  /** @default 'left' */
  closed?: BinClosedSide;
  /** Floor applied to each bin's proportion (in both samples) so that empty bins do not give log(0). @default 1e-4 */
  epsilon?: number;
}

/** Default floor of a bin proportion in PSI, the usual choice in credit-risk practice. */
export const PSI_EPSILON = 1e-4;

/** Bin edges and counts behind a PSI value. */
export interface PsiBins {
  /** Inner edges (k of them, k + 1 bins), strictly increasing; the outer bins are open-ended. */
  edges: number[];
  referenceCounts: number[];
  currentCounts: number[];
}

function checkBins(bins: number, what: string): void {
  if (!Number.isInteger(bins) || bins < 2) {
    throw new DriftInputError(`${what}: bins must be an integer >= 2, got ${bins}`);
  }
}

function checkEpsilon(epsilon: number, what: string): void {
  if (!(epsilon > 0 && epsilon < 1)) {
    throw new DriftInputError(`${what}: epsilon must be in (0, 1), got ${epsilon}`);
  }
}

/**
 * Inner bin edges at the reference's 1/bins, 2/bins, ... quantiles (numpy 'linear' quantiles), with
 * duplicates merged. Outer bins are open-ended so that current values outside the reference's range
 * still land in a bin.
 */
export function quantileBinEdges(sortedReference: Float64Array, bins: number): number[] {
  checkBins(bins, 'quantileBinEdges');
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const edge = quantileSorted(sortedReference, k / bins);
    if (edges.length === 0 || edge !== edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

/** Counts of a sorted sample in the bins delimited by `edges` (open-ended outer bins). */
export function binCountsSorted(
  sorted: Float64Array,
  edges: readonly number[],
  closed: BinClosedSide,
): number[] {
  const counts = new Array<number>(edges.length + 1);
  const below = closed === 'left' ? countBelow : countAtOrBelow;
  let previous = 0;
  for (let k = 0; k < edges.length; k++) {
    const cumulative = below(sorted, edges[k]!);
    counts[k] = cumulative - previous;
    previous = cumulative;
  }
  counts[edges.length] = sorted.length - previous;
  return counts;
}

/**
 * PSI from bin (or category) counts: Σ (p_cur - p_ref) · ln(p_cur / p_ref) with each proportion
 * floored at `epsilon` (no renormalisation), the convention of the reference values.
 */
export function psiFromCounts(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
  options: { epsilon?: number } = {},
): number {
  const epsilon = options.epsilon ?? PSI_EPSILON;
  checkEpsilon(epsilon, 'psiFromCounts');
  if (referenceCounts.length !== currentCounts.length || referenceCounts.length === 0) {
    throw new DriftInputError(
      `psiFromCounts: reference and current counts must be non-empty and of equal length, got ${referenceCounts.length} and ${currentCounts.length}`,
    );
  }
  let referenceTotal = 0;
  let currentTotal = 0;
  for (let k = 0; k < referenceCounts.length; k++) {
    const r = referenceCounts[k]!;
    const c = currentCounts[k]!;
    if (!(r >= 0 && c >= 0) || !Number.isFinite(r) || !Number.isFinite(c)) {
      throw new DriftInputError(
        `psiFromCounts: counts must be finite and non-negative (bin ${k}: ${r}, ${c})`,
      );
    }
    referenceTotal += r;
    currentTotal += c;
  }
  if (referenceTotal === 0 || currentTotal === 0) {
    throw new DriftInputError('psiFromCounts: both count vectors must have a positive total');
  }
  let psi = 0;
  for (let k = 0; k < referenceCounts.length; k++) {
    const pr = Math.max(referenceCounts[k]! / referenceTotal, epsilon);
    const pc = Math.max(currentCounts[k]! / currentTotal, epsilon);
    psi += (pc - pr) * Math.log(pc / pr);
  }
  return psi;
}

/** PSI bins and value for samples that are already sorted and finite (used by compareDistributions). */
export function psiSorted(
  reference: Float64Array,
  current: Float64Array,
  options: PsiOptions = {},
): PsiBins & { psi: number } {
  const bins = options.bins ?? 10;
  const closed = options.closed ?? 'left';
  if (closed !== 'left' && closed !== 'right') {
    throw new DriftInputError(
      `populationStabilityIndex: closed must be 'left' or 'right', got '${String(closed)}'`,
    );
  }
  const edges = quantileBinEdges(reference, bins);
  const referenceCounts = binCountsSorted(reference, edges, closed);
  const currentCounts = binCountsSorted(current, edges, closed);
  const psi = psiFromCounts(referenceCounts, currentCounts, { epsilon: options.epsilon ?? PSI_EPSILON });
  return { edges, referenceCounts, currentCounts, psi };
}

/** PSI of a numeric feature with the bin edges and counts it was computed from. */
export function psiBins(
  reference: Sample,
  current: Sample,
  options: PsiOptions = {},
): PsiBins & { psi: number } {
  return psiSorted(
    toSortedArray(reference, 'populationStabilityIndex: reference sample'),
    toSortedArray(current, 'populationStabilityIndex: current sample'),
    options,
  );
}

/**
 * Population stability index of a numeric feature: bins at the reference's quantiles (open-ended
 * outer bins, duplicate edges merged), proportions floored at 1e-4, PSI = Σ (p_cur - p_ref) ln(p_cur/p_ref).
 * Rule of thumb: < 0.1 stable, 0.1–0.2 moderate shift, > 0.2 significant shift. Its null distribution
 * grows like (bins - 1)·(1/n_ref + 1/n_cur), so small windows produce large PSI values by chance.
 *
 * @throws DriftInputError for empty or non-finite samples or invalid options.
 */
export function populationStabilityIndex(
  reference: Sample,
  current: Sample,
  options: PsiOptions = {},
): number {
  return psiBins(reference, current, options).psi;
}
