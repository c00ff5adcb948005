import { describe, expect, it } from 'vitest';
import { ForestInputError } from './errors.ts';
import { accuracy } from './metrics.ts';
import { makeSyntheticDataset, toRowArrays } from './synthetic.ts';
import { trainForest } from './train.ts';

function argmaxRows(proba: Float64Array, K: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < proba.length / K; r++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (proba[r * K + k]! > proba[r * K + best]!) best = k;
    out.push(best);
  }
  return out;
}

describe('out-of-bag predictions', () => {
  it('replay each tree’s bootstrap: a fully grown tree knows its drawn rows and guesses the others', async () => {
    // One unpruned tree on noisy labels: it fits every row it drew (pure leaves), so the rows it
    // gets right and wrong tell whether the replayed draws are the ones training made.
    const data = makeSyntheticDataset({ nRows: 1500, nFeatures: 6, noise: 0.2, seed: 3 });
    const forest = await trainForest(data.features, data.labels, {
      nFeatures: 6,
      nEstimators: 1,
      maxDepth: null,
      maxFeatures: 1.0,
      seed: 11,
      threads: 1,
    });
    const { proba, votes } = forest.outOfBagProba(data.features);
    const inBag = [...votes.keys()].filter((r) => votes[r] === 0);
    const outOfBag = [...votes.keys()].filter((r) => votes[r] === 1);
    expect(inBag.length + outOfBag.length).toBe(1500);
    // About e^-1 of the rows are left out of one bootstrap sample of n draws.
    expect(outOfBag.length / 1500).toBeGreaterThan(0.33);
    expect(outOfBag.length / 1500).toBeLessThan(0.4);

    const predicted = forest.predict(toRowArrays(data.features, 6));
    const right = (rows: number[]) =>
      rows.filter((r) => predicted[r] === data.labels[r]).length / rows.length;
    expect(right(inBag)).toBe(1);
    // Rows the tree never saw: the noise (20 %) and its own errors make it miss many.
    expect(right(outOfBag)).toBeLessThan(0.8);
    // With one tree, a row's out-of-bag distribution is that tree's leaf.
    const full = forest.predictProbaFlat(data.features);
    for (const r of outOfBag) {
      for (let k = 0; k < 3; k++) expect(proba[r * 3 + k]).toBe(full[r * 3 + k]);
    }
    for (const r of inBag) expect(Number.isNaN(proba[r * 3]!)).toBe(true);
  });

  it('estimate the accuracy on unseen rows as a hold-out does', async () => {
    const train = makeSyntheticDataset({ nRows: 3000, seed: 21 });
    const test = makeSyntheticDataset({ nRows: 6000, seed: 22 });
    const forest = await trainForest(train.features, train.labels, {
      nFeatures: train.nFeatures,
      nEstimators: 60,
      maxDepth: 10,
      seed: 5,
    });
    const { proba, votes } = forest.outOfBagProba(train.features);
    // Every row is out of bag for about 60·e^-1 ≈ 22 trees; none is left without a vote.
    expect(Math.min(...votes)).toBeGreaterThan(5);
    const oob = accuracy(Array.from(train.labels), argmaxRows(proba, 3));
    const holdout = accuracy(Array.from(test.labels), forest.predict(test.features));
    const inSample = accuracy(Array.from(train.labels), forest.predict(train.features));
    expect(Math.abs(oob - holdout)).toBeLessThan(0.025);
    // The in-sample score is the optimistic one the out-of-bag estimate replaces.
    expect(inSample - holdout).toBeGreaterThan(0.05);
    // Probabilities of each row sum to 1.
    for (let r = 0; r < 50; r++)
      expect(proba[r * 3]! + proba[r * 3 + 1]! + proba[r * 3 + 2]!).toBeCloseTo(1, 12);
  });

  it('are the same whatever the thread count of training, and refuse a forest without bootstrap', async () => {
    const data = makeSyntheticDataset({ nRows: 800, seed: 4 });
    const options = { nFeatures: data.nFeatures, nEstimators: 12, maxDepth: 6, seed: 9 };
    const one = await trainForest(data.features, data.labels, { ...options, threads: 1 });
    const two = await trainForest(data.features, data.labels, { ...options, threads: 2 });
    expect(one.outOfBagProba(data.features).proba).toEqual(two.outOfBagProba(data.features).proba);

    const noBootstrap = await trainForest(data.features, data.labels, { ...options, bootstrap: false });
    expect(() => noBootstrap.outOfBagProba(data.features)).toThrow(ForestInputError);
    expect(() => noBootstrap.outOfBagProba(data.features)).toThrow(/bootstrap: true/);
  });

  it('in turns of the event loop: the same numbers, with timers run in between', async () => {
    const data = makeSyntheticDataset({ nRows: 3000, nFeatures: 6, noise: 0.2, seed: 4 });
    const forest = await trainForest(data.features, data.labels, { nFeatures: 6, nEstimators: 60, seed: 2 });
    const whole = forest.outOfBagProba(data.features);
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    const inTurns = await forest.outOfBagProbaInTurns(data.features);
    clearInterval(ticking);
    expect(Array.from(inTurns.votes)).toEqual(Array.from(whole.votes));
    expect(Buffer.from(inTurns.proba.buffer).equals(Buffer.from(whole.proba.buffer))).toBe(true);
    // 60 trees × 3,000 rows = 180,000 rows walked: at least two turns of 65,536.
    expect(turns).toBeGreaterThan(0);
    const controller = new AbortController();
    const stopped = forest.outOfBagProbaInTurns(data.features, controller.signal);
    controller.abort(new Error('superseded'));
    await expect(stopped).rejects.toThrow('superseded');
  });
});
