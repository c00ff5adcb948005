import { beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_FORMAT_VERSION, ARTIFACT_MAGIC, readArtifactShape } from './artifact.ts';
import { ForestArtifactError } from './errors.ts';
import type { Forest } from './forest.ts';
import { loadForest } from './load.ts';
import { forestMemoryBytes } from './memory.ts';
import { makeSyntheticDataset } from './synthetic.ts';
import { trainForest } from './train.ts';

/** Byte offsets of the artifact's sections, computed from its header as the format documents. */
function sections(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(12, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)));
  const nSplits = h.nNodes - h.nLeaves;
  const featureImportances = 16 + headerLength;
  const thresholdCount = featureImportances + 8 * h.nFeatures;
  const thresholds = thresholdCount + 4 * h.nFeatures;
  const treeNodeCount = thresholds + 8 * h.nThresholds;
  const nodeCode = treeNodeCount + 4 * h.nTrees;
  const thresholdIndex = nodeCode + h.widths.nodeCode * h.nNodes;
  const leftOffset = thresholdIndex + h.widths.thresholdIndex * (nSplits - h.nCategoricalSplits);
  const leafClassWeights = leftOffset + h.widths.leftOffset * nSplits;
  const missingLeft = leafClassWeights + h.widths.leafClassWeights * h.nLeaves * h.nClasses;
  const categorySeen = missingLeft + Math.ceil(nSplits / 8);
  const categoryLeft =
    categorySeen + h.categoryCounts.reduce((n: number, c: number) => n + Math.ceil(c / 8), 0);
  const end = categoryLeft + h.categoryLeftBytes;
  return { h, view, nodeCode, leftOffset, missingLeft, end };
}

describe('model artifact', () => {
  const data = makeSyntheticDataset({ nRows: 3000, seed: 41 });
  const holdout = makeSyntheticDataset({ nRows: 4000, seed: 42 });
  let forest: Forest;
  let bytes: Uint8Array;
  beforeAll(async () => {
    forest = await trainForest(data.features, data.labels, { nFeatures: 10, nEstimators: 30, seed: 7 });
    bytes = forest.serialize();
  });

  it('loads back into a forest with identical predictions, importances and params', () => {
    const loaded = loadForest(bytes);
    expect(loaded.predictProbaFlat(holdout.features)).toEqual(forest.predictProbaFlat(holdout.features));
    expect(loaded.featureImportances).toEqual(forest.featureImportances);
    expect(loaded.params).toEqual(forest.params);
    expect(loaded.toTrees()).toEqual(forest.toTrees());
    expect(loaded.serialize()).toEqual(bytes);
  });

  it('tells its shape from the header alone, and what loading it would hold in memory', () => {
    const { splits, leaves } = forest.nodeCounts;
    const shape = readArtifactShape(bytes);
    expect(shape).toEqual({
      nFeatures: 10,
      nClasses: forest.nClasses,
      nTrees: 30,
      nNodes: splits + leaves,
      nLeaves: leaves,
      nCategoricalSplits: 0,
    });
    expect(forestMemoryBytes(shape)).toBe(50 * (splits + leaves) + 12 * leaves * forest.nClasses);
    // Only the header is read: a body cut short does not matter, a foreign file does.
    expect(readArtifactShape(bytes.subarray(0, bytes.length - 10))).toEqual(shape);
    expect(() => readArtifactShape(new Uint8Array(64))).toThrow(ForestArtifactError);
  });

  it('starts with the magic and format version, and is compact', () => {
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe(ARTIFACT_MAGIC);
    const { h, view, end } = sections(bytes);
    expect(view.getUint32(8, true)).toBe(ARTIFACT_FORMAT_VERSION);
    expect(end).toBe(bytes.length);
    // Thresholds are bin edges shared through a per-feature table, so a split stores a 1-byte
    // feature code, a 1-byte table index and a small child offset, a leaf its code and small
    // integer class weights: far from the 16+ bytes per node of plain float/int arrays.
    expect(h.widths.nodeCode).toBe(1);
    expect(h.widths.thresholdIndex).toBe(1);
    expect(h.widths.leftOffset).toBeLessThanOrEqual(2);
    expect(h.widths.leafClassWeights).toBeLessThanOrEqual(2);
    expect(bytes.length).toBeLessThan(6 * h.nNodes);
  });

  it('round-trips forests whose trees are single leaves (a pure bootstrap sample)', async () => {
    const tiny = await trainForest([[1], [2]], [0, 1], { nEstimators: 6, threads: 1, seed: 1 });
    expect(tiny.toTrees().some((tree) => tree.kind === 'leaf')).toBe(true);
    const loaded = loadForest(tiny.serialize());
    expect(loaded.predictProba([[1], [2], [1.5]])).toEqual(tiny.predictProba([[1], [2], [1.5]]));
    expect(loaded.toTrees()).toEqual(tiny.toTrees());
  });

  it('loads from a Node Buffer at any byte offset (as a Postgres bytea arrives)', () => {
    const shifted = Buffer.concat([Buffer.from('pad'), Buffer.from(bytes)]).subarray(3);
    expect(shifted.byteOffset % 8).not.toBe(0);
    expect(loadForest(shifted).predictProbaFlat(holdout.features)).toEqual(
      forest.predictProbaFlat(holdout.features),
    );
  });

  it('rejects bytes that are not a forest artifact, naming the problem', () => {
    const patched = (patch: (copy: Uint8Array, view: DataView) => void): Uint8Array => {
      const copy = bytes.slice();
      patch(copy, new DataView(copy.buffer));
      return copy;
    };
    const fails = (corrupted: Uint8Array, message: RegExp) => {
      expect(() => loadForest(corrupted)).toThrow(ForestArtifactError);
      expect(() => loadForest(corrupted)).toThrow(message);
    };
    // "P": a PNG, a JSON model, anything else.
    fails(
      patched((c) => {
        c[0] = 0x50;
      }),
      /does not start with the magic "AMSFORST"/,
    );
    fails(
      patched((_, v) => v.setUint32(8, 3, true)),
      /format version 3 is not supported \(this build reads versions 1 to 2\)/,
    );
    fails(
      bytes.subarray(0, bytes.length - 1),
      /has \d+ bytes but its header describes \d+ \(truncated or corrupted\)/,
    );
    fails(bytes.subarray(0, 10), /too short/);
    fails(
      patched((c) => {
        c[16] = 0x7c; // break the JSON header's opening brace
      }),
      /header is not valid JSON/,
    );
    const { leftOffset, nodeCode, h } = sections(bytes);
    // A node that is its own child would loop forever.
    fails(
      patched((_, v) => v.setUint16(leftOffset, 0, true)),
      /children lie outside its tree/,
    );
    fails(
      patched((c) => {
        c[nodeCode] = h.nFeatures + 5;
      }),
      /splits on feature 14, but there are 10/,
    );
    expect(() => loadForest('AMSFORST' as unknown as Uint8Array)).toThrow(/expected a Uint8Array/);
  });
});
