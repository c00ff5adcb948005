import { mulberry32 } from '../synthetic.ts';
import type { Candidate } from './candidates.ts';

/**
 * Successive halving (Jamieson & Talwalkar 2016; scikit-learn's HalvingGridSearchCV): every
 * candidate is scored cheaply at rung 0 (a few trees on a random subsample of its window), the
 * best 1/eta go on to the next rung with eta times the rows and more trees, and so on until at
 * most eta remain, which the last rung scores on their whole window.
 */
export interface Rung {
  index: number;
  /** Candidates scored at this rung. */
  candidates: number;
  /** Share of each candidate's window it trains on (1 at the last rung). */
  rowFraction: number;
  trees: number;
}

export interface HalvingSchedule {
  /** @default 3 */
  eta: number;
  /** Trees at the last rung; lower rungs get fewer, in proportion to their rows. @default 30 */
  topTrees: number;
  /** @default 10 */
  minTrees: number;
}

/** The rungs for `nCandidates`: 72 candidates with eta 3 give rungs of 72, 24, 8 and 3. */
export function planRungs(nCandidates: number, schedule: HalvingSchedule): Rung[] {
  const counts = [nCandidates];
  while (counts[counts.length - 1]! > schedule.eta)
    counts.push(Math.ceil(counts[counts.length - 1]! / schedule.eta));
  const last = counts.length - 1;
  return counts.map((candidates, index) => {
    const rowFraction = schedule.eta ** -(last - index);
    return {
      index,
      candidates,
      rowFraction,
      trees: Math.max(schedule.minTrees, Math.round(schedule.topTrees * rowFraction)),
    };
  });
}

/**
 * Rows of a window a rung trains on: `size` of [start, end) drawn without replacement, in serve
 * order. A uniform draw keeps the window's character (an "all" window stays old and new rows).
 * Seeded by (seed, rung, window start), so every candidate of a window sees the same rows at a
 * rung, and their scores differ by their parameters rather than by their luck.
 */
export function subsampleRows(start: number, end: number, size: number, seed: number): Int32Array {
  const n = end - start;
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) index[i] = start + i;
  if (size >= n) return index;
  const random = mulberry32(seed);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = index[i]!;
    index[i] = index[j]!;
    index[j] = t;
  }
  return index.subarray(0, size).sort();
}

/**
 * Rows a candidate trains on at a rung: the same share of every window, so that a long window
 * keeps its advantage in volume over a short one at every rung (a fixed number of rows at rung 0
 * would hide it, and the halving would wrongly favour short windows). The share is raised so
 * the largest window gets at least `minRows` rows; never fewer than `floorRows` (nor more than
 * the window).
 */
export function rungRows(
  candidate: Candidate,
  rung: Rung,
  largestWindow: number,
  minRows: number,
  floorRows: number,
): number {
  const { rows } = candidate.window;
  const share = Math.max(rung.rowFraction, Math.min(1, minRows / largestWindow));
  return Math.min(rows, Math.max(floorRows, Math.ceil(rows * share)));
}

/**
 * Relative cost of a fit, for predicting how long the next rung and the final fit take: a
 * histogram forest costs about trees × rows × features tried × tree levels.
 */
export function fitWork(
  trees: number,
  rows: number,
  featuresTried: number,
  maxDepth: number | null,
  minLeaf: number,
): number {
  const levels = Math.min(maxDepth ?? Number.POSITIVE_INFINITY, Math.log2(Math.max(2, rows / minLeaf)) + 2);
  return trees * rows * featuresTried * levels;
}

/** How far beyond the largest fit seen {@link FitCostModel} extrapolates. */
export const MAX_EXTRAPOLATION = 20;

/**
 * Fit time as a fixed cost plus a cost per unit of {@link fitWork}. The fixed cost is the
 * fastest fit seen; the cost per unit is the median, over the fits of at least a tenth of the
 * largest work seen, of their time beyond the fixed cost per unit of work. Small fits are mostly
 * fixed cost and a pause of the machine during one would dominate them; the largest fits are the
 * most like the refit, and the median ignores the odd slow one.
 */
export class FitCostModel {
  #fits: { work: number; ms: number }[] = [];

  add(work: number, ms: number): void {
    this.#fits.push({ work, ms });
  }

  /**
   * Predicted milliseconds for a fit of `work`; 0 (unknown) until eight fits were seen, and for
   * work more than {@link MAX_EXTRAPOLATION} times the largest seen: from rung 0's tiny fits,
   * mostly fixed cost and noise, a refit a thousand times larger cannot be priced.
   */
  estimate(work: number): number {
    if (this.#fits.length < 8) return 0;
    let fixed = Number.POSITIVE_INFINITY;
    let largest = 0;
    for (const fit of this.#fits) {
      fixed = Math.min(fixed, fit.ms);
      largest = Math.max(largest, fit.work);
    }
    if (work > MAX_EXTRAPOLATION * largest) return 0;
    const perWork = this.#fits
      .filter((fit) => fit.work >= largest / 10 && fit.work > 0)
      .map((fit) => Math.max(0, fit.ms - fixed) / fit.work)
      .sort((a, b) => a - b);
    const median = perWork[Math.floor(perWork.length / 2)] ?? 0;
    return fixed + median * work;
  }
}
