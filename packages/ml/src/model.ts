import type { FeatureType, ForestParams } from './options.ts';

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
  /**
   * Per node: at a numeric split a present value goes left when `row[feature] <= threshold`
   * (+∞: every present value goes left, the missing ones right); 0 for leaves and categorical
   * splits.
   */
  nodeThreshold: Float64Array;
  /** Per node: index within its tree of the left child (the right one is next); -1 for leaves. */
  nodeLeft: Int32Array;
  /**
   * Per node: 1 when a missing value (NaN; at a categorical split also any code not in its
   * bit set's range) goes left; 0 for leaves. All 0 in format-1 artifacts (NaN went right).
   */
  nodeMissingLeft: Uint8Array;
  /** Per node: the slot of a categorical split's bit set in `categoryBits`, else -1. */
  nodeCategorySlot: Int32Array;
  /**
   * 8 uint32 words per categorical split (256 bits): bit c of word c >> 5 set when category code c
   * goes left. Codes never seen at that node in training, and bit 255 (missing), follow the
   * node's missing direction.
   */
  categoryBits: Uint32Array;
  /** Per feature: 1 categorical, 0 numeric. */
  featureCategorical: Uint8Array;
  /** Per feature, 8 uint32 words: the category codes seen in training (zero for numeric features). */
  categorySeen: Uint32Array;
  /** Per leaf, in node order, `nClasses` bootstrap-weighted class counts (integers). */
  leafClassWeights: Uint32Array;
}

/**
 * Class distribution of leaf `leaf` into `out[offset..offset+K)`: its bootstrap counts, times the
 * class weights when the forest has them, normalised to sum 1.
 */
export function leafDistribution(
  model: ForestModel,
  leaf: number,
  out: ArrayLike<number> & { [i: number]: number },
  offset: number,
): void {
  const K = model.nClasses;
  const weights = model.params.classWeights ?? null;
  let total = 0;
  if (weights === null) {
    for (let k = 0; k < K; k++) total += model.leafClassWeights[leaf * K + k]!;
    for (let k = 0; k < K; k++) out[offset + k] = model.leafClassWeights[leaf * K + k]! / total;
    return;
  }
  for (let k = 0; k < K; k++) total += model.leafClassWeights[leaf * K + k]! * weights[k]!;
  for (let k = 0; k < K; k++) out[offset + k] = (model.leafClassWeights[leaf * K + k]! * weights[k]!) / total;
}

/** Number of categories of feature f: 1 + the largest code seen in training (0 for numeric features). */
export function categoryCount(model: Pick<ForestModel, 'categorySeen'>, f: number): number {
  for (let c = 254; c >= 0; c--) if ((model.categorySeen[8 * f + (c >>> 5)]! >>> (c & 31)) & 1) return c + 1;
  return 0;
}

/** The feature types of a model, as the public API spells them. */
export function featureTypesOf(model: Pick<ForestModel, 'featureCategorical'>): FeatureType[] {
  return Array.from(model.featureCategorical, (c) => (c === 1 ? 'categorical' : 'numeric'));
}
