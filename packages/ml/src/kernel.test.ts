import { describe, expect, it } from 'vitest';
import { binFeatures } from './binning.ts';
import {
  createSplitWorkspace,
  fillHistograms,
  type GrownTree,
  growTree,
  KERNEL_FUNCTIONS,
  type KernelInput,
  nextUint32,
  randomBelow,
  treeRngState,
} from './kernel.ts';
import { makeSyntheticDataset } from './synthetic.ts';
import { workerSource } from './training-pool.ts';

function kernelInput(overrides: Partial<KernelInput> = {}, nRows = 1500): KernelInput {
  const data = makeSyntheticDataset({ nRows, seed: 3 });
  const binned = binFeatures({ data: data.features, nRows, nFeatures: data.nFeatures }, 255);
  return {
    bins: binned.bins,
    labels: data.labels,
    binCounts: binned.binCounts,
    nSamples: nRows,
    nFeatures: data.nFeatures,
    nClasses: 3,
    maxDepth: 10,
    minSamplesLeaf: 1,
    minSamplesSplit: 2,
    maxFeatures: 3,
    bootstrap: true,
    classWeight: new Float64Array([1, 1, 1]),
    seed: 42,
    hasMissing: binned.hasMissing,
    categorical: binned.categorical,
    ...overrides,
  };
}

function leafWeights(tree: GrownTree, K: number): number[] {
  const sums: number[] = [];
  for (let i = 0; i < tree.nodeCount; i++) {
    if (tree.feature[i]! >= 0) continue;
    let total = 0;
    for (let k = 0; k < K; k++) total += tree.classWeights[i * K + k]!;
    sums.push(total);
  }
  return sums;
}

function depthOf(tree: GrownTree): number {
  const depth = new Int32Array(tree.nodeCount);
  let max = 0;
  for (let i = 0; i < tree.nodeCount; i++) {
    max = Math.max(max, depth[i]!);
    if (tree.feature[i]! >= 0) {
      depth[tree.leftChild[i]!] = depth[i]! + 1;
      depth[tree.leftChild[i]! + 1] = depth[i]! + 1;
    }
  }
  return max;
}

describe('random streams', () => {
  it('derive from (seed, tree index) only, and differ between trees and seeds', () => {
    const first = (seed: number, tree: number) => {
      const state = treeRngState(seed, tree);
      return [nextUint32(state), nextUint32(state), nextUint32(state)];
    };
    expect(first(42, 7)).toEqual(first(42, 7));
    expect(first(42, 7)).not.toEqual(first(42, 8));
    expect(first(42, 7)).not.toEqual(first(43, 7));
  });

  it('randomBelow is uniform enough for bootstrap draws', () => {
    const state = treeRngState(1, 0);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[randomBelow(state, 10)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500); // > 5 standard deviations
  });
});

describe('fillHistograms', () => {
  it('gives the same histograms whether features share a pass or not', () => {
    const input = kernelInput();
    const samples = Int32Array.from({ length: 700 }, (_, i) => 2 * i);
    const labelWeight = Int32Array.from(input.labels, (label, i) => (((i % 3) + 1) << 16) | label);
    const features = Int32Array.from([4, 0, 9, 2, 7]);
    const together = createSplitWorkspace(3, 5).hist;
    fillHistograms(input, together, samples, labelWeight, 10, 690, features, 0, 5);
    const apart = createSplitWorkspace(3, 5).hist;
    for (let q = 0; q < 5; q++) {
      const single = createSplitWorkspace(3, 5).hist;
      fillHistograms(input, single, samples, labelWeight, 10, 690, features, q, q + 1);
      apart.set(single.subarray(0, 256 * 4), q * 256 * 4);
    }
    expect(together).toEqual(apart);
    // Counts per slot add up to the samples in range; weights to their bootstrap weights.
    let count = 0;
    for (let b = 0; b < 256; b++) count += together[256 * 4 + b * 4 + 3]!;
    expect(count).toBe(680);
  });
});

