import { RandomForestClassifier } from 'ml-random-forest';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeForest } from './artifact.ts';
import { type DecisionTreeNode, Forest, walkTree } from './forest.ts';
import { loadForest } from './load.ts';
import { accuracy } from './metrics.ts';
import { makeSyntheticDataset, type SyntheticDataset, sliceDataset, toRowArrays } from './synthetic.ts';
import { trainForest } from './train.ts';

/** Mean of the trees' leaf distributions, summed in tree order: the reference for every path. */
function walkForest(trees: DecisionTreeNode[], row: ArrayLike<number>, nClasses: number): number[] {
  const sums = new Array<number>(nClasses).fill(0);
  for (const tree of trees) {
    const p = walkTree(tree, row);
    for (let k = 0; k < nClasses; k++) sums[k] = sums[k]! + p[k]!;
  }
  return sums.map((s) => s / trees.length);
}

function treeDepth(node: DecisionTreeNode): number {
  return node.kind === 'leaf' ? 0 : 1 + Math.max(treeDepth(node.left), treeDepth(node.right));
}

describe('a single tree matches scikit-learn', () => {
  it('grows the same splits and leaves as DecisionTreeClassifier(max_depth=3) on exact-split data', async () => {
    // 60 rows, 3 integer features (few distinct values, so bins are exact), 3 classes.
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 60; i++) {
      const x = [(i * 7) % 13, (i * 5) % 11, (i * 3) % 17];
      rows.push(x);
      labels.push((x[0]! + 2 * x[1]! > 15 ? 1 : 0) + (x[2]! > 10 && x[0]! < 6 ? 1 : 0));
    }
    const forest = await trainForest(rows, labels, {
      nEstimators: 1,
      bootstrap: false,
      maxFeatures: 'all',
      maxDepth: 3,
      threads: 1,
    });
    const preorder: (string | number)[][] = [];
    const visit = (node: DecisionTreeNode): void => {
      if (node.kind === 'leaf') {
        preorder.push(['leaf', ...node.classProbabilities]);
        return;
      }
      preorder.push([node.feature, node.kind === 'split' ? node.threshold : Number.NaN]);
      visit(node.left);
      visit(node.right);
    };
    visit(forest.toTrees()[0]!);
    // sklearn 1.2.1: DecisionTreeClassifier(max_depth=3).fit(X, y).tree_ in preorder, leaf
    // values normalised (the same for random_state 0..3, so no ties are involved).
    const leaf = (...counts: number[]) => {
      const total = counts.reduce((a, b) => a + b, 0);
      return ['leaf', ...counts.map((c) => c / total)];
    };
    expect(preorder).toEqual([
      [1, 4.5],
      [1, 2.5],
      leaf(16, 0, 0),
      [2, 8.5],
      leaf(5, 0, 0),
      leaf(4, 2, 0),
      [2, 10.5],
      [1, 7.5],
      leaf(6, 5, 0),
      leaf(0, 12, 0),
      [1, 5.5],
      leaf(0, 2, 0),
      leaf(0, 2, 6),
    ]);
  });
});

describe('classWeight balanced', () => {
  it("grows the same tree as DecisionTreeClassifier(max_depth=3, class_weight='balanced') and round-trips", async () => {
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 60; i++) {
      const x = [(i * 7) % 13, (i * 5) % 11, (i * 3) % 17];
      rows.push(x);
      labels.push((x[0]! + 2 * x[1]! > 15 ? 1 : 0) + (x[2]! > 10 && x[0]! < 6 ? 1 : 0));
    }
    const forest = await trainForest(rows, labels, {
      nEstimators: 1,
      bootstrap: false,
      maxFeatures: 'all',
      maxDepth: 3,
      threads: 1,
      classWeight: 'balanced',
    });
    // Class counts 31, 23, 6: weights 60 / (3 × n_k).
    expect(forest.params.classWeights).toEqual([60 / 93, 60 / 69, 60 / 18]);
    const preorder: (string | number)[][] = [];
    const visit = (node: DecisionTreeNode): void => {
      if (node.kind === 'leaf') {
        preorder.push(['leaf', ...node.classProbabilities.map((p) => Math.round(p * 1e6) / 1e6)]);
        return;
      }
      preorder.push([node.feature, node.kind === 'split' ? node.threshold : Number.NaN]);
      visit(node.left);
      visit(node.right);
    };
    visit(forest.toTrees()[0]!);
    // sklearn 1.2.1, random_state 0..3 alike; leaf values normalised and rounded to 6 digits.
    expect(preorder).toEqual([
      [1, 4.5],
      [1, 2.5],
      ['leaf', 1, 0, 0],
      [2, 8.5],
      ['leaf', 1, 0, 0],
      ['leaf', 0.597403, 0.402597, 0],
      [2, 10.5],
      [1, 7.5],
      ['leaf', 0.47099, 0.52901, 0],
      ['leaf', 0, 1, 0],
      [1, 5.5],
      ['leaf', 0, 1, 0],
      ['leaf', 0, 0.08, 0.92],
    ]);
    const loaded = loadForest(forest.serialize());
    expect(loaded.params.classWeights).toEqual(forest.params.classWeights);
    expect(loaded.predictProba(rows)).toEqual(forest.predictProba(rows));
  });

  it('rejects an unknown classWeight, naming the option', async () => {
    await expect(
      trainForest([[0], [1]], [0, 1], { classWeight: 'auto' as unknown as 'balanced' }),
    ).rejects.toThrow("options.classWeight must be 'balanced' or null, got auto");
  });
});

