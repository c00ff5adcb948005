/** How the models page writes a version's parameters and data window. Pure. */
import { formatCount } from './format.ts';

/**
 * Training parameters as "key value" pairs, sorted by key, nested values as compact JSON;
 * anything that is not an object (the column is free-form JSON) is written as it is.
 */
export function summarizeParams(params: unknown): string[] {
  if (params === null || params === undefined) return [];
  if (typeof params !== 'object' || Array.isArray(params)) return [JSON.stringify(params)];
  return (
    Object.entries(params as Record<string, unknown>)
      // The search that chose the forest has a table of its own (the leaderboard).
      .filter(([key]) => key !== 'search')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([key, value]) =>
          `${key} ${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`,
      )
  );
}

/** The ingested rows a version learnt from: "rows #1,201–#2,400". */
export function formatRowWindow(start: number | null | undefined, end: number | null | undefined): string {
  if (start == null || end == null) return 'row window unknown';
  return `rows #${formatCount(start)}–#${formatCount(end)}`;
}

/** The parameters that tell random forests apart at a glance, in this order, when present. */
const KEY_PARAMS = ['nEstimators', 'maxDepth', 'maxFeatures', 'minSamplesLeaf'] as const;

/** The few parameters worth a glance ("nEstimators 20"); the rest stay one click away. */
export function keyParams(params: unknown): string[] {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return [];
  const record = params as Record<string, unknown>;
  return KEY_PARAMS.filter((key) => key in record).map((key) => `${key} ${String(record[key])}`);
}

/** A candidate of the search that chose a version (the `search.candidates` of the models query). */
export interface LeaderboardCandidate {
  rank: number;
  window: string;
  windowRows: number;
  maxDepth?: number | null;
  minSamplesLeaf: number;
  maxFeatures: string;
  classWeight?: string | null;
  nTrees: number;
  score?: number | null;
  fitMs: number;
  rung: number;
  cutByHalving: boolean;
  winner: boolean;
}

/** The cells of a leaderboard row, in the table's column order. */
export function candidateCells(c: LeaderboardCandidate): string[] {
  return [
    String(c.rank),
    c.window,
    formatCount(c.windowRows),
    c.maxDepth == null ? 'unlimited' : String(c.maxDepth),
    String(c.minSamplesLeaf),
    c.maxFeatures,
    c.classWeight ?? 'none',
    String(c.nTrees),
    c.score == null ? '–' : c.score.toFixed(4),
    formatCount(c.fitMs),
    String(c.rung),
    c.cutByHalving ? 'cut' : '',
  ];
}

/** "24 candidates in 2.9 s (budget 3 s), 3 rungs, accuracy", plus "stopped by the budget". */
export function searchSummary(search: {
  candidates: readonly unknown[];
  elapsedMs: number;
  budgetSeconds: number;
  rungs: number;
  metric: string;
  stoppedByBudget: boolean;
}): string {
  const seconds = (search.elapsedMs / 1000).toFixed(1);
  const budget = search.stoppedByBudget ? ', stopped by the budget' : '';
  return `${search.candidates.length} candidates in ${seconds} s (budget ${search.budgetSeconds} s${budget}), ${search.rungs} rungs of successive halving, scored by ${search.metric}`;
}

/** Why a version is the fixed forest (its `params.fixed`); null for older versions, which did not say. */
export function fixedReason(params: unknown): string | null {
  const fixed = (params as { fixed?: unknown } | null)?.fixed;
  return typeof fixed === 'string' ? fixed : null;
}

/**
 * The features a version was trained without (its `params.leftOut`), in a line: which, and the
 * transfer over the change that decided it; null when it used every feature.
 */
export function leftOutSummary(params: unknown): string | null {
  const leftOut = (params as { leftOut?: unknown } | null)?.leftOut as
    | {
        features?: number[];
        names?: string[];
        baseline?: number;
        accuracy?: number;
        pastRows?: number;
        inherited?: boolean;
      }
    | undefined;
  if (!leftOut?.features?.length) return null;
  const list = leftOut.features.map((j, k) => leftOut.names?.[k] ?? `column ${j}`).join(', ');
  if (leftOut.inherited) return `trained without ${list}, as the version it followed`;
  const percent = (x: number | undefined) => (x === undefined ? '?' : `${(100 * x).toFixed(1)} %`);
  return `trained without ${list}: a model of the ${formatCount(leftOut.pastRows ?? 0)} rows before the change predicted the window ${percent(leftOut.baseline)} right with it, ${percent(leftOut.accuracy)} without`;
}

/**
 * What a version promises when its forward check found its rows serially dependent (its
 * `params.forward.used`), in a line; null otherwise (it promises its gate score).
 */
export function forwardSummary(params: unknown): string | null {
  const forward = (params as { forward?: unknown } | null)?.forward as
    | {
        used?: boolean;
        n?: number;
        forwardErrors?: number;
        outOfBagErrors?: number;
        trainRows?: number;
        runs?: { observed: number; expected: number };
        worth?: number;
      }
    | undefined;
  if (!forward?.used || !forward.n) return null;
  const rate = (errors: number | undefined) => `${((100 * (errors ?? 0)) / forward.n!).toFixed(1)} %`;
  const runs =
    forward.worth && forward.runs
      ? `; their label changed ${formatCount(forward.runs.observed - 1)} times where independent rows would change ${formatCount(Math.round(forward.runs.expected - 1))}, so they count as ${formatCount(forward.worth)} independent rows`
      : '';
  return `promises its forward error, ${rate(forward.forwardErrors)}: its rows are serially dependent, and a model of the ${formatCount(forward.trainRows ?? 0)} older rows erred on ${forward.forwardErrors} of the newest ${formatCount(forward.n)} where out of bag erred on ${forward.outOfBagErrors} (${rate(forward.outOfBagErrors)})${runs}`;
}
