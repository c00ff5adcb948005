import { DriftInputError } from './errors.ts';

export interface JensenShannonOptions {
  /** Logarithm base; 2 bounds the distance by 1. @default Math.E (natural logarithm, like scipy) */
  base?: number;
}

function normalise(counts: readonly number[], what: string): number[] {
  let total = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k]!;
    if (!(c >= 0) || !Number.isFinite(c)) {
      throw new DriftInputError(
        `jensenShannon: ${what} counts must be finite and non-negative (index ${k}: ${c})`,
      );
    }
    total += c;
  }
  if (total === 0)
    throw new DriftInputError(`jensenShannon: ${what} counts sum to 0; pass at least one observation`);
  return counts.map((c) => c / total);
}

/** x·ln(x/y) with the conventions of scipy.special.rel_entr (0 when x = 0). */
function relativeEntropyTerm(x: number, y: number): number {
  if (x === 0) return 0;
  return x * Math.log(x / y);
}

/**
 * Jensen-Shannon distance (the square root of the divergence) between two histograms given as counts
 * over the same bins or categories, each normalised to sum to 1 (scipy.spatial.distance.jensenshannon).
 * Symmetric, finite even with empty bins, and in [0, sqrt(ln 2)] (or [0, 1] with base 2).
 *
 * @throws DriftInputError when the vectors differ in length, have negative entries or sum to 0.
 */
export function jensenShannon(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
  options: JensenShannonOptions = {},
): number {
  if (referenceCounts.length !== currentCounts.length || referenceCounts.length === 0) {
    throw new DriftInputError(
      `jensenShannon: count vectors must be non-empty and of equal length, got ${referenceCounts.length} and ${currentCounts.length}`,
    );
  }
  const base = options.base ?? Math.E;
  if (!(base > 0) || base === 1 || !Number.isFinite(base)) {
    throw new DriftInputError(`jensenShannon: base must be a positive number other than 1, got ${base}`);
  }
  const p = normalise(referenceCounts, 'reference');
  const q = normalise(currentCounts, 'current');
  let left = 0;
  let right = 0;
  for (let k = 0; k < p.length; k++) {
    const m = (p[k]! + q[k]!) / 2;
    left += relativeEntropyTerm(p[k]!, m);
    right += relativeEntropyTerm(q[k]!, m);
  }
  let divergence = left + right;
  if (options.base !== undefined) divergence /= Math.log(base);
  // Rounding can leave a divergence of -1e-17 for identical histograms.
  return Math.sqrt(Math.max(divergence / 2, 0));
}
