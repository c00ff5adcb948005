import { encodeForest } from './artifact.ts';
import { checkRow, type FeatureRows, toRowMajor } from './matrix.ts';
import type { ForestParams } from './options.ts';

/**
 * A trained forest as flat arrays: the canonical form that training produces, the artifact
 * stores and {@link Forest} compiles for inference. Nodes of all trees are concatenated, tree by
 * tree; within a tree node 0 is the root and a split node's children are two consecutive nodes
 * with larger indices (so every walk ends, which loading checks).
 */
export interface ForestModel {
  nFeatures: number;
  nClasses: number;
  params: ForestParams;
  /** Mean impurity decrease per feature, summing to 1 (all zeros if no tree ever split). */
  featureImportances: Float64Array;
  /** Number of nodes of each tree. */
  treeNodeCount: Int32Array;
  /** Per node: the feature a split compares, or -1 for a leaf. */
  nodeFeature: Int32Array;
  /** Per node: a row goes left when `row[feature] <= threshold` (0 for leaves). */
  nodeThreshold: Float64Array;
  /** Per node: index within its tree of the left child (the right one is next); -1 for leaves. */
  nodeLeft: Int32Array;
  /** Per leaf, in node order, `nClasses` bootstrap-weighted class counts (integers). */
  leafClassWeights: Uint32Array;
}

/** A tree as nested nodes, for inspection and as the reference for the compiled walk. */
export type DecisionTreeNode =
  | { kind: 'split'; feature: number; threshold: number; left: DecisionTreeNode; right: DecisionTreeNode }
  | { kind: 'leaf'; classProbabilities: number[] };

/** Class probabilities of the leaf `row` reaches in `tree` (`row[feature] <= threshold` goes left). */
export function walkTree(tree: DecisionTreeNode, row: ArrayLike<number>): number[] {
  let node = tree;
  while (node.kind === 'split') node = row[node.feature]! <= node.threshold ? node.left : node.right;
  return node.classProbabilities;
}

/** Index of the largest value; ties go to the lowest index (numpy's argmax). */
function argmax(values: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  let bestValue = values[offset]!;
  for (let k = 1; k < length; k++) {
    const v = values[offset + k]!;
    if (v > bestValue) {
      bestValue = v;
      best = k;
    }
  }
  return best;
}

/**
 * The inference layout. Every tree is walked for exactly its depth: a leaf has threshold +∞ and
 * is its own left child, so a row that reached it stays there (inputs are finite), and the walk
 * needs no per-step "is this a leaf?" branch, which the CPU could not predict. A step is
 * `node = left(node) + (row[feature(node)] > threshold(node))`, free of branches.
 */
interface CompiledLayout {
  /** Global index of each tree's root. */
  treeRoot: Int32Array;
  /** Steps from each tree's root to its deepest leaf. */
  treeDepth: Int32Array;
  /** Per node: threshold, +∞ for leaves. */
  threshold: Float64Array;
  /**
   * Per node: `left << featureBits | feature` (leaves: `self << featureBits`), so a step loads
   * one int and one float; null when the forest has too many nodes to pack into 31 bits (only
   * with millions of nodes over thousands of features), then `left`/`feature` are used.
   */
  packed: Int32Array | null;
  featureBits: number;
  /** Per node: global index of the left child (the right one is next); leaves: themselves. */
  left: Int32Array;
  /** Per node: the feature compared (leaves: 0). */
  feature: Int32Array;
  /** Per node: offset of its class probabilities in `leafProba` (leaves only). */
  leafOffset: Int32Array;
  /** Per leaf: class probabilities (class weights / their sum), `nClasses` each. */
  leafProba: Float64Array;
}

