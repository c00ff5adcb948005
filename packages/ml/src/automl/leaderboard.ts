import { ForestInputError } from '../errors.ts';
import { type Candidate, describeParams, distanceFromDefaults } from './candidates.ts';
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
  /** Set when a candidate within noise of the best score was preferred (preferWithinNoise). */
  preferredOver?: { best: Trial; margin: number };
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

/** One-sided 95 % normal quantile. */
const NOISE_Z = 1.645;

/**
 * When the budget ended the halving before its last rung (a wide table, a loaded machine), the
 * scores are of 30-tree forests on a few hundred rows of each window (at rung 0 of a long
 * halving every window trains on the same 200 rows, so a larger window has no advantage there),
 * and which candidate scored best is much luck. Among the candidates of the winner's rung within
 * noise of the best score, with its class weight, the one of the largest window wins, and of
 * those the one closest to the forest's defaults (unlimited depth, leaf 1, sqrt features).
 * Noise: the one-sided 95 % bound of the difference of two proportions over the validation
 * rows, 1.645 × √2 standard errors at the best score. A change that calls for a short window
 * shows as far more than that (since-change 0.86 against all 0.11 on a concept change). On
 * Fashion-MNIST (784 columns, bench/automl/wide.ts, 8 s) the newest 2,000 of 10,000 rows won at
 * rung 0 by 0.019 (noise: 0.032), and depth 8 won at rung 1 of 4 with a larger budget.
 */
export function preferWithinNoise(contest: Contest, validationRows: number): Contest {
  const [best] = contest.ranked as [Trial];
  const score = lastScore(best);
  if (score === null || best.rung >= contest.rungs.length - 1) return contest;
  const margin = NOISE_Z * Math.SQRT2 * Math.sqrt((score * (1 - score)) / Math.max(1, validationRows));
  const preference = (t: Trial) =>
    [t.candidate.window.rows, -distanceFromDefaults(t.candidate.params)] as const;
  let chosen = best;
  for (const trial of contest.ranked) {
    const s = trial.rung === best.rung ? lastScore(trial) : null;
    if (s === null || s < score - margin) continue;
    if (trial.candidate.params.classWeight !== best.candidate.params.classWeight) continue;
    const [rows, closeness] = preference(trial);
    const [chosenRows, chosenCloseness] = preference(chosen);
    if (rows > chosenRows || (rows === chosenRows && closeness > chosenCloseness)) chosen = trial;
  }
  if (chosen === best) return contest;
  const ranked = [chosen, ...contest.ranked.filter((t) => t !== chosen)];
  return { ...contest, ranked, preferredOver: { best, margin } };
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
  if (contest.preferredOver) {
    const { best, margin } = contest.preferredOver;
    return (
      `validation ${METRIC_NAMES[metric]} ${score.toFixed(3)} ${at}: ${describeCandidate(winner)}; ` +
      `within noise (${margin.toFixed(3)}) of the best, ${lastScore(best)!.toFixed(3)} ` +
      `(${describeCandidate(best)}): the budget ended the halving at rung ${best.rung} of ${contest.rungs.length - 1}, where the larger window and the forest's defaults are preferred`
    );
  }
  const rival = runnerUp && runnerUp.rung === rung ? runnerUp : undefined;
  if (!rival || lastScore(rival) === null) {
    return `${head}; the only candidate scored at rung ${rung} (the budget ended the halving there)`;
  }
  const margin = score - lastScore(rival)!;
  return `${head}; beat the runner-up (${describeCandidate(rival)}) by ${margin.toFixed(3)}`;
}
