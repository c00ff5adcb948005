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
  /**
   * Trees at the last rung (fewer when the budget cannot pay for them); lower rungs get fewer,
   * in proportion to their rows, but at least `minTrees`.
   * @default 100
   */
  topTrees: number;
  /**
   * Fewest trees of a fit. Scores of forests of few trees favour many features per split and
   * shallow trees (each tree must be good alone), which a forest of 100 does not need.
   * @default 30
   */
  minTrees: number;
}

/**
 * The rungs for `nCandidates` over `nWindows` windows. After each rung the best 1/eta go on, and
 * so does the best candidate of every window not among them (so every window is still judged on
 * all its rows at the last rung: low rungs, on a small share of each window, cannot tell whether
 * a short window of the new regime beats a long one). Counts are upper bounds: 54 candidates over
 * 3 windows with eta 3 give rungs of at most 54, 20, 9 and 5; over 1 window, 18 give 18, 6 and 2.
 */
export function planRungs(nCandidates: number, schedule: HalvingSchedule, nWindows = 1): Rung[] {
  const counts = [nCandidates];
  const floor = schedule.eta + nWindows - 1;
  for (let n = nCandidates; n > floor; counts.push(n))
    n = Math.min(n - 1, Math.ceil(n / schedule.eta) + nWindows - 1);
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
 * The candidates that go on after a rung, from its ranking (best first): the best
 * ceil(n / eta), then the best of each window not among them, in ranking order.
 */
export function promote<T extends { candidate: Candidate }>(ranked: readonly T[], eta: number): T[] {
  const keep = ranked.slice(0, Math.ceil(ranked.length / eta));
  const windows = new Set(keep.map((t) => t.candidate.window.start));
  for (const trial of ranked) {
    if (windows.has(trial.candidate.window.start)) continue;
    windows.add(trial.candidate.window.start);
    keep.push(trial);
  }
  return keep;
}

/**
 * The order rung 0 scores its candidates in: round-robin over the windows, each window's
 * candidates cheapest first (by `cost`, ties in their own order). The budget can end rung 0
 * part-way: on wide tables a fit of every feature per split takes seconds, and scored window by
 * window in the grid's order, the freshest window's expensive candidates used the whole budget
 * while the larger windows were never tried (784 features: the newest 2,000 rows won over all
 * 5,000 without the latter being scored). Cheapest first also lets the fit-cost model learn from
 * small fits before it must price large ones.
 */
export function interleaveWindows<T extends { candidate: Candidate }>(
  trials: readonly T[],
  cost: (trial: T) => number = () => 0,
): T[] {
  const byWindow = new Map<number, T[]>();
  for (const trial of trials) {
    const list = byWindow.get(trial.candidate.window.start) ?? [];
    list.push(trial);
    byWindow.set(trial.candidate.window.start, list);
  }
  const lists = [...byWindow.values()].map((list) => [...list].sort((a, b) => cost(a) - cost(b)));
  const order: T[] = [];
  for (let i = 0; order.length < trials.length; i++)
    for (const list of lists) if (i < list.length) order.push(list[i]!);
  return order;
}

/** Fits still to come when `alive` candidates enter rung `next` of `rungs` (upper bound). */
export function fitsAhead(
  alive: number,
  next: number,
  rungs: readonly Rung[],
  eta: number,
  nWindows: number,
): number {
  let total = 0;
  let n = alive;
  for (let r = next; r < rungs.length; r++) {
    total += n;
    n = Math.min(n, Math.ceil(n / eta) + nWindows - 1);
  }
  return total;
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
 * the window). The search passes a floor of `minRows` too, so a short window is never judged on
 * a few dozen rows (search.ts rowsAt).
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
   * Predicted milliseconds for a fit of `work`; 0 (unknown) until eight fits were seen and, unless
   * `extrapolate`, for work more than {@link MAX_EXTRAPOLATION} times the largest seen: priced
   * from rung 0's small fits, a fit a thousand times larger comes out several times too dear, and
   * the halving would stop long before its budget is spent. The refit, which must fit in what is
   * left, does extrapolate: erring dear there only costs it trees.
   */
  estimate(work: number, extrapolate = false): number {
    if (this.#fits.length < 8) return 0;
    let fixed = Number.POSITIVE_INFINITY;
    let largest = 0;
    for (const fit of this.#fits) {
      fixed = Math.min(fixed, fit.ms);
      largest = Math.max(largest, fit.work);
    }
    if (!extrapolate && work > MAX_EXTRAPOLATION * largest) return 0;
    const perWork = this.#fits
      .filter((fit) => fit.work >= largest / 10 && fit.work > 0)
      .map((fit) => Math.max(0, fit.ms - fixed) / fit.work)
      .sort((a, b) => a - b);
    const median = perWork[Math.floor(perWork.length / 2)] ?? 0;
    return fixed + median * work;
  }
}
