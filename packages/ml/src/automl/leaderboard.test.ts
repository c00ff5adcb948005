import { describe, expect, it } from 'vitest';
import type { Rung } from './halving.ts';
import { describeWinner, preferWithinNoise, rankTrials, type Trial } from './leaderboard.ts';

const rungs: Rung[] = [
  { index: 0, candidates: 4, rowFraction: 1 / 9, trees: 30 },
  { index: 1, candidates: 2, rowFraction: 1 / 3, trees: 30 },
  { index: 2, candidates: 1, rowFraction: 1, trees: 100 },
];

function trial(
  id: number,
  window: string,
  rows: number,
  score: number | null,
  rung = 0,
  params: Partial<Trial['candidate']['params']> = {},
): Trial {
  return {
    candidate: {
      id,
      window: { name: window, start: 10_000 - rows, end: 10_000, rows },
      params: { maxDepth: null, minSamplesLeaf: 1, maxFeatures: 'sqrt', classWeight: null, ...params },
    },
    scores: [0, 1, 2].map((r) => (r === rung ? score : r < rung ? 0.5 : null)),
    fitMs: 10,
    rung: score === null ? -1 : rung,
    trees: 30,
    rows: 200,
    cut: false,
  };
}

describe('the winner of a search the budget ended at rung 0', () => {
  it('is the larger window when it scored within noise of the best', () => {
    // 1,000 validation rows at 0.728: noise is 1.645 × √2 × 0.014 = 0.033.
    const trials = [
      trial(0, 'newest-2000', 1000, 0.728),
      trial(1, 'newest-5000', 4000, 0.69),
      trial(2, 'all', 9000, 0.716),
      trial(3, 'all', 9000, null),
    ];
    const contest = preferWithinNoise(rankTrials(trials, rungs), 1000);
    expect(contest.ranked[0]!.candidate.id).toBe(2);
    expect(contest.preferredOver?.best.candidate.id).toBe(0);
    expect(contest.preferredOver?.margin).toBeCloseTo(
      1.645 * Math.SQRT2 * Math.sqrt((0.728 * 0.272) / 1000),
      6,
    );
    expect(describeWinner(contest, 'accuracy')).toMatch(
      /^validation accuracy 0\.716 .*window all \(9,000 rows\).*within noise \(0\.033\) of the best, 0\.728 \(window newest-2000/,
    );
  });

  it('is the candidate closest to the defaults among those within noise, at a rung before the last', () => {
    const trials = [
      trial(0, 'all', 9000, 0.751, 1, { maxDepth: 8 }),
      trial(1, 'all', 9000, 0.733, 1, { maxFeatures: 'all' }),
      trial(2, 'all', 9000, 0.745, 1),
      trial(3, 'all', 9000, 0.749, 1, { classWeight: 'balanced' }),
      trial(4, 'newest-2000', 1000, 0.75, 0),
    ];
    const contest = preferWithinNoise(rankTrials(trials, rungs), 1000);
    expect(contest.ranked[0]!.candidate.id).toBe(2);
    expect(describeWinner(contest, 'accuracy')).toContain('the budget ended the halving at rung 1 of 2');
  });

  it('stays the best score when the others are further off, or at the last rung', () => {
    const farOff = [trial(0, 'since-change', 500, 0.86), trial(1, 'all', 9000, 0.11)];
    expect(preferWithinNoise(rankTrials(farOff, rungs), 1000).ranked[0]!.candidate.id).toBe(0);
    // Judged at the last rung (each on its whole window): that verdict stands.
    const last = [trial(0, 'newest-2000', 1000, 0.728, 2, { maxDepth: 8 }), trial(1, 'all', 9000, 0.72, 2)];
    const contest = preferWithinNoise(rankTrials(last, rungs), 1000);
    expect(contest.ranked[0]!.candidate.id).toBe(0);
    expect(contest.preferredOver).toBeUndefined();
    expect(describeWinner(contest, 'accuracy')).toMatch(/^best validation accuracy 0\.728 at rung 2 of 2/);
  });
});