/** Builds the inference layout; `allowPacking: false` forces the unpacked path (for tests). */
export function compileLayout(model: ForestModel, allowPacking = true): CompiledLayout {
  const K = model.nClasses;
  const nTrees = model.treeNodeCount.length;
  const nNodes = model.nodeFeature.length;
  const treeRoot = new Int32Array(nTrees);
  const treeDepth = new Int32Array(nTrees);
  const threshold = new Float64Array(nNodes);
  const left = new Int32Array(nNodes);
  const feature = new Int32Array(nNodes);
  const leafOffset = new Int32Array(nNodes);
  const leafProba = new Float64Array(model.leafClassWeights.length);
  const depth = new Int32Array(nNodes);
  let base = 0;
  let leaf = 0;
  for (let t = 0; t < nTrees; t++) {
    treeRoot[t] = base;
    const count = model.treeNodeCount[t]!;
    let maxDepth = 0;
    for (let i = base; i < base + count; i++) {
      // Parents precede children, so depth[i] is final when node i is reached.
      if (depth[i]! > maxDepth) maxDepth = depth[i]!;
      const f = model.nodeFeature[i]!;
      if (f >= 0) {
        const l = base + model.nodeLeft[i]!;
        threshold[i] = model.nodeThreshold[i]!;
        left[i] = l;
        feature[i] = f;
        depth[l] = depth[i]! + 1;
        depth[l + 1] = depth[i]! + 1;
      } else {
        threshold[i] = Number.POSITIVE_INFINITY;
        left[i] = i;
        leafOffset[i] = leaf * K;
        let total = 0;
        for (let k = 0; k < K; k++) total += model.leafClassWeights[leaf * K + k]!;
        for (let k = 0; k < K; k++) leafProba[leaf * K + k] = model.leafClassWeights[leaf * K + k]! / total;
        leaf++;
      }
    }
    treeDepth[t] = maxDepth;
    base += count;
  }
  const featureBits = Math.max(1, Math.ceil(Math.log2(model.nFeatures)));
  let packed: Int32Array | null = null;
  if (allowPacking && nNodes <= 2 ** (31 - featureBits)) {
    packed = new Int32Array(nNodes);
    for (let i = 0; i < nNodes; i++) packed[i] = (left[i]! << featureBits) | feature[i]!;
  }
  return { treeRoot, treeDepth, threshold, packed, featureBits, left, feature, leafOffset, leafProba };
}

/**
 * A trained random forest classifier. `predictProba` is the mean of the trees' leaf class
 * distributions (summed in tree order, then divided by the tree count, as scikit-learn does);
 * `predict` is its argmax. Every prediction path gives bit-identical results, equal to walking
 * {@link Forest.toTrees}.
 */
export class Forest {
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly nTrees: number;
  /** The hyperparameters actually used, defaults filled in. */
  readonly params: Readonly<ForestParams>;
  /** Impurity-based (mean decrease in impurity) importance of each feature, summing to 1. */
  readonly featureImportances: readonly number[];
  readonly #model: ForestModel;
  readonly #layout: CompiledLayout;

  /**
   * Use {@link trainForest} or {@link loadForest}; this wraps an already-validated model.
   * @param options.allowPacking false forces the unpacked inference path (tests use it)
   */
  constructor(model: ForestModel, options: { allowPacking?: boolean } = {}) {
    this.#model = model;
    this.#layout = compileLayout(model, options.allowPacking ?? true);
    this.nFeatures = model.nFeatures;
    this.nClasses = model.nClasses;
    this.nTrees = model.treeNodeCount.length;
    this.params = Object.freeze({ ...model.params });
    this.featureImportances = Object.freeze(Array.from(model.featureImportances));
  }