describe('growTree', () => {
  it('is a function of (data, options, seed, tree index) only', () => {
    const input = kernelInput();
    const alone = growTree(input, 5);
    growTree(input, 0);
    growTree(input, 9);
    expect(growTree(input, 5)).toEqual(alone);
    expect(growTree(input, 6)).not.toEqual(alone);
  });

  it('numbers children as consecutive pairs after their parent, within maxDepth', () => {
    for (const maxDepth of [1, 4, 10, Number.POSITIVE_INFINITY]) {
      const tree = growTree(kernelInput({ maxDepth }), 1);
      for (let i = 0; i < tree.nodeCount; i++) {
        if (tree.feature[i]! < 0) continue;
        expect(tree.leftChild[i]!).toBeGreaterThan(i);
        expect(tree.leftChild[i]! + 1).toBeLessThan(tree.nodeCount);
      }
      expect(depthOf(tree)).toBeLessThanOrEqual(maxDepth);
      if (maxDepth <= 10) expect(depthOf(tree)).toBe(maxDepth);
    }
  });

  it('shares the bootstrap weight (n draws) among the leaves', () => {
    const input = kernelInput();
    const tree = growTree(input, 2);
    expect(leafWeights(tree, 3).reduce((a, b) => a + b, 0)).toBe(input.nSamples);
    expect(tree.rootWeight).toBe(input.nSamples);
  });

  it('grows pure leaves when depth is unlimited and every sample is used', () => {
    const input = kernelInput({ maxDepth: Number.POSITIVE_INFINITY, bootstrap: false, maxFeatures: 10 });
    const tree = growTree(input, 0);
    for (let i = 0; i < tree.nodeCount; i++) {
      if (tree.feature[i]! >= 0) continue;
      const w = Array.from(tree.classWeights.subarray(i * 3, i * 3 + 3));
      // Continuous features never tie, so only pure leaves stop the growth.
      expect(w.filter((v) => v > 0)).toHaveLength(1);
    }
  });

  it('honours minSamplesLeaf and minSamplesSplit', () => {
    const leafy = growTree(
      kernelInput({ bootstrap: false, minSamplesLeaf: 25, maxDepth: Number.POSITIVE_INFINITY }),
      0,
    );
    expect(Math.min(...leafWeights(leafy, 3))).toBeGreaterThanOrEqual(25);
    const splitty = growTree(
      kernelInput({ bootstrap: false, minSamplesSplit: 200, maxDepth: Number.POSITIVE_INFINITY }),
      0,
    );
    // A node with fewer than 200 samples is never split, so every split node holds >= 200.
    const weights = new Float64Array(splitty.nodeCount);
    for (let i = splitty.nodeCount - 1; i >= 0; i--) {
      if (splitty.feature[i]! < 0) {
        for (let k = 0; k < 3; k++) weights[i] = weights[i]! + splitty.classWeights[i * 3 + k]!;
      } else {
        weights[i] = weights[splitty.leftChild[i]!]! + weights[splitty.leftChild[i]! + 1]!;
        expect(weights[i]!).toBeGreaterThanOrEqual(200);
      }
    }
  });

  it('skips constant features without counting them towards maxFeatures (as scikit-learn)', () => {
    // Feature 0 carries the label, features 1..7 are constant; maxFeatures = 1 must still find it.
    const n = 400;
    const features = new Float64Array(n * 8);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      features[i * 8] = i;
      for (let f = 1; f < 8; f++) features[i * 8 + f] = 5;
      labels[i] = i < 200 ? 0 : 1;
    }
    const binned = binFeatures({ data: features, nRows: n, nFeatures: 8 }, 255);
    const input: KernelInput = {
      ...kernelInput(),
      bins: binned.bins,
      binCounts: binned.binCounts,
      hasMissing: binned.hasMissing,
      categorical: binned.categorical,
      labels,
      nSamples: n,
      nFeatures: 8,
      nClasses: 2,
      maxFeatures: 1,
    };
    for (let t = 0; t < 20; t++) {
      const tree = growTree(input, t);
      expect(tree.feature[0]).toBe(0);
      expect(tree.impurityDecrease.slice(1).every((v) => v === 0)).toBe(true);
    }
  });
});

describe('worker source', () => {
  it('contains every kernel function and runs in a bare context (no imports, no outer names)', () => {
    const source = workerSource();
    for (const fn of KERNEL_FUNCTIONS) expect(source).toContain(`function ${fn.name}(`);
    // Evaluate the functions alone (without the two-line entry point) and grow a tree with them.
    const body = source.split("const { parentPort } = require('node:worker_threads');")[0]!;
    const grow = new Function(`${body}\nreturn growTree;`)() as typeof growTree;
    const input = kernelInput();
    expect(grow(input, 3)).toEqual(growTree(input, 3));
  });
});
