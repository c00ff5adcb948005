import { describe, expect, it } from 'vitest';
import { readArtifactShape } from './artifact.ts';
import { ForestArtifactError } from './errors.ts';
import { type DecisionTreeNode, walkTree } from './forest.ts';
import { loadForest } from './load.ts';
import { forestMemoryBytes } from './memory.ts';
import { accuracy } from './metrics.ts';
import { mulberry32 } from './synthetic.ts';
import { trainForest } from './train.ts';

const oneTree = { nEstimators: 1, bootstrap: false, maxFeatures: 'all', threads: 1 } as const;

function categoricalNode(node: DecisionTreeNode) {
  if (node.kind !== 'categorical') throw new Error(`expected a categorical split, got ${node.kind}`);
  return node;
}

/** Mean of the trees' leaf distributions: the reference every prediction path must equal. */
function walkForest(trees: DecisionTreeNode[], row: number[], K: number): number[] {
  const sums = new Array<number>(K).fill(0);
  for (const tree of trees) {
    walkTree(tree, row).forEach((p, k) => {
      sums[k]! += p;
    });
  }
  return sums.map((s) => s / trees.length);
}

describe('categorical features', () => {
  it('split on a subset of categories that no threshold on the codes can separate, in one split', async () => {
    // Class 1 for codes {0, 3, 4} of 6: alternating, so thresholds on the codes need 3 splits.
    const random = mulberry32(21);
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let r = 0; r < 600; r++) {
      const code = Math.floor(random() * 6);
      rows.push([code, random()]);
      labels.push([0, 3, 4].includes(code) ? 1 : 0);
    }
    const stump = await trainForest(rows, labels, {
      ...oneTree,
      maxDepth: 1,
      featureTypes: ['categorical', 'numeric'],
    });
    const split = categoricalNode(stump.toTrees()[0]!);
    expect(split.feature).toBe(0);
    const sides = [split.leftCategories, split.rightCategories].map((s) => s.join());
    expect(sides.sort()).toEqual(['0,3,4', '1,2,5']);
    expect(accuracy(labels, stump.predict(rows))).toBe(1);
    // The same column read as numbers: one split cannot do it.
    const numeric = await trainForest(rows, labels, { ...oneTree, maxDepth: 1 });
    expect(accuracy(labels, numeric.predict(rows))).toBeLessThan(0.9);
  });

  it('learn a many-class mapping of categories (one-vs-rest orderings for K > 2)', async () => {
    // 12 categories mapped to 4 classes at random; a depth-3 tree can separate 4 groups.
    const random = mulberry32(22);
    const classOf = Array.from({ length: 12 }, (_, c) => [2, 0, 3, 1, 1, 0, 2, 3, 0, 3, 2, 1][c]!);
    const make = (n: number) => {
      const rows: number[][] = [];
      for (let r = 0; r < n; r++) rows.push([random(), Math.floor(random() * 12), random()]);
      return { rows, labels: rows.map((row) => classOf[row[1]!]!) };
    };
    const train = make(1200);
    const test = make(2000);
    const featureTypes = ['numeric', 'categorical', 'numeric'] as const;
    const tree = await trainForest(train.rows, train.labels, { ...oneTree, maxDepth: 3, featureTypes });
    expect(accuracy(test.labels, tree.predict(test.rows))).toBe(1);
    // A forest draws 1 of the 3 features per split (two are noise), so it may miss a row or two.
    const forest = await trainForest(train.rows, train.labels, { nEstimators: 30, seed: 4, featureTypes });
    expect(accuracy(test.labels, forest.predict(test.rows))).toBeGreaterThan(0.995);
    expect(forest.featureImportances[1]).toBeGreaterThan(0.8);
  });

  it('send categories unseen at a node, and codes never seen in training, the missing way; count the latter', async () => {
    // x0 picks a group of codes (0..2 or 3..5), so after a split on x0 half the codes are never
    // seen below it; the class depends on both.
    const random = mulberry32(23);
    const rows: number[][] = [];
    for (let r = 0; r < 800; r++) {
      const group = random() < 0.5 ? 0 : 1;
      rows.push([group + random() / 2, 3 * group + Math.floor(random() * 3), random()]);
    }
    const labels = rows.map((row) => (row[1] === 1 || row[1] === 4 || row[2]! > 0.8 ? 1 : 0));
    const forest = await trainForest(rows, labels, {
      nEstimators: 12,
      maxFeatures: 1,
      maxDepth: 4,
      seed: 3,
      featureTypes: ['numeric', 'categorical', 'numeric'],
    });
    // Route the training rows down each tree to learn which codes reached each categorical split.
    const reached = new Map<DecisionTreeNode, Set<number>>();
    for (const tree of forest.toTrees()) {
      for (const row of rows) {
        let node = tree;
        while (node.kind !== 'leaf') {
          if (node.kind === 'categorical') reached.set(node, (reached.get(node) ?? new Set()).add(row[1]!));
          // walkTree returns the reached leaf's own array: the same one from here and from the
          // left child exactly when the row goes left.
          node = walkTree(node, row) === walkTree(node.left, row) ? node.left : node.right;
        }
      }
    }
    let unseenChecked = 0;
    for (const [node, codes] of reached) {
      const split = categoricalNode(node);
      for (let c = 0; c < 6; c++) {
        if (codes.has(c)) continue;
        expect(split.leftCategories.includes(c)).toBe(split.missingLeft);
        unseenChecked++;
      }
    }
    expect(unseenChecked).toBeGreaterThan(10);
    // Codes never seen in training (7, 254), negative, fractional or too large: like NaN.
    const odd = [7, 254, -1, 2.5, 300, 1e9];
    for (const x0 of [0.2, 1.2]) {
      const missing = forest.predictProbaOne([x0, Number.NaN, 0.5]);
      for (const code of odd) expect(forest.predictProbaOne([x0, code, 0.5])).toEqual(missing);
    }
    const batch = [[0.1, 1, 0], [1.1, 4, 0], [0.1, Number.NaN, 0], ...odd.map((code) => [1.1, code, 0])];
    expect(forest.countUnseenCategories(batch)).toBe(odd.length);
    expect(forest.countUnseenCategories(new Float64Array(batch.flat()))).toBe(odd.length);
    const numericOnly = await trainForest(rows, labels, { nEstimators: 2, threads: 1 });
    expect(numericOnly.countUnseenCategories(batch)).toBe(0);
  });

  it('handle missing codes, and give the same numbers on every path, after a round trip too', async () => {
    const random = mulberry32(24);
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let r = 0; r < 3000; r++) {
      const code = Math.floor(random() * 40);
      const x = random();
      labels.push((code % 3 === 0) !== x > 0.6 ? 1 : 0);
      rows.push([random() < 0.15 ? Number.NaN : code, random() < 0.1 ? Number.NaN : x, random()]);
    }
    const featureTypes = ['categorical', 'numeric', 'numeric'] as const;
    const forest = await trainForest(rows, labels, { nEstimators: 70, seed: 5, featureTypes });
    const probe = [...rows, [41, 0.5, 0.5], [-3, Number.NaN, 0.2], [Number.NaN, Number.NaN, Number.NaN]];
    const trees = forest.toTrees();
    const reference = probe.map((row) => walkForest(trees, row, 2));
    const flat = new Float64Array(probe.flat());
    expect(forest.predictProba(probe)).toEqual(reference);
    expect(forest.predictProba(probe.slice(-3))).toEqual(reference.slice(-3));
    expect(Array.from(forest.predictProbaFlat(flat))).toEqual(reference.flat());
    expect(probe.slice(-20).map((row) => forest.predictProbaOne(row))).toEqual(reference.slice(-20));
    expect(Array.from(await forest.predictProbaParallel(flat, { threads: 2 }))).toEqual(reference.flat());

    const bytes = forest.serialize();
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(2);
    const loaded = loadForest(bytes);
    expect(loaded.predictProba(probe)).toEqual(reference);
    expect(loaded.toTrees()).toEqual(trees);
    expect(loaded.featureTypes).toEqual(featureTypes);
    expect(loaded.countUnseenCategories(probe)).toBe(2);
    expect(loaded.serialize()).toEqual(bytes);
    const shape = readArtifactShape(bytes);
    const { splits, leaves } = forest.nodeCounts;
    expect(shape).toMatchObject({ nNodes: splits + leaves, nLeaves: leaves });
    expect(shape.nCategoricalSplits).toBeGreaterThan(100);
    expect(shape.nCategoricalSplits).toBeLessThan(splits);
    expect(forestMemoryBytes(shape)).toBe(
      50 * (splits + leaves) + 24 * leaves + 64 * shape.nCategoricalSplits,
    );
    // A body cut short, and a bit-set section that does not add up, are refused.
    expect(() => loadForest(bytes.subarray(0, bytes.length - 1))).toThrow(ForestArtifactError);
    const headerEnd = 16 + new DataView(bytes.buffer).getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, headerEnd)));
    const withHeader = (changed: object) => {
      const text = new TextEncoder().encode(JSON.stringify({ ...header, ...changed }));
      const out = new Uint8Array(16 + text.length + bytes.length - headerEnd);
      out.set(bytes.subarray(0, 16));
      new DataView(out.buffer).setUint32(12, text.length, true);
      out.set(text, 16);
      out.set(bytes.subarray(headerEnd), 16 + text.length);
      return out;
    };
    expect(loadForest(withHeader({})).predictProba(probe)).toEqual(reference);
    // One byte moved from the categorical splits' bit sets to the "seen" sets: sizes still add up.
    const counts = header.categoryCounts as number[];
    expect(() =>
      loadForest(
        withHeader({
          categoryCounts: [counts[0]! + 8],
          categoryLeftBytes: header.categoryLeftBytes - 1,
        }),
      ),
    ).toThrow(/category count of feature 0 is not 1 \+ its largest code|do not fill their section/);
    expect(() => loadForest(withHeader({ categoricalFeatures: [7] }))).toThrow(/categorical features/);
  });

  it('give the same forest, byte for byte, whatever the thread count', async () => {
    const random = mulberry32(25);
    const rows: number[][] = [];
    for (let r = 0; r < 2000; r++) {
      rows.push([Math.floor(random() * 9), random() < 0.2 ? Number.NaN : random(), Math.floor(random() * 3)]);
    }
    const labels = rows.map((row, r) => (row[0]! % 2) + (row[2] === 1 ? 1 : 0) + (r % 7 === 0 ? 1 : 0));
    const options = {
      nEstimators: 24,
      seed: 6,
      featureTypes: ['categorical', 'numeric', 'categorical'],
      classWeight: 'balanced',
      minSamplesLeaf: 3,
    } as const;
    const one = await trainForest(rows, labels, { ...options, threads: 1 });
    const two = await trainForest(rows, labels, { ...options, threads: 2 });
    const three = await trainForest(rows, labels, { ...options, threads: 3 });
    expect(Buffer.from(two.serialize())).toEqual(Buffer.from(one.serialize()));
    expect(Buffer.from(three.serialize())).toEqual(Buffer.from(one.serialize()));
    expect(one.outOfBagProba(rows).proba).toEqual(two.outOfBagProba(rows).proba);
    const again = await trainForest(rows, labels, { ...options, seed: 7, threads: 2 });
    expect(Buffer.from(again.serialize())).not.toEqual(Buffer.from(one.serialize()));
  });
});