describe('compiled inference', () => {
  let forest: Forest;
  let holdout: SyntheticDataset;
  beforeAll(async () => {
    const data = makeSyntheticDataset({ nRows: 2000, seed: 7 });
    holdout = makeSyntheticDataset({ nRows: 5001, seed: 8 }); // not a multiple of 4: tail rows too
    // 42 trees: not a multiple of 4, so the single-row path's tail trees are covered too.
    forest = await trainForest(data.features, data.labels, { nFeatures: 10, nEstimators: 42, maxDepth: 12 });
  });

  it('batch, row-array and single-row paths all equal walking the trees, bit for bit', () => {
    const trees = forest.toTrees();
    expect(trees).toHaveLength(42);
    const flat = forest.predictProbaFlat(holdout.features);
    const rows = toRowArrays(holdout.features, 10);
    const perRow = forest.predictProba(rows);
    const predicted = forest.predict(holdout.features);
    for (let r = 0; r < holdout.nRows; r++) {
      const expected = walkForest(trees, rows[r]!, 3);
      expect(Array.from(flat.subarray(3 * r, 3 * r + 3))).toEqual(expected);
      expect(perRow[r]).toEqual(expected);
      expect(forest.predictProbaOne(rows[r]!)).toEqual(expected);
      const best = expected.indexOf(Math.max(...expected));
      expect(predicted[r]).toBe(best);
      expect(forest.predictOne(holdout.features.subarray(10 * r, 10 * r + 10))).toBe(best);
    }
  });

  it('small batches of rows (walked in place) equal the flat batch path, bit for bit', () => {
    const rows = toRowArrays(holdout.features, 10);
    for (const size of [1, 2, 7, 8, 9]) {
      const batch = rows.slice(5, 5 + size);
      const flat = forest.predictProbaFlat(holdout.features.subarray(50, 50 + 10 * size));
      const small = forest.predictProba(batch);
      expect(small).toHaveLength(size);
      for (let r = 0; r < size; r++) expect(small[r]).toEqual(Array.from(flat.subarray(3 * r, 3 * r + 3)));
    }
  });

  it('the unpacked layout (for forests too large to pack) gives the same answers', () => {
    const unpacked = new Forest(decodeForest(forest.serialize()), { allowPacking: false });
    expect(unpacked.predictProbaFlat(holdout.features)).toEqual(forest.predictProbaFlat(holdout.features));
    for (let r = 0; r < 500; r++) {
      const row = holdout.features.subarray(10 * r, 10 * r + 10);
      expect(unpacked.predictProbaOne(row)).toEqual(forest.predictProbaOne(row));
    }
  });

  it('the parallel batch path gives the same answers on any number of threads', async () => {
    const expected = forest.predictProbaFlat(holdout.features);
    for (const threads of [1, 2, 3]) {
      const parallel = await forest.predictProbaParallel(holdout.features, { threads });
      expect(parallel).toEqual(expected);
      expect(parallel.buffer).toBeInstanceOf(ArrayBuffer);
    }
    const unpacked = new Forest(decodeForest(forest.serialize()), { allowPacking: false });
    expect(await unpacked.predictProbaParallel(toRowArrays(holdout.features, 10), { threads: 2 })).toEqual(
      expected,
    );
    await expect(forest.predictProbaParallel(holdout.features, { threads: 0 })).rejects.toThrow(
      /options\.threads must be an integer in 1\.\.1024, got 0/,
    );
    await expect(forest.predictProbaParallel([[1, 2]])).rejects.toThrow(/rows\[0\] has 2 values/);
  });

  it('probabilities are distributions over the classes', () => {
    const flat = forest.predictProbaFlat(holdout.features);
    for (let r = 0; r < holdout.nRows; r++) {
      const sum = flat[3 * r]! + flat[3 * r + 1]! + flat[3 * r + 2]!;
      expect(sum).toBeCloseTo(1, 12);
    }
  });

  it('respects maxDepth and reports its size', () => {
    for (const tree of forest.toTrees()) expect(treeDepth(tree)).toBeLessThanOrEqual(12);
    const { splits, leaves } = forest.nodeCounts;
    expect(leaves).toBe(splits + 42); // every tree: one more leaf than splits
  });
});

