import { describe, expect, it } from 'vitest';
import { ForestInputError } from '../errors.ts';
import { accuracy, balancedAccuracy } from '../metrics.ts';
import { makeDriftStream, makeSyntheticDataset, type SyntheticDataset, sliceDataset } from '../synthetic.ts';
import { type SearchProgress, searchForest } from './search.ts';

const CHANGE = 4500;
const windows = [
  { name: 'since-change', start: CHANGE },
  { name: 'newest-2000', start: 4000 },
  { name: 'all', start: 0 },
];

function dataOf(stream: SyntheticDataset) {
  return { features: stream.features, labels: stream.labels, nFeatures: stream.nFeatures };
}

/**
 * `n` rows of 20 uniform features labelled by the nearest of 10 centres (seeded by `seed`); rows
 * from `change` on have classes 0↔1 and 2↔3 swapped. `rowSeed` seeds the rows.
 */
function nearestCentre(n: number, change: number, seed: number, rowSeed = seed + 1) {
  const F = 20;
  const centres = Array.from({ length: 10 }, (_, k) =>
    Array.from({ length: F }, (_, f) => rand(seed, k * F + f)),
  );
  const features = new Float64Array(n * F);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < F; f++) features[r * F + f] = rand(rowSeed, r * F + f);
    let best = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    centres.forEach((c, k) => {
      const d = c.reduce((sum, v, f) => sum + (v - features[r * F + f]!) ** 2, 0);
      if (d < bestDistance) [best, bestDistance] = [k, d];
    });
    labels[r] = r >= change && best < 4 ? best ^ 1 : best;
  }
  return { features, labels, nFeatures: F };
}

/** A seeded uniform draw in [0, 1) for index i. */
function rand(seed: number, i: number): number {
  let x = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return (x >>> 0) / 4294967296;
}

describe('searchForest on drifting streams', () => {
  it('keeps the old rows after a covariate shift (the labelling rule did not change)', async () => {
    // 6,000 rows; from row 4,500 the features the rule reads move to [0.3, 1). Validation: the
    // newest 750 rows, so since-change trains on 750 rows and all on 5,250.
    const stream = makeDriftStream({ nRows: 6000, changeAt: CHANGE, kind: 'covariate', seed: 5 });
    const result = await searchForest(dataOf(stream), { windows, seed: 1, threads: 2, budgetSeconds: 60 });
    expect(result.validation).toEqual({ start: 5250, rows: 750 });
    expect(result.metric).toBe('accuracy');
    expect(result.stoppedByBudget).toBe(false);
    expect(result.winner.window.name).toBe('all');
    expect(result.winner.refit).toMatchObject({ start: 0, end: 6000, rows: 6000, nTrees: 100 });

    // On the same validation rows every since-change candidate scored below the winner, and the
    // refit model is near the rule's accuracy (0.9: 10 % label noise) on fresh rows of the new regime.
    const since = result.leaderboard.filter((e) => e.window.name === 'since-change');
    expect(Math.max(...since.map((e) => e.score!))).toBeLessThan(result.winner.score!);
    const fresh = makeDriftStream({ nRows: 3000, changeAt: 0, kind: 'covariate', seed: 99 });
    expect(accuracy(fresh.labels, result.winner.forest.predict(fresh.features))).toBeGreaterThan(0.84);
  });

  it('drops the old rows after a concept change (the labels of the same features changed)', async () => {
    const stream = makeDriftStream({ nRows: 6000, changeAt: CHANGE, kind: 'concept', seed: 5 });
    const result = await searchForest(dataOf(stream), { windows, seed: 1, threads: 2, budgetSeconds: 60 });
    expect(result.winner.window).toEqual({ name: 'since-change', start: 4500, end: 5250, rows: 750 });
    expect(result.winner.reason).toMatch(
      /^best validation accuracy 0\.\d{3} at rung 3 of 3 \(100 trees on its whole window\): window since-change \(750 rows\), .*; beat the runner-up \(.*\) by 0\.\d{3}$/,
    );
    // The all window, mostly of the old concept, scores far below: its best candidate still
    // reaches the last rung (every window does), the others are cut at rung 0.
    const all = result.leaderboard.filter((e) => e.window.name === 'all');
    expect(all.filter((e) => e.rung === 3)).toHaveLength(1);
    expect(all.filter((e) => e.cutByHalving && e.rung === 0)).toHaveLength(all.length - 1);
    expect(Math.max(...all.map((e) => e.score!))).toBeLessThan(0.5);
    const fresh = makeDriftStream({ nRows: 3000, changeAt: 0, kind: 'concept', seed: 98 });
    expect(accuracy(fresh.labels, result.winner.forest.predict(fresh.features))).toBeGreaterThan(0.75);
  });
});

