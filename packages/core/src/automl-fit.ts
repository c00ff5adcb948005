import type { LeaderboardEntry, SearchResult, TrainingWindow } from '@automl-stream/ml';

/** Newest-N windows tried beside "all" and "since the change", when shorter than the rows. */
const NEWEST = [2_000, 5_000, 10_000];

/**
 * The training windows a search tries over `n` training rows (oldest first): the rows since a
 * located change (`sinceStart`, when there is one); the newest N for a few N; all of them. For a
 * covariate shift the older rows are usually still right, for a concept change they are not: the
 * validation on the newest rows decides. Freshest first: when the budget ends the search part-way
 * (a loaded machine, a wide table), the windows scored are those that cannot mix in an old concept.
 */
export function searchWindows(n: number, sinceStart: number | null, minRows: number): TrainingWindow[] {
  const windows: TrainingWindow[] = [];
  if (sinceStart !== null && sinceStart > 0 && n - sinceStart >= minRows) {
    windows.push({ name: 'since-change', start: sinceStart });
  }
  for (const size of NEWEST) {
    const start = n - size;
    const others = [...windows, { start: 0 }];
    if (start > 0 && size >= minRows && others.every((w) => Math.abs(w.start - start) > size / 4)) {
      windows.push({ name: `newest-${size}`, start });
    }
  }
  windows.push({ name: 'all', start: 0 });
  return windows;
}

/** A leaderboard row as stored with the version (JSON) and shown by the API. */
export interface StoredCandidate {
  rank: number;
  window: string;
  windowStart: number;
  windowRows: number;
  maxDepth: number | null;
  minSamplesLeaf: number;
  maxFeatures: string | number;
  classWeight: string | null;
  nTrees: number;
  score: number | null;
  fitMs: number;
  rung: number;
  cutByHalving: boolean;
  winner: boolean;
}

/** What is stored with the version about the search that chose it (`params.search`). */
export interface StoredSearch {
  metric: string;
  reason: string;
  window: string;
  budgetSeconds: number;
  elapsedMs: number;
  stoppedByBudget: boolean;
  rungs: number;
  /** The rows the winner was refit on (its window and the validation rows); absent before 2026-12. */
  refitRows?: number;
  candidates: StoredCandidate[];
}

const candidate = (e: LeaderboardEntry): StoredCandidate => ({
  rank: e.rank,
  window: e.window.name,
  windowStart: e.window.start,
  windowRows: e.window.rows,
  maxDepth: e.params.maxDepth,
  minSamplesLeaf: e.params.minSamplesLeaf,
  maxFeatures: e.params.maxFeatures,
  classWeight: e.params.classWeight ?? null,
  nTrees: e.params.nTrees,
  score: e.score,
  fitMs: Math.round(e.fitMs),
  rung: e.rung,
  cutByHalving: e.cutByHalving,
  winner: e.winner,
});

/** The search as stored with the version it produced. */
export function storedSearch(result: SearchResult): StoredSearch {
  return {
    metric: result.metric,
    reason: result.winner.reason,
    window: result.winner.window.name,
    budgetSeconds: result.budgetSeconds,
    elapsedMs: Math.round(result.elapsedMs),
    stoppedByBudget: result.stoppedByBudget,
    rungs: result.rungs.length,
    refitRows: result.winner.refit.rows,
    candidates: result.leaderboard.map(candidate),
  };
}