  /** Number of split nodes and leaves over all trees. */
  get nodeCounts(): { splits: number; leaves: number } {
    const leaves = this.#model.leafClassWeights.length / this.nClasses;
    return { splits: this.#model.nodeFeature.length - leaves, leaves };
  }

  /**
   * Class probabilities of every row as one flat row-major Float64Array (`nRows × nClasses`):
   * the fast batch path.
   */
  predictProbaFlat(rows: FeatureRows): Float64Array {
    const { data, nRows } = toRowMajor(rows, this.nFeatures, 'rows');
    const out = new Float64Array(nRows * this.nClasses);
    if (this.#layout.packed !== null) this.#accumulatePacked(data, nRows, out);
    else this.#accumulateUnpacked(data, nRows, out);
    const nTrees = this.nTrees;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! / nTrees;
    return out;
  }

  /**
   * Adds every tree's leaf distribution to `out`, tree by tree (one tree's nodes stay in cache
   * while all rows pass through it), four rows in lockstep so their independent loads overlap.
   */
  #accumulatePacked(data: Float64Array, nRows: number, out: Float64Array): void {
    const { treeRoot, treeDepth, threshold, featureBits, leafOffset, leafProba } = this.#layout;
    const packed = this.#layout.packed!;
    const mask = (1 << featureBits) - 1;
    const F = this.nFeatures;
    const K = this.nClasses;
    const nQuads = nRows & ~3;
    for (let t = 0; t < treeRoot.length; t++) {
      const root = treeRoot[t]!;
      const depth = treeDepth[t]!;
      let r = 0;
      for (; r < nQuads; r += 4) {
        const o0 = r * F;
        const o1 = o0 + F;
        const o2 = o1 + F;
        const o3 = o2 + F;
        let n0 = root;
        let n1 = root;
        let n2 = root;
        let n3 = root;
        for (let d = 0; d < depth; d++) {
          let w = packed[n0]!;
          n0 = (w >> featureBits) + +(data[o0 + (w & mask)]! > threshold[n0]!);
          w = packed[n1]!;
          n1 = (w >> featureBits) + +(data[o1 + (w & mask)]! > threshold[n1]!);
          w = packed[n2]!;
          n2 = (w >> featureBits) + +(data[o2 + (w & mask)]! > threshold[n2]!);
          w = packed[n3]!;
          n3 = (w >> featureBits) + +(data[o3 + (w & mask)]! > threshold[n3]!);
        }
        const p = r * K;
        const l0 = leafOffset[n0]!;
        const l1 = leafOffset[n1]!;
        const l2 = leafOffset[n2]!;
        const l3 = leafOffset[n3]!;
        for (let k = 0; k < K; k++) {
          out[p + k] = out[p + k]! + leafProba[l0 + k]!;
          out[p + K + k] = out[p + K + k]! + leafProba[l1 + k]!;
          out[p + 2 * K + k] = out[p + 2 * K + k]! + leafProba[l2 + k]!;
          out[p + 3 * K + k] = out[p + 3 * K + k]! + leafProba[l3 + k]!;
        }
      }
      for (; r < nRows; r++) {
        const o = r * F;
        let n = root;
        for (let d = 0; d < depth; d++) {
          const w = packed[n]!;
          n = (w >> featureBits) + +(data[o + (w & mask)]! > threshold[n]!);
        }
        const l = leafOffset[n]!;
        const p = r * K;
        for (let k = 0; k < K; k++) out[p + k] = out[p + k]! + leafProba[l + k]!;
      }
    }
  }

  /** As {@link Forest.#accumulatePacked} for forests too large to pack, one row at a time. */
  #accumulateUnpacked(data: Float64Array, nRows: number, out: Float64Array): void {
    const { treeRoot, treeDepth, threshold, left, feature, leafOffset, leafProba } = this.#layout;
    const F = this.nFeatures;
    const K = this.nClasses;
    for (let t = 0; t < treeRoot.length; t++) {
      const root = treeRoot[t]!;
      const depth = treeDepth[t]!;
      for (let r = 0; r < nRows; r++) {
        const o = r * F;
        let n = root;
        for (let d = 0; d < depth; d++) n = left[n]! + +(data[o + feature[n]!]! > threshold[n]!);
        const l = leafOffset[n]!;
        const p = r * K;
        for (let k = 0; k < K; k++) out[p + k] = out[p + k]! + leafProba[l + k]!;
      }
    }
  }

  /** Class probabilities per row (`nRows` arrays of `nClasses`). */
  predictProba(rows: FeatureRows): number[][] {
    const flat = this.predictProbaFlat(rows);
    const K = this.nClasses;
    const result: number[][] = new Array(flat.length / K);
    for (let r = 0; r < result.length; r++) result[r] = Array.from(flat.subarray(r * K, r * K + K));
    return result;
  }

  /** Most probable class per row (ties go to the lower class index). */
  predict(rows: FeatureRows): number[] {
    const flat = this.predictProbaFlat(rows);
    const K = this.nClasses;
    const result: number[] = new Array(flat.length / K);
    for (let r = 0; r < result.length; r++) result[r] = argmax(flat, r * K, K);
    return result;
  }

