import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readArtifactShape } from './artifact.ts';
import type { DecisionTreeNode } from './forest.ts';
import { loadForest } from './load.ts';
import { makeSyntheticDataset } from './synthetic.ts';
import { trainForest } from './train.ts';

/**
 * A forest serialized in artifact format version 1, committed as bytes before the format changed
 * (see fixtures/forest-v1.expected.json for how it was made): models stored in production in
 * that format must keep loading and predicting exactly as they did.
 */
const bytes = new Uint8Array(readFileSync(new URL('./fixtures/forest-v1.bin', import.meta.url)));
const expected = JSON.parse(
  readFileSync(new URL('./fixtures/forest-v1.expected.json', import.meta.url), 'utf8'),
) as {
  nFeatures: number;
  nClasses: number;
  nTrees: number;
  nodeCounts: { splits: number; leaves: number };
  featureImportances: number[];
  rows: number[][];
  probabilities: number[][];
};

describe('artifact format version 1', () => {
  it('is what the fixture is', () => {
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(1);
  });

  it('loads and predicts exactly the probabilities it predicted when written', () => {
    const forest = loadForest(bytes);
    expect(forest.nClasses).toBe(expected.nClasses);
    expect(forest.nTrees).toBe(expected.nTrees);
    expect(forest.nodeCounts).toEqual(expected.nodeCounts);
    expect(forest.featureImportances).toEqual(expected.featureImportances);
    expect(forest.predictProba(expected.rows)).toEqual(expected.probabilities);
    expect(Array.from(forest.predictProbaFlat(expected.rows))).toEqual(expected.probabilities.flat());
    expect(expected.rows.map((row) => forest.predictProbaOne(row))).toEqual(expected.probabilities);
  });

  it('sends NaN right at every split, as `NaN <= threshold` was false', () => {
    const forest = loadForest(bytes);
    for (const tree of forest.toTrees()) {
      const visit = (node: DecisionTreeNode): void => {
        if (node.kind === 'leaf') return;
        expect(node).toMatchObject({ kind: 'split', missingLeft: false });
        visit(node.left);
        visit(node.right);
      };
      visit(tree);
    }
    // A row missing everything ends in each tree's rightmost leaf.
    const rightmost = forest.toTrees().map((tree) => {
      let node = tree;
      while (node.kind !== 'leaf') node = node.right;
      return node.classProbabilities;
    });
    const expectedProba = [0, 1, 2].map(
      (k) => rightmost.reduce((sum, p) => sum + p[k]!, 0) / rightmost.length,
    );
    expect(forest.predictProbaOne(new Array(5).fill(Number.NaN))).toEqual(expectedProba);
  });

  it('is the forest this code still grows from the same data and options (all-numeric training unchanged)', async () => {
    const data = makeSyntheticDataset({ nRows: 400, nFeatures: 5, seed: 17 });
    const forest = await trainForest(data.features, data.labels, {
      nFeatures: 5,
      nEstimators: 8,
      maxDepth: 5,
      seed: 11,
      threads: 2,
    });
    expect(forest.nodeCounts).toEqual(expected.nodeCounts);
    expect(forest.featureImportances).toEqual(expected.featureImportances);
    expect(forest.predictProba(expected.rows)).toEqual(expected.probabilities);
    // Same splits and leaves; only the missing directions (not in format 1) may differ.
    expect(forest.toTrees().map(withoutMissing)).toEqual(loadForest(bytes).toTrees().map(withoutMissing));
  });

  it('tells its shape from the header', () => {
    const { splits, leaves } = expected.nodeCounts;
    expect(readArtifactShape(bytes)).toEqual({
      nFeatures: expected.nFeatures,
      nClasses: expected.nClasses,
      nTrees: expected.nTrees,
      nNodes: splits + leaves,
      nLeaves: leaves,
      nCategoricalSplits: 0,
    });
  });
});

function withoutMissing(node: DecisionTreeNode): unknown {
  if (node.kind === 'leaf') return node;
  const { missingLeft: _, left, right, ...split } = node;
  return { ...split, left: withoutMissing(left), right: withoutMissing(right) };
}
