import { describe, expect, it } from 'vitest';
import { binFeatures } from './binning.ts';
import { type DecisionTreeNode, walkTree } from './forest.ts';
import { growTree, type KernelInput } from './kernel.ts';
import { loadForest } from './load.ts';
import { accuracy } from './metrics.ts';
import { mulberry32 } from './synthetic.ts';
import { trainForest } from './train.ts';

/** Rows of `nFeatures` uniform values; `label(row, random)` may blank cells with NaN. */
function dataset(
  nRows: number,
  nFeatures: number,
  seed: number,
  label: (row: number[], random: () => number) => number,
): { rows: number[][]; labels: number[] } {
  const random = mulberry32(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let r = 0; r < nRows; r++) {
    const row = Array.from({ length: nFeatures }, () => random());
    labels.push(label(row, random));
    rows.push(row);
  }
  return { rows, labels };
}

const oneSplit = { nEstimators: 1, bootstrap: false, maxFeatures: 'all', maxDepth: 1, threads: 1 } as const;

function root(tree: DecisionTreeNode) {
  if (tree.kind !== 'split') throw new Error(`expected a numeric split at the root, got ${tree.kind}`);
  return tree;
}

describe('missing values', () => {
  it('learn perfectly when missingness itself is the signal: one split, present left, missing right', async () => {
    // Class 1 exactly when x0 is missing; x0's present values carry nothing.
    const make = (seed: number) =>
      dataset(600, 3, seed, (row, random) => {
        if (random() < 0.3) {
          row[0] = Number.NaN;
          return 1;
        }
        return 0;
      });
    const train = make(1);
    const test = make(2);
    const stump = await trainForest(train.rows, train.labels, oneSplit);
    const split = root(stump.toTrees()[0]!);
    expect(split).toMatchObject({ feature: 0, threshold: Number.POSITIVE_INFINITY, missingLeft: false });
    expect(accuracy(test.labels, stump.predict(test.rows))).toBe(1);
    const forest = await trainForest(train.rows, train.labels, { nEstimators: 20, seed: 3 });
    expect(accuracy(test.labels, forest.predict(test.rows))).toBe(1);
    expect(forest.featureImportances[0]).toBeGreaterThan(0.9);
  });

  it('try both sides for the missing rows and keep the better (left here)', async () => {
    // Class 1 when x0 < 0.3 or x0 is missing: one threshold split, with missing values left.
    const make = (seed: number) =>
      dataset(800, 2, seed, (row, random) => {
        if (random() < 0.2) row[0] = Number.NaN;
        return Number.isNaN(row[0]!) || row[0]! < 0.3 ? 1 : 0;
      });
    const train = make(4);
    const test = make(5);
    const stump = await trainForest(train.rows, train.labels, oneSplit);
    const split = root(stump.toTrees()[0]!);
    expect(split.feature).toBe(0);
    expect(split.missingLeft).toBe(true);
    expect(split.threshold).toBeCloseTo(0.3, 1);
    expect(accuracy(test.labels, stump.predict(test.rows))).toBeGreaterThan(0.99);
    // The mirror image: class 1 when x0 > 0.7 or missing sends them right.
    const mirrored = make(4);
    const labels = mirrored.rows.map((row) => (Number.isNaN(row[0]!) || row[0]! > 0.7 ? 1 : 0));
    const right = root((await trainForest(mirrored.rows, labels, oneSplit)).toTrees()[0]!);
    expect(right).toMatchObject({ feature: 0, missingLeft: false });
    expect(right.threshold).toBeCloseTo(0.7, 1);
  });

  it('go to the heavier child where training saw none', async () => {
    // No missing value in training; the root splits 75 % / 25 % on x0.
    const train = dataset(400, 1, 6, (row) => (row[0]! < 0.75 ? 0 : 1));
    const stump = await trainForest(train.rows, train.labels, oneSplit);
    expect(root(stump.toTrees()[0]!).missingLeft).toBe(true);
    expect(stump.predictOne([Number.NaN])).toBe(0);
    const flipped = await trainForest(
      train.rows.map((row) => [1 - row[0]!]),
      train.labels,
      oneSplit,
    );
    // Mirrored: the 75 % (class 0) are now on the right, and so is a missing value.
    expect(root(flipped.toTrees()[0]!).missingLeft).toBe(false);
    expect(flipped.predictOne([Number.NaN])).toBe(0);
  });

  it('give the same numbers on every prediction path, equal to walking the trees', async () => {
    const train = dataset(3000, 4, 7, (row, random) => {
      for (let f = 0; f < 4; f++) if (random() < 0.25) row[f] = Number.NaN;
      const x = row.map((v) => (Number.isNaN(v) ? 0.5 : v));
      return x[0]! + x[1]! > 1 ? (x[2]! > 0.5 ? 2 : 1) : 0;
    });
    const forest = await trainForest(train.rows, train.labels, { nEstimators: 80, seed: 8 });
    const trees = forest.toTrees();
    const reference = train.rows.map((row) => {
      const sums = [0, 0, 0];
      for (const tree of trees) {
        walkTree(tree, row).forEach((p, k) => {
          sums[k]! += p;
        });
      }
      return sums.map((s) => s / trees.length);
    });
    const flat = new Float64Array(train.rows.flat());
    expect(forest.predictProba(train.rows)).toEqual(reference);
    expect(Array.from(forest.predictProbaFlat(flat))).toEqual(reference.flat());
    expect(train.rows.slice(0, 50).map((row) => forest.predictProbaOne(row))).toEqual(reference.slice(0, 50));
    expect(forest.predictProba(train.rows.slice(0, 5))).toEqual(reference.slice(0, 5));
    // Four rows walk in lockstep: 7 rows end with a partial group.
    expect(Array.from(forest.predictProbaFlat(flat.subarray(0, 7 * 4)))).toEqual(
      reference.slice(0, 7).flat(),
    );
    // 3000 rows × 80 trees: enough work for the prediction workers.
    expect(Array.from(await forest.predictProbaParallel(flat, { threads: 2 }))).toEqual(reference.flat());
    // The format-2 artifact keeps the missing directions.
    expect(loadForest(forest.serialize()).predictProba(train.rows)).toEqual(reference);
  });

  it('are replayed out of bag like any value', async () => {
    const train = dataset(1500, 3, 9, (row, random) => {
      if (random() < 0.3) row[1] = Number.NaN;
      return (row[0]! > 0.5 ? 1 : 0) ^ (random() < 0.2 ? 1 : 0);
    });
    const forest = await trainForest(train.rows, train.labels, {
      nEstimators: 1,
      maxDepth: null,
      maxFeatures: 'all',
      seed: 11,
      threads: 1,
    });
    const { proba, votes } = forest.outOfBagProba(train.rows);
    const full = forest.predictProbaFlat(new Float64Array(train.rows.flat()));
    const outOfBag = [...votes.keys()].filter((r) => votes[r] === 1);
    expect(outOfBag.length).toBeGreaterThan(400);
    for (const r of outOfBag)
      expect([proba[2 * r], proba[2 * r + 1]]).toEqual([full[2 * r], full[2 * r + 1]]);
  });

  it('honour minSamplesLeaf on the side they join', () => {
    // 40 % of x0 missing; every leaf of a fully grown tree must still hold >= 30 samples.
    const n = 1200;
    const random = mulberry32(12);
    const data = new Float64Array(n * 3);
    const labels = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      for (let f = 0; f < 3; f++) data[r * 3 + f] = random() < 0.4 ? Number.NaN : random();
      labels[r] = random() < 0.5 ? 0 : 1;
    }
    const binned = binFeatures({ data, nRows: n, nFeatures: 3 }, 255);
    expect(Array.from(binned.hasMissing)).toEqual([1, 1, 1]);
    const input: KernelInput = {
      ...binned,
      labels,
      nSamples: n,
      nFeatures: 3,
      nClasses: 2,
      maxDepth: Number.POSITIVE_INFINITY,
      minSamplesLeaf: 30,
      minSamplesSplit: 2,
      maxFeatures: 3,
      bootstrap: false,
      classWeight: new Float64Array([1, 1]),
      seed: 1,
    };
    const tree = growTree(input, 0);
    expect(tree.nodeCount).toBeGreaterThan(20);
    for (let i = 0; i < tree.nodeCount; i++) {
      if (tree.feature[i]! >= 0) continue;
      expect(tree.classWeights[2 * i]! + tree.classWeights[2 * i + 1]!).toBeGreaterThanOrEqual(30);
    }
    expect(Array.from(tree.missingLeft).some((m, i) => m === 1 && tree.feature[i]! >= 0)).toBe(true);
  });

  it('work with balanced class weights', async () => {
    // A rare class (10 %) flagged only by a missing x1.
    const train = dataset(1000, 2, 13, (row, random) => {
      if (random() < 0.1) {
        row[1] = Number.NaN;
        return 1;
      }
      return 0;
    });
    const forest = await trainForest(train.rows, train.labels, {
      nEstimators: 10,
      classWeight: 'balanced',
      seed: 2,
    });
    expect(forest.params.classWeights![1]).toBeGreaterThan(4);
    expect(accuracy(train.labels, forest.predict(train.rows))).toBe(1);
    expect(forest.predictOne([0.5, Number.NaN])).toBe(1);
  });
});
