import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readArtifactShape } from './artifact.ts';
import { loadForest } from './load.ts';

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

  it('tells its shape from the header', () => {
    const { splits, leaves } = expected.nodeCounts;
    expect(readArtifactShape(bytes)).toEqual({
      nFeatures: expected.nFeatures,
      nClasses: expected.nClasses,
      nTrees: expected.nTrees,
      nNodes: splits + leaves,
      nLeaves: leaves,
    });
  });
});