  /**
   * Class probabilities of one row: the low-latency serving path. Four trees are walked in
   * lockstep so their cache misses overlap (one row's walk through a forest larger than the
   * cache is bound by memory latency), then added in tree order like every other path.
   */
  predictProbaOne(row: ArrayLike<number>): number[] {
    checkRow(row, this.nFeatures);
    const K = this.nClasses;
    const { treeRoot, treeDepth, threshold, packed, featureBits, left, feature, leafOffset, leafProba } =
      this.#layout;
    const sums = new Array<number>(K).fill(0);
    const nTrees = treeRoot.length;
    let t = 0;
    if (packed !== null) {
      const mask = (1 << featureBits) - 1;
      for (; t + 4 <= nTrees; t += 4) {
        let n0 = treeRoot[t]!;
        let n1 = treeRoot[t + 1]!;
        let n2 = treeRoot[t + 2]!;
        let n3 = treeRoot[t + 3]!;
        const depth = Math.max(treeDepth[t]!, treeDepth[t + 1]!, treeDepth[t + 2]!, treeDepth[t + 3]!);
        for (let d = 0; d < depth; d++) {
          let w = packed[n0]!;
          n0 = (w >> featureBits) + +(row[w & mask]! > threshold[n0]!);
          w = packed[n1]!;
          n1 = (w >> featureBits) + +(row[w & mask]! > threshold[n1]!);
          w = packed[n2]!;
          n2 = (w >> featureBits) + +(row[w & mask]! > threshold[n2]!);
          w = packed[n3]!;
          n3 = (w >> featureBits) + +(row[w & mask]! > threshold[n3]!);
        }
        const l0 = leafOffset[n0]!;
        const l1 = leafOffset[n1]!;
        const l2 = leafOffset[n2]!;
        const l3 = leafOffset[n3]!;
        // Left to right: the same summation order as one tree at a time.
        for (let k = 0; k < K; k++) {
          sums[k] =
            sums[k]! + leafProba[l0 + k]! + leafProba[l1 + k]! + leafProba[l2 + k]! + leafProba[l3 + k]!;
        }
      }
    }
    for (; t < nTrees; t++) {
      let n = treeRoot[t]!;
      const depth = treeDepth[t]!;
      for (let d = 0; d < depth; d++) n = left[n]! + +(row[feature[n]!]! > threshold[n]!);
      const l = leafOffset[n]!;
      for (let k = 0; k < K; k++) sums[k] = sums[k]! + leafProba[l + k]!;
    }
    for (let k = 0; k < K; k++) sums[k] = sums[k]! / nTrees;
    return sums;
  }

  /** Most probable class of one row. */
  predictOne(row: ArrayLike<number>): number {
    const proba = this.predictProbaOne(row);
    return argmax(proba, 0, proba.length);
  }

  /** The trees as nested nodes, built from the model (not from the inference layout). */
  toTrees(): DecisionTreeNode[] {
    const m = this.#model;
    const K = this.nClasses;
    const trees: DecisionTreeNode[] = [];
    let base = 0;
    let leaf = 0;
    for (let t = 0; t < this.nTrees; t++) {
      const count = m.treeNodeCount[t]!;
      // Leaves are numbered in node order, so number them before building recursively.
      const leafIndex = new Int32Array(count);
      for (let i = 0; i < count; i++) leafIndex[i] = m.nodeFeature[base + i]! < 0 ? leaf++ : -1;
      const treeBase = base;
      const build = (i: number): DecisionTreeNode => {
        const f = m.nodeFeature[treeBase + i]!;
        if (f < 0) {
          const weights = Array.from(m.leafClassWeights.subarray(leafIndex[i]! * K, leafIndex[i]! * K + K));
          const total = weights.reduce((a, b) => a + b, 0);
          return { kind: 'leaf', classProbabilities: weights.map((w) => w / total) };
        }
        const l = m.nodeLeft[treeBase + i]!;
        return {
          kind: 'split',
          feature: f,
          threshold: m.nodeThreshold[treeBase + i]!,
          left: build(l),
          right: build(l + 1),
        };
      };
      trees.push(build(0));
      base += count;
    }
    return trees;
  }

  /**
   * The model artifact: a compact little-endian binary (magic, format version, header, packed
   * arrays) that {@link loadForest} turns back into a forest with identical predictions.
   */
  serialize(): Uint8Array {
    return encodeForest(this.#model);
  }
}