describe('the leaderboard', () => {
  it('lists every candidate once, ranked, with its rung, fit time, and whether halving cut it', async () => {
    const stream = makeDriftStream({ nRows: 6000, changeAt: CHANGE, kind: 'concept', seed: 5 });
    const result = await searchForest(dataOf(stream), { windows, seed: 1, threads: 2, budgetSeconds: 60 });
    const board = result.leaderboard;
    // 3 windows × 3 depths × 2 leaf sizes × 3 feature counts (sqrt = log2 = 3 of 10).
    expect(board).toHaveLength(54);
    expect(new Set(board.map((e) => e.id)).size).toBe(54);
    expect(board.map((e) => e.rank)).toEqual(Array.from({ length: 54 }, (_, i) => i + 1));
    expect(board.filter((e) => e.winner)).toEqual([board[0]]);
    // A third goes on, plus the best of each window not among them (the all and newest-2000
    // windows at rung 0, whose old-concept rows score badly).
    expect(result.rungs.map((r) => [r.candidates, r.scored, r.trees])).toEqual([
      [54, 54, 30],
      [20, 20, 30],
      [9, 9, 33],
      [5, 5, 100],
    ]);
    // Cut at rung r: the candidates scored there that did not go on.
    const cutAt = (r: number) => board.filter((e) => e.cutByHalving && e.rung === r).length;
    expect([cutAt(0), cutAt(1), cutAt(2)]).toEqual([34, 11, 4]);
    const last = board.filter((e) => e.rung === 3);
    expect(new Set(last.map((e) => e.window.name))).toEqual(new Set(['since-change', 'newest-2000', 'all']));
    expect(board.filter((e) => !e.cutByHalving).every((e) => e.rung === 3)).toBe(true);
    for (const entry of board) {
      expect(entry.window.end).toBe(result.validation.start); // never trained on validation rows
      expect(entry.fitMs).toBeGreaterThan(0);
      expect(entry.score).toBe(entry.scores[entry.rung]);
      expect(entry.scores.slice(entry.rung + 1).every((s) => s === null)).toBe(true);
    }
    // Ranked by rung reached, then score.
    for (let i = 1; i < board.length; i++) {
      const [a, b] = [board[i - 1]!, board[i]!];
      expect(a.rung > b.rung || (a.rung === b.rung && a.score! >= b.score!)).toBe(true);
    }
  });

  it('is the same for the same seed, forest included, and differs for another seed', async () => {
    const data = makeSyntheticDataset({ nRows: 2500, seed: 8 });
    const options = {
      windows: [
        { name: 'all', start: 0 },
        { name: 'newest-1200', start: 1300 },
      ],
      threads: 2,
      budgetSeconds: 120, // deterministic as long as the budget does not stop it
    };
    const [a, b, c] = await Promise.all([
      searchForest(dataOf(data), { ...options, seed: 3 }),
      searchForest(dataOf(data), { ...options, seed: 3 }),
      searchForest(dataOf(data), { ...options, seed: 4 }),
    ]);
    const summary = (r: typeof a) => r.leaderboard.map((e) => [e.id, e.rung, e.score, e.cutByHalving]);
    expect(summary(b)).toEqual(summary(a));
    expect(Buffer.from(b.winner.forest.serialize())).toEqual(Buffer.from(a.winner.forest.serialize()));
    expect(summary(c)).not.toEqual(summary(a));
  });
});

