import { ForestInputError } from '../errors.ts';
import { type MaxFeatures, resolveMaxFeatures } from '../options.ts';

/**
 * A training window offered to the search: the rows from `start` (an index into the rows in
 * serve order, oldest first) up to the validation rows. Names are the caller's, e.g.
 * `{ name: 'since-change', start: 14200 }`, `{ name: 'newest-5000', start: 15000 }`,
 * `{ name: 'all', start: 0 }`.
 */
export interface TrainingWindow {
  name: string;
  start: number;
}

/** A window as the search used it: rows [start, end), end being the first validation row. */
export interface ResolvedWindow {
  name: string;
  start: number;
  end: number;
  rows: number;
}

/** A window the search did not use, and why (too few rows, or the same rows as another). */
export interface SkippedWindow {
  name: string;
  start: number;
  reason: string;
}

/** The hyperparameters a candidate sets (the number of trees is the halving's resource). */
export interface CandidateParams {
  /** `null`: unlimited. */
  maxDepth: number | null;
  minSamplesLeaf: number;
  maxFeatures: MaxFeatures;
  classWeight: 'balanced' | null;
}

/** The values tried for each hyperparameter; every combination is a candidate, for every window. */
export interface SearchSpace {
  /** In order of preference: a tie goes to the earlier value (scikit-learn's defaults first). @default [null, 16, 8] */
  maxDepth: readonly (number | null)[];
  /** @default [1, 5] */
  minSamplesLeaf: readonly number[];
  /**
   * Values giving the same feature count for the table are tried once (for 10 features 'sqrt'
   * and 'log2' are both 3).
   * @default ['sqrt', 'log2', 0.5, 'all']
   */
  maxFeatures: readonly MaxFeatures[];
  /**
   * Tried only when the classes are imbalanced (see `isImbalanced`); otherwise only `null`.
   * @default [null, 'balanced']
   */
  classWeight: readonly ('balanced' | null)[];
}

export const DEFAULT_SEARCH_SPACE: SearchSpace = {
  maxDepth: [null, 16, 8],
  minSamplesLeaf: [1, 5],
  maxFeatures: ['sqrt', 'log2', 0.5, 'all'],
  classWeight: [null, 'balanced'],
};

export interface Candidate {
  id: number;
  window: ResolvedWindow;
  params: CandidateParams;
}

/**
 * Classes count as imbalanced when the rarest class present has fewer than a quarter of the
 * rows of the most frequent one: then the search scores balanced accuracy and tries
 * `classWeight: 'balanced'`.
 */
export const IMBALANCE_RATIO = 0.25;

export function isImbalanced(labels: Int32Array, end: number, nClasses: number): boolean {
  const counts = new Array<number>(nClasses).fill(0);
  for (let i = 0; i < end; i++) counts[labels[i]!]!++;
  const present = counts.filter((c) => c > 0);
  return Math.min(...present) < IMBALANCE_RATIO * Math.max(...present);
}

/**
 * Checks the caller's windows and clips them at the validation rows. A window with fewer than
 * `minRows` training rows or fewer than two classes is skipped, as is one with the same start
 * as an earlier window (the first name is kept).
 */
export function resolveWindows(
  windows: readonly TrainingWindow[],
  labels: Int32Array,
  validationStart: number,
  minRows: number,
): { used: ResolvedWindow[]; skipped: SkippedWindow[] } {
  if (!Array.isArray(windows) || windows.length === 0) {
    throw new ForestInputError('options.windows must list at least one training window { name, start }');
  }
  const used: ResolvedWindow[] = [];
  const skipped: SkippedWindow[] = [];
  const names = new Set<string>();
  for (const [i, window] of windows.entries()) {
    const { name, start } = window ?? {};
    if (typeof name !== 'string' || name === '' || names.has(name)) {
      throw new ForestInputError(
        `options.windows[${i}].name must be a non-empty unique string, got ${String(name)}`,
      );
    }
    names.add(name);
    if (typeof start !== 'number' || !Number.isInteger(start) || start < 0 || start >= labels.length) {
      throw new ForestInputError(
        `options.windows[${i}].start must be a row index in 0..${labels.length - 1}, got ${String(start)}`,
      );
    }
    const rows = validationStart - start;
    const same = used.find((w) => w.start === start);
    const why = same
      ? `same rows as window ${same.name}`
      : rows < minRows
        ? `${Math.max(0, rows)} training rows before the ${labels.length - validationStart} validation rows; at least ${minRows} needed`
        : new Set(labels.subarray(start, validationStart)).size < 2
          ? 'all its rows have the same label'
          : null;
    if (why) skipped.push({ name, start, reason: why });
    else used.push({ name, start, end: validationStart, rows });
  }
  if (used.length === 0) {
    throw new ForestInputError(
      `no training window is usable: ${skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}`,
    );
  }
  return { used, skipped };
}

/** Every window × hyperparameter combination, windows first, duplicates of feature count removed. */
export function buildCandidates(
  windows: readonly ResolvedWindow[],
  space: SearchSpace,
  nFeatures: number,
  imbalanced: boolean,
): Candidate[] {
  const seenCounts = new Set<number>();
  const maxFeatures = space.maxFeatures.filter((m) => {
    const count = resolveMaxFeatures(m, nFeatures);
    if (seenCounts.has(count)) return false;
    seenCounts.add(count);
    return true;
  });
  const classWeights = imbalanced ? space.classWeight : [null];
  const candidates: Candidate[] = [];
  for (const window of windows)
    for (const classWeight of classWeights)
      for (const maxDepth of space.maxDepth)
        for (const minSamplesLeaf of space.minSamplesLeaf)
          for (const m of maxFeatures) {
            candidates.push({
              id: candidates.length,
              window,
              params: { maxDepth, minSamplesLeaf, maxFeatures: m, classWeight },
            });
          }
  return candidates;
}

/** The caller's partial space over the defaults, each list checked to be non-empty. */
export function resolveSpace(space: Partial<SearchSpace> | undefined): SearchSpace {
  const merged = { ...DEFAULT_SEARCH_SPACE, ...space };
  for (const key of Object.keys(DEFAULT_SEARCH_SPACE) as (keyof SearchSpace)[]) {
    if (!Array.isArray(merged[key]) || merged[key].length === 0) {
      throw new ForestInputError(`options.space.${key} must be a non-empty list of values`);
    }
  }
  return merged;
}

/**
 * How many of depth, leaf and max features differ from the forest's defaults (unlimited depth,
 * leaf 1, sqrt features: scikit-learn's, and the fixed forest's but for its depth), 0 for them.
 */
export function distanceFromDefaults(params: CandidateParams): number {
  const { maxDepth, minSamplesLeaf, maxFeatures } = params;
  return Number(maxDepth !== null) + Number(minSamplesLeaf !== 1) + Number(maxFeatures !== 'sqrt');
}

/** "depth 16, leaf 5, features sqrt, balanced" */
export function describeParams(params: CandidateParams): string {
  const parts = [
    `depth ${params.maxDepth ?? 'unlimited'}`,
    `min leaf ${params.minSamplesLeaf}`,
    `max features ${params.maxFeatures}`,
  ];
  if (params.classWeight) parts.push(`class weight ${params.classWeight}`);
  return parts.join(', ');
}