describe('training', () => {
  const data = makeSyntheticDataset({ nRows: 2000, seed: 17 });

  it('is deterministic: same seed gives a byte-identical artifact whatever the thread count', async () => {
    const options = { nFeatures: 10, nEstimators: 16, seed: 99 };
    const one = await trainForest(data.features, data.labels, { ...options, threads: 1 });
    const two = await trainForest(data.features, data.labels, { ...options, threads: 2 });
    const three = await trainForest(data.features, data.labels, { ...options, threads: 3 });
    expect(two.serialize()).toEqual(one.serialize());
    expect(three.serialize()).toEqual(one.serialize());
    expect(two.predictProbaFlat(data.features)).toEqual(one.predictProbaFlat(data.features));
    const other = await trainForest(data.features, data.labels, { ...options, seed: 100, threads: 2 });
    expect(other.serialize()).not.toEqual(one.serialize());
  });

  it('accepts number[][] and a flat Float64Array alike', async () => {
    const options = { nEstimators: 8, seed: 5 };
    const fromFlat = await trainForest(data.features, data.labels, { ...options, nFeatures: 10 });
    const fromRows = await trainForest(toRowArrays(data.features, 10), Array.from(data.labels), options);
    expect(fromRows.serialize()).toEqual(fromFlat.serialize());
  });

  it('fills in and reports the parameters it used', async () => {
    const forest = await trainForest(data.features, data.labels, { nFeatures: 10, nEstimators: 3 });
    expect(forest.params).toEqual({
      nEstimators: 3,
      maxDepth: 10,
      minSamplesLeaf: 1,
      minSamplesSplit: 2,
      maxFeatures: 'sqrt',
      maxFeaturesCount: 3,
      bootstrap: true,
      seed: 42,
      nBins: 255,
      classWeight: null,
      classWeights: null,
    });
    expect(forest.nFeatures).toBe(10);
    expect(forest.nClasses).toBe(3);
    const unlimited = await trainForest(data.features, data.labels, {
      nFeatures: 10,
      nEstimators: 2,
      maxDepth: null,
    });
    expect(unlimited.params.maxDepth).toBeNull();
    expect(Math.max(...unlimited.toTrees().map(treeDepth))).toBeGreaterThan(10);
  });

  it('reports progress for every tree, in order, ending at the total', async () => {
    const calls: [number, number][] = [];
    await trainForest(data.features, data.labels, {
      nFeatures: 10,
      nEstimators: 20,
      threads: 2,
      onProgress: (done, total) => calls.push([done, total]),
    });
    expect(calls).toEqual(Array.from({ length: 20 }, (_, i) => [i + 1, 20]));
  });

  it('stops and rejects when aborted, and when onProgress throws', async () => {
    const controller = new AbortController();
    const aborted = trainForest(data.features, data.labels, {
      nFeatures: 10,
      nEstimators: 200,
      onProgress: (done) => {
        if (done === 2) controller.abort(new Error('retrain superseded'));
      },
      signal: controller.signal,
    });
    await expect(aborted).rejects.toThrow('retrain superseded');
    await expect(
      trainForest(data.features, data.labels, {
        nFeatures: 10,
        signal: AbortSignal.abort(new Error('already')),
      }),
    ).rejects.toThrow('already');
    await expect(
      trainForest(data.features, data.labels, {
        nFeatures: 10,
        nEstimators: 5,
        onProgress: () => {
          throw new Error('listener broke');
        },
      }),
    ).rejects.toThrow('listener broke');
  });

  it('ranks informative features first by impurity importance, summing to 1', async () => {
    const forest = await trainForest(data.features, data.labels, { nFeatures: 10, nEstimators: 30 });
    const importances = forest.featureImportances;
    expect(importances.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // The rule reads x0..x4; x5..x9 are noise.
    const weakestSignal = Math.min(...importances.slice(0, 5));
    const strongestNoise = Math.max(...importances.slice(5));
    expect(weakestSignal).toBeGreaterThan(strongestNoise);
  });

  it('gives absent declared classes probability 0', async () => {
    const twoClass = Int32Array.from(data.labels, (y) => (y === 2 ? 1 : y));
    const forest = await trainForest(data.features, twoClass, { nFeatures: 10, nEstimators: 5, nClasses: 3 });
    expect(forest.nClasses).toBe(3);
    const proba = forest.predictProbaFlat(data.features.subarray(0, 100));
    for (let r = 0; r < 10; r++) expect(proba[3 * r + 2]).toBe(0);
  });
});

describe('accuracy', () => {
  it('is within one point of the Bayes-optimal rate on a rule a tree can represent', async () => {
    // Rule "boxes" with 10 % label noise: the rule itself is the Bayes-optimal classifier.
    const all = makeSyntheticDataset({ nRows: 24_000, rule: 'boxes', noise: 0.1, seed: 31 });
    const train = sliceDataset(all, 0, 4000);
    const holdout = sliceDataset(all, 4000, 24_000);
    const forest = await trainForest(train.features, train.labels, { nFeatures: 10, nEstimators: 50 });
    const bayes = accuracy(holdout.labels, holdout.ruleLabels); // ≈ 0.90 on this hold-out
    const ours = accuracy(holdout.labels, forest.predict(holdout.features));
    expect(bayes).toBeGreaterThan(0.89);
    expect(ours).toBeGreaterThanOrEqual(bayes - 0.01);
  });

  describe('compared with ml-random-forest on small data (it is slow)', () => {
    const datasets = [21, 22, 23].map((seed) => {
      const all = makeSyntheticDataset({ nRows: 2300, seed });
      return { train: sliceDataset(all, 0, 300), holdout: sliceDataset(all, 300, 2300) };
    });

    function theirAccuracy(maxFeatures: number, nEstimators: number): number {
      let sum = 0;
      for (const { train, holdout } of datasets) {
        // ml-cart's own stopping rules (minNumSamples 3, gainThreshold 0.01) switched off so the
        // trees grow as ours do: until pure or maxDepth.
        const rf = new RandomForestClassifier({
          nEstimators,
          maxFeatures,
          replacement: false,
          seed: 42,
          noOOB: true,
          treeOptions: { maxDepth: 10, minNumSamples: 1, gainThreshold: 0 },
        });
        rf.train(toRowArrays(train.features, 10), Array.from(train.labels));
        sum += accuracy(holdout.labels, rf.predict(toRowArrays(holdout.features, 10)));
      }
      return sum / datasets.length;
    }

    async function ourAccuracy(
      maxFeatures: number | 'all',
      nEstimators: number,
      seeds: number[],
    ): Promise<number> {
      let sum = 0;
      for (const { train, holdout } of datasets) {
        for (const seed of seeds) {
          const forest = await trainForest(train.features, train.labels, {
            nFeatures: 10,
            nEstimators,
            maxDepth: 10,
            maxFeatures,
            seed,
          });
          sum += accuracy(holdout.labels, forest.predict(holdout.features));
        }
      }
      return sum / (datasets.length * seeds.length);
    }

    it('is at least as accurate with the same options (10 trees, depth 10, 3 of 10 features)', async () => {
      // ml-random-forest draws its 3 features once per tree, a forest draws them at every split.
      const theirs = theirAccuracy(0.3, 10);
      const ours = await ourAccuracy(3, 10, [42]);
      expect(ours).toBeGreaterThanOrEqual(theirs);
    });

    it('matches it on bagged trees over all features, the one setting where both algorithms coincide', async () => {
      const theirs = theirAccuracy(1.0, 20);
      // Averaged over seeds: one 20-tree forest on 300 rows varies by about ±0.8 points from seed
      // to seed (measured with scikit-learn on the same data), so "matches" allows one point.
      const ours = await ourAccuracy('all', 20, [1, 2, 3]);
      expect(ours).toBeGreaterThanOrEqual(theirs - 0.01);
    });
  });
});