describe('imbalanced classes', () => {
  it('scores balanced accuracy and tries balanced class weights', async () => {
    // Class 2 kept for 1 row in 12: about 4 % of the rows.
    const data = makeSyntheticDataset({ nRows: 9000, seed: 21, noise: 0.05 });
    const keep = [...data.labels.keys()].filter((r) => data.labels[r] !== 2 || r % 12 === 0);
    const features = new Float64Array(keep.length * 10);
    for (const [i, r] of keep.entries()) features.set(data.features.subarray(r * 10, r * 10 + 10), i * 10);
    const labels = Int32Array.from(keep, (r) => data.labels[r]!);
    const train = {
      features: features.subarray(0, 4000 * 10),
      labels: labels.subarray(0, 4000),
      nFeatures: 10,
    };
    const result = await searchForest(train, { windows: [{ name: 'all', start: 0 }], seed: 2, threads: 2 });
    expect(result.metric).toBe('balancedAccuracy');
    expect(result.winner.reason).toMatch(/^best validation balanced accuracy /);
    expect(result.leaderboard.filter((e) => e.params.classWeight === 'balanced')).toHaveLength(18);
    // On later rows the winner finds the rare class far better than always guessing the others.
    const test = { features: features.subarray(4000 * 10), labels: labels.subarray(4000) };
    expect(balancedAccuracy(test.labels, result.winner.forest.predict(test.features))).toBeGreaterThan(0.75);
  });
});

