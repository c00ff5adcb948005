import { ForestInputError } from '../errors.ts';
import { type Candidate, describeParams } from './candidates.ts';
import type { Rung } from './halving.ts';
import type { LeaderboardEntry, SearchMetric } from './search.ts';

/** A candidate's course through the rungs. */
export interface Trial {
  candidate: Candidate;
  /** Validation score per rung, null where not scored (or its fit failed). */
  scores: (number | null)[];
  fitMs: number;
  /** Last rung it was fitted at, -1 if never. */
  rung: number;
  /** Trees and rows of its last fit. */
  trees: number;
  rows: number;
  /** Dropped by the halving. */
  cut: boolean;
  error?: string;
}

export interface Contest {
  /** Best first: highest rung reached, then score at that rung, then candidate order. */
  ranked: Trial[];
  rungs: readonly Rung[];
}

function lastScore(trial: Trial): number | null {
  return trial.rung < 0 ? null : (trial.scores[trial.rung] ?? null);
}

/** Ranks the trials; the first is the winner. Throws when no candidate could be scored at all. */
export function rankTrials(trials: readonly Trial[], rungs: readonly Rung[]): Contest {
  const ranked = [...trials].sort((a, b) => {
    if (a.rung !== b.rung) return b.rung - a.rung;
    const sa = lastScore(a) ?? Number.NEGATIVE_INFINITY;
    const sb = lastScore(b) ?? Number.NEGATIVE_INFINITY;
    return sa !== sb ? sb - sa : a.candidate.id - b.candidate.id;
  });
  if (lastScore(ranked[0]!) === null) {
    const why = trials.find((t) => t.error)?.error ?? 'the budget ended before the first fit';
    throw new ForestInputError(`no candidate of the search could be scored: ${why}`);
  }
  return { ranked, rungs };
}

export function toLeaderboard(contest: Contest): LeaderboardEntry[] {
  return contest.ranked.map((trial, i) => {
    const { candidate } = trial;
    return {
      rank: i + 1,
      id: candidate.id,
      window: candidate.window,
      params: { ...candidate.params, nTrees: trial.trees },
      score: lastScore(trial),
      scores: trial.scores,
      trainRows: trial.rows,
      fitMs: trial.fitMs,
      rung: trial.rung,
      cutByHalving: trial.cut,
      winner: i === 0,
      ...(trial.error ? { error: trial.error } : {}),
    };
  });
}

const METRIC_NAMES: Record<SearchMetric, string> = {
  accuracy: 'accuracy',
  balancedAccuracy: 'balanced accuracy',
};

function describeCandidate(trial: Trial): string {
  const { window, params } = trial.candidate;
  return `window ${window.name} (${window.rows.toLocaleString('en-US')} rows), ${describeParams(params)}`;
}

/**
 * Why the winner won, for a person: "best validation accuracy 0.953 at rung 3 of 3 (50 trees on
 * its whole window): window all (16,000 rows), depth unlimited, ...; beat the runner-up (window
 * since-change ...) by 0.004".
 */
export function describeWinner(contest: Contest, metric: SearchMetric): string {
  const [winner, runnerUp] = contest.ranked as [Trial, Trial | undefined];
  const score = lastScore(winner)!;
  const lastRung = contest.rungs.length - 1;
  const rung = winner.rung;
  const at =
    `at rung ${rung} of ${lastRung} (${winner.trees} trees on ` +
    `${winner.rows === winner.candidate.window.rows ? 'its whole window' : `${winner.rows.toLocaleString('en-US')} rows of its window`})`;
  const head = `best validation ${METRIC_NAMES[metric]} ${score.toFixed(3)} ${at}: ${describeCandidate(winner)}`;
  const rival = runnerUp && runnerUp.rung === rung ? runnerUp : undefined;
  if (!rival || lastScore(rival) === null) {
    return `${head}; the only candidate scored at rung ${rung} (the budget ended the halving there)`;
  }
  const margin = score - lastScore(rival)!;
  return `${head}; beat the runner-up (${describeCandidate(rival)}) by ${margin.toFixed(3)}`;
}