describe('budget, abort and progress', () => {
  const big = makeDriftStream({ nRows: 20_000, changeAt: 14_000, kind: 'covariate', seed: 9 });
  const bigWindows = [
    { name: 'since-change', start: 14_000 },
    { name: 'all', start: 0 },
  ];

  it('stops the halving when the budget is spent and still returns a refit winner', async () => {
    const started = performance.now();
    const result = await searchForest(dataOf(big), {
      windows: bigWindows,
      budgetSeconds: 1,
      seed: 1,
      threads: 2,
    });
    const seconds = (performance.now() - started) / 1000;
    expect(result.stoppedByBudget).toBe(true);
    // Unbudgeted, this search fits 20,000 rows several times (about 5 s on 2 idle cores); test
    // files run two at a time, so the bound leaves room for another file's load.
    expect(seconds).toBeLessThan(4);
    expect(result.leaderboard.some((e) => e.rung < result.rungs.length - 1 && !e.cutByHalving)).toBe(true);
    expect(result.winner.forest.predict(big.features.subarray(0, 10)).length).toBe(1);
  });

  it('keeps a short window of the new concept when the budget stops the halving early', async () => {
    // 10 classes (the nearest of 10 seeded centres in 20 dimensions); from row 19,000 four of
    // them swap labels. since-change trains on 500 rows (the newest 500 validate), all on 19,500,
    // mostly of the old concept: right on six classes of ten. Judged on its share of the window at
    // the low rungs (20 rows for 10 classes), since-change lost to all before the budget ran out.
    const late = nearestCentre(20_000, 19_000, 3);
    const result = await searchForest(late, {
      windows: [
        { name: 'since-change', start: 19_000 },
        { name: 'all', start: 0 },
      ],
      budgetSeconds: 1,
      seed: 1,
      threads: 2,
    });
    expect(result.stoppedByBudget).toBe(true);
    expect(result.winner.window.name).toBe('since-change');
    const all = result.leaderboard.filter((e) => e.window.name === 'all' && e.score !== null);
    expect(Math.max(...all.map((e) => e.score!))).toBeLessThan(result.winner.score!);
    const fresh = nearestCentre(2000, 0, 3, 97);
    expect(accuracy(fresh.labels, result.winner.forest.predict(fresh.features))).toBeGreaterThan(0.55);
  });

  it('tries every window when the budget ends rung 0 part-way (a wide table)', async () => {
    // 400 features: a fit that tries all of them per split costs ~20 times one that tries 20.
    // Scored window by window, the budget went on the newest window's candidates and the
    // window of all rows was never tried.
    const F = 400;
    const n = 6000;
    const features = new Float64Array(n * F);
    const labels = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      for (let f = 0; f < F; f++) features[r * F + f] = rand(11, r * F + f);
      labels[r] =
        (features[r * F]! + features[r * F + 1]! > 1 ? 1 : 0) + (features[r * F + 2]! > 0.5 ? 2 : 0);
    }
    const result = await searchForest(
      { features, labels, nFeatures: F },
      {
        windows: [
          { name: 'newest-2000', start: n - 2000 },
          { name: 'all', start: 0 },
        ],
        budgetSeconds: 1.5,
        seed: 1,
        threads: 2,
      },
    );
    expect(result.stoppedByBudget).toBe(true);
    const scored = result.leaderboard.filter((e) => e.score !== null);
    expect(scored.length).toBeLessThan(result.leaderboard.length);
    expect(new Set(scored.map((e) => e.window.name))).toEqual(new Set(['newest-2000', 'all']));
    // Each window's forest defaults were scored first: the fallback when the halving ends early.
    const defaults = scored.filter(
      (e) => e.params.maxDepth === null && e.params.minSamplesLeaf === 1 && e.params.maxFeatures === 'sqrt',
    );
    expect(defaults.map((e) => e.window.name).sort()).toEqual(['all', 'newest-2000']);
  });

  it('rejects with the signal’s reason when aborted, before or during the search', async () => {
    const controller = new AbortController();
    const seen: SearchProgress[] = [];
    const search = searchForest(dataOf(big), {
      windows: bigWindows,
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.done === 5) controller.abort(new Error('retrain superseded'));
      },
    });
    await expect(search).rejects.toThrow('retrain superseded');
    expect(seen.length).toBe(5);
    await expect(
      searchForest(dataOf(big), { windows: bigWindows, signal: AbortSignal.abort(new Error('already')) }),
    ).rejects.toThrow('already');
  });

  it('reports each fit done out of the total, with the best so far', async () => {
    const data = sliceDataset(big, 0, 3000);
    const seen: SearchProgress[] = [];
    const result = await searchForest(dataOf(data), {
      windows: [{ name: 'all', start: 0 }],
      seed: 1,
      budgetSeconds: 120,
      onProgress: (p) => seen.push(structuredClone(p)),
    });
    // 18 candidates: rungs of 18, 6 and 2, then the refit.
    expect(seen.map((p) => p.done)).toEqual(Array.from({ length: 27 }, (_, i) => i + 1));
    expect(seen.every((p) => p.total === 27)).toBe(true);
    expect(seen[17]!.bestSoFar).toMatchObject({ rung: 0, window: 'all' });
    expect(seen[26]!.bestSoFar).toEqual({
      score: result.winner.score,
      rung: 2,
      window: 'all',
      params: {
        maxDepth: result.winner.params.maxDepth,
        minSamplesLeaf: result.winner.params.minSamplesLeaf,
        maxFeatures: result.winner.params.maxFeatures,
        classWeight: null,
      },
    });
  });

  it('refuses bad windows and options with a ForestInputError naming them', async () => {
    const data = dataOf(sliceDataset(big, 0, 500));
    await expect(searchForest(data, { windows: [] })).rejects.toThrow(ForestInputError);
    await expect(searchForest(data, { windows: [{ name: 'x', start: 500 }] })).rejects.toThrow(
      'options.windows[0].start must be a row index in 0..499',
    );
    await expect(
      searchForest(data, { windows: [{ name: 'all', start: 0 }], validationRows: 499 }),
    ).rejects.toThrow('options.validationRows must be an integer in 1..498');
    await expect(
      searchForest(data, { windows: [{ name: 'all', start: 0 }], budgetSeconds: 0 }),
    ).rejects.toThrow('options.budgetSeconds must be a positive number');
    await expect(searchForest(data, { windows: [{ name: 'late', start: 495 }] })).rejects.toThrow(
      'no training window is usable',
    );
  });
});
